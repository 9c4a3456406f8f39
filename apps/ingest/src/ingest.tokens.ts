/** Nest injection token for the ingest limits. */
export const INGEST_LIMITS = Symbol('IngestLimits');
