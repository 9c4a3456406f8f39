import { randomBytes } from 'node:crypto';
import { util } from 'protobufjs/minimal';
import { google, opentelemetry } from '../../libs/otlp/src/generated/otlp';

/**
 * Hand-made OTLP payloads (protobuf through the generated classes, or raw wire bytes where the
 * generated encoder cannot go: bad framing, nesting deeper than any sane encoder allows) and
 * decoding of every kind of OTLP/HTTP answer (Export*ServiceResponse or google.rpc.Status, in
 * protobuf or JSON).
 */

const { ExportTraceServiceRequest, ExportTraceServiceResponse } = opentelemetry.proto.collector.trace.v1;
const { ExportLogsServiceRequest, ExportLogsServiceResponse } = opentelemetry.proto.collector.logs.v1;
const { ExportMetricsServiceResponse } = opentelemetry.proto.collector.metrics.v1;
const { Span, ScopeSpans } = opentelemetry.proto.trace.v1;
const { Resource } = opentelemetry.proto.resource.v1;
type Long = opentelemetry.proto.trace.v1.Span['startTimeUnixNano'];
export type PbKeyValue = opentelemetry.proto.common.v1.KeyValue.$Properties;

export const PROTOBUF = 'application/x-protobuf';
export const JSON_TYPE = 'application/json';

/** google.rpc.Code values (https://github.com/googleapis/googleapis/blob/master/google/rpc/code.proto). */
export const RpcCode = { INVALID_ARGUMENT: 3, NOT_FOUND: 5, PERMISSION_DENIED: 7, RESOURCE_EXHAUSTED: 8, INTERNAL: 13, UNAVAILABLE: 14, UNAUTHENTICATED: 16 } as const;

/** A fresh random id of `bytes` bytes, lowercase hex. */
export const hexId = (bytes: number): string => randomBytes(bytes).toString('hex');

const long = (n: bigint): Long => new util.Long(Number(n & 0xffffffffn) | 0, Number((n >> 32n) & 0xffffffffn) | 0, true) as Long;
export const nowNanos = (): bigint => BigInt(Date.now()) * 1_000_000n;

export const str = (key: string, value: string): PbKeyValue => ({ key, value: { stringValue: value } });
export const int = (key: string, value: number): PbKeyValue => ({ key, value: { intValue: long(BigInt(value)) } });

export interface SpanSpec {
  /** Hex: any length (a wrong length is the point of some tests). */
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name?: string;
  kind?: number;
  /** Start time in ns since the epoch (default: now); the span lasts `durationNs` (default 5 ms). */
  startNs?: bigint;
  durationNs?: bigint;
  attributes?: PbKeyValue[];
}

// ---- raw protobuf wire helpers ----

export function varint(n: number): Buffer {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return Buffer.from(out);
}

/** One length-delimited field (wire type 2). */
export function lenField(fieldNo: number, payload: Buffer | Uint8Array): Buffer {
  return Buffer.concat([varint((fieldNo << 3) | 2), varint(payload.length), payload]);
}

/**
 * The wire bytes of an AnyValue nested `depth` levels deep: depth 1 is a plain string, each further
 * level a kvlist_value {values: [{key: "k", value: <previous>}]}. Built iteratively, so any depth.
 */
export function nestedKvlistAnyValue(depth: number): Buffer {
  let any = lenField(1, Buffer.from('leaf'));
  for (let i = 1; i < depth; i++) {
    const kv = Buffer.concat([lenField(1, Buffer.from('k')), lenField(2, any)]);
    any = lenField(6, lenField(1, kv));
  }
  return any;
}

/** The same nesting in OTLP/JSON. */
export function nestedKvlistAnyValueJson(depth: number): string {
  const open = '{"kvlistValue":{"values":[{"key":"k","value":';
  const close = '}]}}';
  return open.repeat(depth - 1) + '{"stringValue":"leaf"}' + close.repeat(depth - 1);
}

/** A KeyValue (wire bytes) whose value is the given AnyValue wire bytes. */
export function rawKeyValue(key: string, anyValueBytes: Buffer): Buffer {
  return Buffer.concat([lenField(1, Buffer.from(key)), lenField(2, anyValueBytes)]);
}

/**
 * One Span message (wire bytes). `rawAttributes` are KeyValue wire bytes appended as extra
 * `attributes` (field 9) entries: protobuf merges repeated fields across the message.
 */
export function encodeSpan(spec: SpanSpec, rawAttributes: Buffer[] = []): Buffer {
  const start = spec.startNs ?? nowNanos();
  const span = Buffer.from(
    Span.encode({
      traceId: Buffer.from(spec.traceId, 'hex'),
      spanId: Buffer.from(spec.spanId, 'hex'),
      parentSpanId: spec.parentSpanId ? Buffer.from(spec.parentSpanId, 'hex') : undefined,
      name: spec.name ?? 'chat gpt-4o',
      kind: spec.kind ?? 3,
      startTimeUnixNano: long(start),
      endTimeUnixNano: long(start + (spec.durationNs ?? 5_000_000n)),
      attributes: spec.attributes ?? [str('gen_ai.operation.name', 'chat'), str('gen_ai.system', 'openai'), str('gen_ai.request.model', 'gpt-4o')],
    }).finish(),
  );
  return rawAttributes.length ? Buffer.concat([span, ...rawAttributes.map((kv) => lenField(9, kv))]) : span;
}

/** ExportTraceServiceRequest (protobuf) with one resource and one scope holding these spans. */
export function traceRequest(spans: (SpanSpec | Buffer)[], serviceName = 'bad-input-app'): Buffer {
  const resource = Buffer.from(Resource.encode({ attributes: [str('service.name', serviceName)] }).finish());
  const scope = Buffer.from(ScopeSpans.encode({ scope: { name: 'otlp-raw', version: '1.0.0' } }).finish());
  const scopeSpans = Buffer.concat([scope, ...spans.map((s) => lenField(2, Buffer.isBuffer(s) ? s : encodeSpan(s)))]);
  const resourceSpans = Buffer.concat([lenField(1, resource), lenField(2, scopeSpans)]);
  return lenField(1, resourceSpans);
}

/** Checks a body decodes with the generated classes (so a "valid" payload in a test really is). */
export function decodeTraceRequestForTest(body: Uint8Array) {
  return ExportTraceServiceRequest.decode(body);
}

/** ExportTraceServiceRequest in OTLP/JSON. */
export function traceRequestJson(spans: SpanSpec[], serviceName = 'bad-input-app', rawAttributeJson: Record<number, string> = {}): string {
  const spanJson = spans.map((s, i) => {
    const start = s.startNs ?? nowNanos();
    const attrs = (s.attributes ?? [str('gen_ai.operation.name', 'chat'), str('gen_ai.system', 'openai')]).map((kv) => JSON.stringify({ key: kv.key, value: { stringValue: kv.value?.stringValue ?? '' } }));
    if (rawAttributeJson[i]) attrs.push(rawAttributeJson[i]!);
    return `{"traceId":"${s.traceId}","spanId":"${s.spanId}",${s.parentSpanId ? `"parentSpanId":"${s.parentSpanId}",` : ''}"name":${JSON.stringify(s.name ?? 'chat gpt-4o')},"kind":${s.kind ?? 3},"startTimeUnixNano":"${start}","endTimeUnixNano":"${start + (s.durationNs ?? 5_000_000n)}","attributes":[${attrs.join(',')}]}`;
  });
  return `{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":${JSON.stringify(serviceName)}}}]},"scopeSpans":[{"scope":{"name":"otlp-raw"},"spans":[${spanJson.join(',')}]}]}]}`;
}

/**
 * An ExportLogsServiceRequest (protobuf) with `n` log records: GenAI content events carrying trace
 * context, or (`minimal`) records holding only severity_text, whose bytes also decode as spans
 * with no ids (the OTLP envelopes share field numbers).
 */
export function logsRequest(n: number, options: { traceId?: string; spanId?: string; minimal?: boolean } = {}): Buffer {
  const t = long(nowNanos());
  const record = (i: number) =>
    options.minimal
      ? { severityText: 'INFO' }
      : {
          timeUnixNano: t,
          observedTimeUnixNano: t,
          severityNumber: 9,
          eventName: 'gen_ai.user.message',
          body: { kvlistValue: { values: [str('content', `hello ${i}`)] } },
          attributes: [str('gen_ai.system', 'openai')],
          traceId: Buffer.from(options.traceId ?? hexId(16), 'hex'),
          spanId: Buffer.from(options.spanId ?? hexId(8), 'hex'),
        };
  return Buffer.from(
    ExportLogsServiceRequest.encode({
      resourceLogs: [
        {
          resource: { attributes: [str('service.name', 'logs-app')] },
          scopeLogs: [{ scope: { name: 'otlp-raw' }, logRecords: Array.from({ length: n }, (_, i) => record(i)) }],
        },
      ],
    }).finish(),
  );
}

// ---- answers ----

export interface OtlpReply {
  status: number;
  contentType: string;
  headers: Headers;
  raw: Buffer;
  /** google.rpc.Status of a 4xx/5xx (decoded from protobuf, or the parsed JSON). */
  rpc?: { code: number; message: string; details?: unknown[] };
  /**
   * partial_success of a 200: null on full success (empty message / `{}`), else the rejected count
   * (whichever of rejected_spans / rejected_log_records / rejected_data_points) and error_message.
   */
  partial?: { rejected: number; errorMessage: string } | null;
  /** The parsed body of a JSON answer. */
  json?: any;
}

type Signal = 'traces' | 'logs' | 'metrics';
const signalOf = (url: string): Signal | null => (/\/(traces|logs|metrics)(\?|$)/.exec(url)?.[1] as Signal | undefined) ?? null;

/** Decodes any OTLP/HTTP answer by its status and Content-Type. Throws when the body is not what it should be. */
export function decodeReply(url: string, status: number, headers: Headers, raw: Buffer): OtlpReply {
  const contentType = headers.get('content-type') ?? '';
  const reply: OtlpReply = { status, contentType, headers, raw };
  const mime = contentType.split(';')[0]!.trim();
  if (mime === JSON_TYPE) {
    reply.json = JSON.parse(raw.toString('utf8'));
    if (status === 200) {
      const p = reply.json.partialSuccess;
      reply.partial = p
        ? { rejected: Number(p.rejectedSpans ?? p.rejectedLogRecords ?? p.rejectedDataPoints ?? 0), errorMessage: String(p.errorMessage ?? '') }
        : null;
    } else {
      reply.rpc = reply.json;
    }
  } else if (mime === PROTOBUF) {
    if (status === 200) {
      const signal = signalOf(url);
      if (signal === 'logs') {
        const p = ExportLogsServiceResponse.decode(raw).partialSuccess;
        reply.partial = p ? { rejected: Number(p.rejectedLogRecords?.toString() ?? 0), errorMessage: p.errorMessage ?? '' } : null;
      } else if (signal === 'metrics') {
        const p = ExportMetricsServiceResponse.decode(raw).partialSuccess;
        reply.partial = p ? { rejected: Number(p.rejectedDataPoints?.toString() ?? 0), errorMessage: p.errorMessage ?? '' } : null;
      } else {
        const p = ExportTraceServiceResponse.decode(raw).partialSuccess;
        reply.partial = p ? { rejected: Number(p.rejectedSpans?.toString() ?? 0), errorMessage: p.errorMessage ?? '' } : null;
      }
    } else {
      const s = google.rpc.Status.decode(raw);
      reply.rpc = { code: s.code, message: s.message, details: s.details };
    }
  }
  return reply;
}

/** POSTs to an OTLP path and decodes the answer. */
export async function postOtlp(url: string, body: Buffer | string | Uint8Array, headers: Record<string, string>): Promise<OtlpReply> {
  const res = await fetch(url, { method: 'POST', body: body as RequestInit['body'], headers });
  const raw = Buffer.from(await res.arrayBuffer());
  return decodeReply(url, res.status, res.headers, raw);
}
