import type { DecodeLimits } from '@temps/otlp';

/** Documented defaults (README "Errors and limits"); each can be changed by its environment variable. */
export interface IngestLimits {
  /** Largest request body, before and after decompression. TEMPS_MAX_BODY_BYTES. */
  maxBodyBytes: number;
  /** Requests being read, decoded or appended at once; more get 429. TEMPS_MAX_INFLIGHT_REQUESTS. */
  maxInflightRequests: number;
  /** Declared body bytes in flight at once (a body without Content-Length counts as maxBodyBytes); more get 429. TEMPS_MAX_INFLIGHT_BYTES. */
  maxInflightBytes: number;
  /** Per-item decode limits (attributes per item, value length, nesting); defaults in @temps/otlp. */
  decode: Partial<DecodeLimits>;
}

export const DEFAULT_INGEST_LIMITS: IngestLimits = {
  maxBodyBytes: 16 * 1024 * 1024,
  maxInflightRequests: 64,
  maxInflightBytes: 256 * 1024 * 1024,
  decode: {},
};

function positiveInt(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer, got "${raw}"`);
  return n;
}

export function ingestLimitsFromEnv(env: NodeJS.ProcessEnv = process.env): IngestLimits {
  return {
    maxBodyBytes: positiveInt(env, 'TEMPS_MAX_BODY_BYTES', DEFAULT_INGEST_LIMITS.maxBodyBytes),
    maxInflightRequests: positiveInt(env, 'TEMPS_MAX_INFLIGHT_REQUESTS', DEFAULT_INGEST_LIMITS.maxInflightRequests),
    maxInflightBytes: positiveInt(env, 'TEMPS_MAX_INFLIGHT_BYTES', DEFAULT_INGEST_LIMITS.maxInflightBytes),
    decode: Object.fromEntries(
      (
        [
          ['maxAttributesPerItem', 'TEMPS_MAX_ATTRIBUTES_PER_ITEM'],
          ['maxAttributeValueBytes', 'TEMPS_MAX_ATTRIBUTE_VALUE_BYTES'],
          ['maxAnyValueDepth', 'TEMPS_MAX_ANYVALUE_DEPTH'],
        ] as const
      )
        .filter(([, name]) => env[name])
        .map(([key, name]) => [key, positiveInt(env, name, 1)]),
    ),
  };
}
