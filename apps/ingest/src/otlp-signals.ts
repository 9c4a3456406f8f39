import { compactLogRecordData, compactSpanDataJson, EventTypes, Streams, type IngestMetadata, type LogRecordReceivedData, type MetricReceivedData, type SpanReceivedData } from '@temps/domain';
import { deterministicEventId, type NewEvent } from '@temps/event-store';
import * as otlp from '@temps/otlp';

export type Signal = 'traces' | 'logs' | 'metrics';
export type Encoding = 'protobuf' | 'json';

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


const traces: SignalCodec<SpanReceivedData> = {
  signal: 'traces',
  requestName: 'ExportTraceServiceRequest',
  // Spans before 2000 or more than a day ahead are rejected per item (they would sort first for good).
  decode: (encoding, body, limits) => otlp.rejectImplausibleSpanTimes(encoding === 'json' ? otlp.decodeTraceRequestJson(body, limits) : otlp.decodeTraceRequest(body, limits), Date.now()),
  response: (encoding, rejected, message) => {
    const partial = rejected ? { rejectedSpans: rejected, errorMessage: message } : undefined;
    return encoding === 'json' ? otlp.traceResponseJson(partial) : otlp.encodeTraceResponse(partial);
  },
  toEvent: (received, metadata) => {
    // Stored with attribute maps (schema version 2): the same span, lossless, in fewer JSON objects.
    const { data, json: dataJson } = compactSpanDataJson(received);
    return {
      stream: Streams.trace(metadata.projectId, data.span.traceId),
      event: { id: deterministicEventId(metadata.projectId, data.span.traceId, data.span.spanId, dataJson), type: EventTypes.SpanReceived, data, dataJson, metadata: metadata as never },
    };
  },
};

const logs: SignalCodec<LogRecordReceivedData> = {
  signal: 'logs',
  requestName: 'ExportLogsServiceRequest',
  decode: (encoding, body, limits) => (encoding === 'json' ? otlp.decodeLogsRequestJson(body, limits) : otlp.decodeLogsRequest(body, limits)),
  response: (encoding, rejected, message) => {
    const partial = rejected ? { rejectedLogRecords: rejected, errorMessage: message } : undefined;
    return encoding === 'json' ? otlp.logsResponseJson(partial) : otlp.encodeLogsResponse(partial);
  },
  toEvent: (received, metadata) => {
    const data = compactLogRecordData(received);
    const dataJson = JSON.stringify(data);
    const traceId = data.logRecord.traceId;
    // Records with trace context join their trace's stream (GenAI content events); the rest go per project.
    return {
      stream: traceId ? Streams.trace(metadata.projectId, traceId) : Streams.logs(metadata.projectId),
      event: { id: deterministicEventId('log', metadata.projectId, dataJson), type: EventTypes.LogRecordReceived, data, dataJson, metadata: metadata as never },
    };
  },
};

const metrics: SignalCodec<MetricReceivedData> = {
  signal: 'metrics',
  requestName: 'ExportMetricsServiceRequest',
  decode: (encoding, body, limits) => (encoding === 'json' ? otlp.decodeMetricsRequestJson(body, limits) : otlp.decodeMetricsRequest(body, limits)),
  response: (encoding, rejected, message) => {
    const partial = rejected ? { rejectedDataPoints: rejected, errorMessage: message } : undefined;
    return encoding === 'json' ? otlp.metricsResponseJson(partial) : otlp.encodeMetricsResponse(partial);
  },
  toEvent: (data, metadata) => {
    const dataJson = JSON.stringify(data);
    return {
      stream: Streams.metrics(metadata.projectId),
      event: { id: deterministicEventId('metric', metadata.projectId, dataJson), type: EventTypes.MetricReceived, data, dataJson, metadata: metadata as never },
    };
  },
};

export const SIGNAL_CODECS: Record<Signal, SignalCodec<unknown>> = { traces, logs, metrics } as Record<Signal, SignalCodec<unknown>>;
