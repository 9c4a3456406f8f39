import { util } from 'protobufjs/minimal';
import { google, opentelemetry } from './generated/otlp';

const { ExportTraceServiceResponse, ExportTracePartialSuccess } = opentelemetry.proto.collector.trace.v1;
/** The Long class of the `long` package, as the generated typings name it. */
type Long = InstanceType<typeof ExportTracePartialSuccess>['rejectedSpans'];

/** Spans the server accepted the request for but did not store (OTLP partial success). */
export interface TracePartialSuccess {
  rejectedSpans: number;
  errorMessage: string;
}

/** google.rpc.Status fields we send: a google.rpc.Code value and an English message. */
export interface RpcStatus {
  code: number;
  message: string;
}

/** OTLP/JSON ExportTraceServiceResponse: `{}` or `{ partialSuccess: { rejectedSpans: "3", errorMessage } }`. */
export interface TraceResponseJson {
  partialSuccess?: { rejectedSpans: string; errorMessage: string };
}

function hasPartial(partial: TracePartialSuccess | undefined): partial is TracePartialSuccess {
  return !!partial && (partial.rejectedSpans > 0 || !!partial.errorMessage);
}

function count(n: number): number {
  return Number.isFinite(n) && n > 0 ? Math.min(Math.trunc(n), Number.MAX_SAFE_INTEGER) : 0;
}

/** A signed int64 Long holding a non-negative safe integer, exactly. */
function int64(n: number): Long {
  return new util.Long(n % 4294967296 | 0, Math.floor(n / 4294967296) | 0, false) as Long;
}

/**
 * ExportTraceServiceResponse (protobuf) for a 200. Without `partial` (or with nothing rejected and
 * no message) it is the empty message: zero bytes, meaning full success. Clients do not retry a
 * partial success.
 */
export function encodeTraceResponse(partial?: TracePartialSuccess): Uint8Array {
  if (!hasPartial(partial)) return new Uint8Array(0);
  return ExportTraceServiceResponse.encode({
    partialSuccess: { rejectedSpans: int64(count(partial.rejectedSpans)), errorMessage: partial.errorMessage },
  }).finish();
}

/** google.rpc.Status (protobuf): the body of every 4xx/5xx OTLP/HTTP protobuf response. */
export function encodeRpcStatus(status: RpcStatus): Uint8Array {
  return google.rpc.Status.encode({ code: status.code | 0, message: status.message }).finish();
}

/** ExportTraceServiceResponse in OTLP/JSON shape (int64 rejectedSpans as a decimal string). */
export function traceResponseJson(partial?: TracePartialSuccess): TraceResponseJson {
  if (!hasPartial(partial)) return {};
  return { partialSuccess: { rejectedSpans: String(count(partial.rejectedSpans)), errorMessage: partial.errorMessage } };
}

/** google.rpc.Status in OTLP/JSON shape. */
export function rpcStatusJson(status: RpcStatus): RpcStatus {
  return { code: status.code | 0, message: status.message };
}
