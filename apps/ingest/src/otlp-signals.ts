import { compactLogRecordData, compactSpanDataJson, EventTypes, logRecordStreamTime, metricStreamTime, spanIdTimeMs, Streams, type IngestMetadata, type LogRecordReceivedData, type MetricReceivedData, type SpanReceivedData } from '@temps/domain';
import { deterministicEventId, timeOrderedEventId, type NewEvent } from '@temps/event-store';
import * as otlp from '@temps/otlp';

export type Signal = 'traces' | 'logs' | 'metrics';
export type Encoding = otlp.OtlpEncoding;

export interface Decoded<T> {
  items: T[];
  rejected: { reason: string }[];
}

/** One OTLP signal: how to decode it, how to answer, and which event each item becomes. */
export interface SignalCodec<T> {
  signal: Signal;
  /** The OTLP request message, for error messages. */
  requestName: string;
  decode(encoding: Encoding, body: Uint8Array, limits: otlp.DecodeLimits): Decoded<T>;
  /** Success (with partial_success when some items were rejected) in the request's encoding. */
  response(encoding: Encoding, rejected: number, message: string): Uint8Array | object;
  /** The stream and event for one accepted item. */
  toEvent(item: T, metadata: IngestMetadata): { stream: string; event: NewEvent };
}

/**
 * An event whose data is its JSON, parsed only when a store asks for the object (EventStoreDB's client
 * does; SQLite stores dataJson as it is). Ingest holds a request's events until their commit: as
 * strings only, so the objects built for them die young instead of being promoted while awaiting it.
 */
function jsonEvent(id: string, type: string, dataJson: string, metadata: IngestMetadata): NewEvent {
  let data: unknown;
  return {
    id,
    type,
    dataJson,
    metadata: metadata as never,
    get data() {
      return (data ??= JSON.parse(dataJson));
    },
  };
}

/**
 * The same string, flattened in place. The protobuf reader builds each span's JSON by concatenation (a
 * rope sharing its resource and scope); the event id's join copies a rope without flattening it, so the
 * writer hand-off's clone walked the rope again. ToNumber flattens in place (and fails fast on '{'): one
 * walk serves both (decode + id + clone on the bench's bodies: 13.5-14.2 us/span instead of 15.1-15.3).
 */
function flat(json: string): string {
  Number(json);
  return json;
}

const traces: SignalCodec<SpanReceivedData | otlp.CompactSpanItem> = {
  signal: 'traces',
  requestName: 'ExportTraceServiceRequest',
  // Spans before 2000 or more than a day ahead are rejected per item (they would sort first for good).
  // Protobuf spans come as their stored JSON already (decodeTraceRequestCompact: one pass, no OTLP/JSON objects).
  decode: (encoding, body, limits) =>
    otlp.rejectImplausibleSpanTimes<SpanReceivedData | otlp.CompactSpanItem>(encoding === 'json' ? otlp.decodeTraceRequestJson(body, limits) : otlp.decodeTraceRequestCompact(body, limits), Date.now()),
  response: (encoding, rejected, message) => {
    const partial = rejected ? { rejectedSpans: rejected, errorMessage: message } : undefined;
    return encoding === 'json' ? otlp.traceResponseJson(partial) : otlp.encodeTraceResponse(partial);
  },
  toEvent: (received, metadata) => {
    // Stored with attribute maps (schema version 2): the same span, lossless, in fewer JSON objects.
    const dataJson = 'json' in received ? flat(received.json) : compactSpanDataJson(received).json;
    const { traceId, spanId } = received.span;
    return {
      stream: Streams.trace(metadata.projectId, traceId),
      event: jsonEvent(timeOrderedEventId(spanIdTimeMs(received.span), metadata.projectId, traceId, spanId, dataJson), EventTypes.SpanReceived, dataJson, metadata),
    };
  },
};

const logs: SignalCodec<LogRecordReceivedData> = {
  signal: 'logs',
  requestName: 'ExportLogsServiceRequest',
  // Records at implausible times are rejected per item, as spans are: their time names their stream.
  decode: (encoding, body, limits) => otlp.rejectImplausibleLogTimes(encoding === 'json' ? otlp.decodeLogsRequestJson(body, limits) : otlp.decodeLogsRequest(body, limits), Date.now()),
  response: (encoding, rejected, message) => {
    const partial = rejected ? { rejectedLogRecords: rejected, errorMessage: message } : undefined;
    return encoding === 'json' ? otlp.logsResponseJson(partial) : otlp.encodeLogsResponse(partial);
  },
  toEvent: (received, metadata) => {
    const data = compactLogRecordData(received);
    const dataJson = JSON.stringify(data);
    const traceId = data.logRecord.traceId;
    // Records with trace context join their trace's stream (GenAI content events); the rest go per project and
    // hour of their own time, so a retry received in a later hour names the same stream (the time received
    // only when the record carries no time at all).
    return {
      stream: traceId ? Streams.trace(metadata.projectId, traceId) : Streams.logs(metadata.projectId, logRecordStreamTime(data.logRecord) ?? metadata.receivedAt),
      event: jsonEvent(deterministicEventId('log', metadata.projectId, dataJson), EventTypes.LogRecordReceived, dataJson, metadata),
    };
  },
};

const metrics: SignalCodec<MetricReceivedData> = {
  signal: 'metrics',
  requestName: 'ExportMetricsServiceRequest',
  decode: (encoding, body, limits) => otlp.rejectImplausibleMetricTimes(encoding === 'json' ? otlp.decodeMetricsRequestJson(body, limits) : otlp.decodeMetricsRequest(body, limits), Date.now()),
  response: (encoding, rejected, message) => {
    const partial = rejected ? { rejectedDataPoints: rejected, errorMessage: message } : undefined;
    return encoding === 'json' ? otlp.metricsResponseJson(partial) : otlp.encodeMetricsResponse(partial);
  },
  toEvent: (data, metadata) => {
    const dataJson = JSON.stringify(data);
    return {
      // The hour of the metric's latest point, as for logs: a retry names the same stream whenever it comes.
      stream: Streams.metrics(metadata.projectId, metricStreamTime(data.metric) ?? metadata.receivedAt),
      event: jsonEvent(deterministicEventId('metric', metadata.projectId, dataJson), EventTypes.MetricReceived, dataJson, metadata),
    };
  },
};

export const SIGNAL_CODECS: Record<Signal, SignalCodec<unknown>> = { traces, logs, metrics } as Record<Signal, SignalCodec<unknown>>;
