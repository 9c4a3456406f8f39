import { util } from 'protobufjs/minimal';
import { google, opentelemetry } from './generated/otlp';

const { ExportTraceServiceResponse, ExportTracePartialSuccess } = opentelemetry.proto.collector.trace.v1;
const { ExportLogsServiceResponse } = opentelemetry.proto.collector.logs.v1;
const { ExportMetricsServiceResponse } = opentelemetry.proto.collector.metrics.v1;
/** The Long class of the `long` package, as the generated typings name it. */
type Long = InstanceType<typeof ExportTracePartialSuccess>['rejectedSpans'];

/** Spans the server accepted the request for but did not store (OTLP partial success). */
export interface TracePartialSuccess {
  rejectedSpans: number;
  errorMessage: string;
}

/** Log records the server accepted the request for but did not store. */
export interface LogsPartialSuccess {
  rejectedLogRecords: number;
  errorMessage: string;
}

/** Data points the server accepted the request for but did not store. */
export interface MetricsPartialSuccess {
  rejectedDataPoints: number;
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

/** OTLP/JSON ExportLogsServiceResponse. */
export interface LogsResponseJson {
  partialSuccess?: { rejectedLogRecords: string; errorMessage: string };
}

/** OTLP/JSON ExportMetricsServiceResponse. */
export interface MetricsResponseJson {
  partialSuccess?: { rejectedDataPoints: string; errorMessage: string };
}

/** Something to report: a rejected count or a message (a warning). Otherwise full success. */
function hasPartial(rejected: number | undefined, errorMessage: string | undefined): boolean {
  return count(rejected ?? 0) > 0 || !!errorMessage;
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
  if (!partial || !hasPartial(partial.rejectedSpans, partial.errorMessage)) return new Uint8Array(0);
  return ExportTraceServiceResponse.encode({
    partialSuccess: { rejectedSpans: int64(count(partial.rejectedSpans)), errorMessage: partial.errorMessage },
  }).finish();
}

/** ExportLogsServiceResponse (protobuf) for a 200: empty on full success, else partial_success{rejected_log_records, error_message}. */
export function encodeLogsResponse(partial?: LogsPartialSuccess): Uint8Array {
  if (!partial || !hasPartial(partial.rejectedLogRecords, partial.errorMessage)) return new Uint8Array(0);
  return ExportLogsServiceResponse.encode({
    partialSuccess: { rejectedLogRecords: int64(count(partial.rejectedLogRecords)), errorMessage: partial.errorMessage },
  }).finish();
}

/** ExportMetricsServiceResponse (protobuf) for a 200: empty on full success, else partial_success{rejected_data_points, error_message}. */
export function encodeMetricsResponse(partial?: MetricsPartialSuccess): Uint8Array {
  if (!partial || !hasPartial(partial.rejectedDataPoints, partial.errorMessage)) return new Uint8Array(0);
  return ExportMetricsServiceResponse.encode({
    partialSuccess: { rejectedDataPoints: int64(count(partial.rejectedDataPoints)), errorMessage: partial.errorMessage },
  }).finish();
}

/** google.rpc.Status (protobuf): the body of every 4xx/5xx OTLP/HTTP protobuf response. */
export function encodeRpcStatus(status: RpcStatus): Uint8Array {
  return google.rpc.Status.encode({ code: status.code | 0, message: status.message }).finish();
}

/** ExportTraceServiceResponse in OTLP/JSON shape (int64 rejectedSpans as a decimal string). */
export function traceResponseJson(partial?: TracePartialSuccess): TraceResponseJson {
  if (!partial || !hasPartial(partial.rejectedSpans, partial.errorMessage)) return {};
  return { partialSuccess: { rejectedSpans: String(count(partial.rejectedSpans)), errorMessage: partial.errorMessage } };
}

/** ExportLogsServiceResponse in OTLP/JSON shape (int64 rejectedLogRecords as a decimal string). */
export function logsResponseJson(partial?: LogsPartialSuccess): LogsResponseJson {
  if (!partial || !hasPartial(partial.rejectedLogRecords, partial.errorMessage)) return {};
  return { partialSuccess: { rejectedLogRecords: String(count(partial.rejectedLogRecords)), errorMessage: partial.errorMessage } };
}

/** ExportMetricsServiceResponse in OTLP/JSON shape (int64 rejectedDataPoints as a decimal string). */
export function metricsResponseJson(partial?: MetricsPartialSuccess): MetricsResponseJson {
  if (!partial || !hasPartial(partial.rejectedDataPoints, partial.errorMessage)) return {};
  return { partialSuccess: { rejectedDataPoints: String(count(partial.rejectedDataPoints)), errorMessage: partial.errorMessage } };
}

/** google.rpc.Status in OTLP/JSON shape. */
export function rpcStatusJson(status: RpcStatus): RpcStatus {
  return { code: status.code | 0, message: status.message };
}
