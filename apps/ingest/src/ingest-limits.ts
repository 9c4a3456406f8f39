/** Documented defaults (README "Limits"); each can be changed by its environment variable. */
export interface IngestLimits {
  /** Largest request body, before and after decompression. TEMPS_MAX_BODY_BYTES. */
  maxBodyBytes: number;
}

export function ingestLimitsFromEnv(env: NodeJS.ProcessEnv = process.env): IngestLimits {
  const maxBodyBytes = Number(env.TEMPS_MAX_BODY_BYTES ?? 16 * 1024 * 1024);
  if (!Number.isSafeInteger(maxBodyBytes) || maxBodyBytes <= 0) throw new Error('TEMPS_MAX_BODY_BYTES must be a positive integer');
  return { maxBodyBytes };
}
