import type { DecodeLimits } from '@temps/otlp';
import type { FairInflightBudgets } from './fair-inflight-limiter';

/** Documented defaults (README "Errors and limits"); each can be changed by its environment variable. */
export interface IngestLimits {
  /** Largest request body, before and after decompression. TEMPS_MAX_BODY_BYTES. */
  maxBodyBytes: number;
  /**
   * Requests and body bytes in flight at once, in all and per tenant; more get 429. Bytes are the
   * declared Content-Length when the request is admitted, then the inflated bytes as a gzip or deflate
   * body is inflated. TEMPS_MAX_INFLIGHT_REQUESTS / _BYTES and their _PER_CREDENTIAL / _PER_PROJECT forms.
   */
  inflight: FairInflightBudgets;
  /** Time allowed to receive a whole body; a slower sender gets 408 and its slot back. TEMPS_INGEST_BODY_TIMEOUT_MS. */
  bodyTimeoutMs: number;
  /** Per-item decode limits (attributes per item, value length, nesting); defaults in @temps/otlp. */
  decode: Partial<DecodeLimits>;
}

const MiB = 1024 * 1024;

/** A credential may hold a quarter of the total, a project half: one tenant can never take it all. */
const CREDENTIAL_SHARE = 4;
const PROJECT_SHARE = 2;

function shares(requests: number, bytes: number): FairInflightBudgets {
  return {
    total: { requests, bytes },
    perCredential: { requests: Math.max(1, Math.floor(requests / CREDENTIAL_SHARE)), bytes: Math.max(1, Math.floor(bytes / CREDENTIAL_SHARE)) },
    perProject: { requests: Math.max(1, Math.floor(requests / PROJECT_SHARE)), bytes: Math.max(1, Math.floor(bytes / PROJECT_SHARE)) },
  };
}

export const DEFAULT_INGEST_LIMITS: IngestLimits = {
  maxBodyBytes: 16 * MiB,
  inflight: shares(64, 64 * MiB),
  bodyTimeoutMs: 15_000,
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
  const d = DEFAULT_INGEST_LIMITS;
  const requests = positiveInt(env, 'TEMPS_MAX_INFLIGHT_REQUESTS', d.inflight.total.requests);
  const bytes = positiveInt(env, 'TEMPS_MAX_INFLIGHT_BYTES', d.inflight.total.bytes);
  // The per-tenant shares follow the totals unless set themselves.
  const derived = shares(requests, bytes);
  const inflight: FairInflightBudgets = {
    total: derived.total,
    perCredential: {
      requests: positiveInt(env, 'TEMPS_MAX_INFLIGHT_REQUESTS_PER_CREDENTIAL', derived.perCredential.requests),
      bytes: positiveInt(env, 'TEMPS_MAX_INFLIGHT_BYTES_PER_CREDENTIAL', derived.perCredential.bytes),
    },
    perProject: {
      requests: positiveInt(env, 'TEMPS_MAX_INFLIGHT_REQUESTS_PER_PROJECT', derived.perProject.requests),
      bytes: positiveInt(env, 'TEMPS_MAX_INFLIGHT_BYTES_PER_PROJECT', derived.perProject.bytes),
    },
  };
  return {
    maxBodyBytes: positiveInt(env, 'TEMPS_MAX_BODY_BYTES', d.maxBodyBytes),
    inflight,
    bodyTimeoutMs: positiveInt(env, 'TEMPS_INGEST_BODY_TIMEOUT_MS', d.bodyTimeoutMs),
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
