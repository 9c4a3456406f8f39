import { encodeRpcStatus, rpcStatusJson } from './encode-responses';

/** The two encodings of OTLP/HTTP. */
export type OtlpEncoding = 'protobuf' | 'json';

export const OTLP_CONTENT_TYPES: Record<OtlpEncoding, string> = { protobuf: 'application/x-protobuf', json: 'application/json' };

/** The encoding a Content-Type header names, or null for anything else (answered 415). */
export function otlpEncodingOf(contentType: string | undefined): OtlpEncoding | null {
  const type = String(contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === 'application/x-protobuf' || type === 'application/protobuf') return 'protobuf';
  if (type === 'application/json') return 'json';
  return null;
}

/** google.rpc.Code values used in Status bodies. */
export const RpcCode = { INVALID_ARGUMENT: 3, DEADLINE_EXCEEDED: 4, NOT_FOUND: 5, PERMISSION_DENIED: 7, RESOURCE_EXHAUSTED: 8, INTERNAL: 13, UNAVAILABLE: 14, UNAUTHENTICATED: 16 } as const;

/** The google.rpc.Code of an HTTP error status, as the OTLP/HTTP spec pairs them (429 and 413: exhausted; 408: deadline; 503: unavailable). */
export function rpcCodeForHttpStatus(status: number): number {
  if (status === 401) return RpcCode.UNAUTHENTICATED;
  if (status === 403) return RpcCode.PERMISSION_DENIED;
  if (status === 404) return RpcCode.NOT_FOUND;
  if (status === 408) return RpcCode.DEADLINE_EXCEEDED;
  if (status === 413 || status === 429) return RpcCode.RESOURCE_EXHAUSTED;
  if (status === 503) return RpcCode.UNAVAILABLE;
  if (status >= 500) return RpcCode.INTERNAL;
  return RpcCode.INVALID_ARGUMENT;
}

/** The body of an OTLP/HTTP error: a google.rpc.Status in the request's encoding. */
export function otlpErrorBody(encoding: OtlpEncoding, status: number, message: string): { contentType: string; body: Uint8Array | string } {
  const rpc = { code: rpcCodeForHttpStatus(status), message };
  return { contentType: OTLP_CONTENT_TYPES[encoding], body: encoding === 'json' ? JSON.stringify(rpcStatusJson(rpc)) : encodeRpcStatus(rpc) };
}

/** How many items were rejected and why, as a partial-success message: `2 rejected: reason; 1 rejected: other`. */
export function summarizeRejections(rejections: readonly { reason: string; count?: number }[]): { rejected: number; message: string; byReason: Record<string, number> } {
  const reasons = new Map<string, number>();
  let rejected = 0;
  for (const r of rejections) {
    const n = r.count ?? 1;
    rejected += n;
    reasons.set(r.reason, (reasons.get(r.reason) ?? 0) + n);
  }
  return { rejected, message: [...reasons].map(([reason, n]) => `${n} rejected: ${reason}`).join('; '), byReason: Object.fromEntries(reasons) };
}
