import { JsonLogsSerializer, JsonMetricsSerializer, JsonTraceSerializer, ProtobufLogsSerializer, ProtobufMetricsSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { encodeLogsResponse, encodeMetricsResponse, encodeRpcStatus, encodeTraceResponse, logsResponseJson, metricsResponseJson, rpcStatusJson, traceResponseJson } from './index';
import { google, opentelemetry } from './generated/otlp';

const { ExportTraceServiceResponse } = opentelemetry.proto.collector.trace.v1;
const { Status } = google.rpc;

describe('encodeTraceResponse', () => {
  it('encodes full success as the empty message', () => {
    for (const bytes of [encodeTraceResponse(), encodeTraceResponse(undefined), encodeTraceResponse({ rejectedSpans: 0, errorMessage: '' })]) {
      expect(bytes).toBeInstanceOf(Uint8Array);
      expect(bytes.length).toBe(0);
      const decoded = ExportTraceServiceResponse.decode(bytes);
      expect(decoded.partialSuccess).toBeFalsy();
      // What the real OpenTelemetry JS exporter makes of it.
      expect(ProtobufTraceSerializer.deserializeResponse(bytes)).toEqual({});
    }
  });

  it('round-trips a partial success through the generated decoder and the real exporter', () => {
    const partial = { rejectedSpans: 3, errorMessage: '3 span(s) rejected: invalid trace id: must be 16 bytes, got 0' };
    const bytes = encodeTraceResponse(partial);
    const decoded = ExportTraceServiceResponse.decode(bytes);
    expect(decoded.partialSuccess).toBeTruthy();
    expect(decoded.partialSuccess!.rejectedSpans!.toString()).toBe('3');
    expect(decoded.partialSuccess!.errorMessage).toBe(partial.errorMessage);
    expect(ExportTraceServiceResponse.toObject(decoded, { longs: String })).toEqual({
      partialSuccess: { rejectedSpans: '3', errorMessage: partial.errorMessage },
    });
    expect(ProtobufTraceSerializer.deserializeResponse(bytes)).toEqual({ partialSuccess: partial });
  });

  it('encodes the exact wire bytes: field 1 { field 1 varint, field 2 string }', () => {
    expect([...encodeTraceResponse({ rejectedSpans: 2, errorMessage: 'x' })]).toEqual([0x0a, 0x05, 0x08, 0x02, 0x12, 0x01, 0x78]);
  });

  it('keeps a warning (nothing rejected, a message) and large counts exact', () => {
    const warning = ExportTraceServiceResponse.decode(encodeTraceResponse({ rejectedSpans: 0, errorMessage: 'span names truncated' }));
    expect(ExportTraceServiceResponse.toObject(warning, { longs: String, defaults: true })).toEqual({
      partialSuccess: { rejectedSpans: '0', errorMessage: 'span names truncated' },
    });
    const big = ExportTraceServiceResponse.decode(encodeTraceResponse({ rejectedSpans: 2 ** 40 + 7, errorMessage: 'many' }));
    expect(big.partialSuccess!.rejectedSpans!.toString()).toBe('1099511627783');
  });
});

describe('encodeRpcStatus', () => {
  it('round-trips a google.rpc.Status', () => {
    const bytes = encodeRpcStatus({ code: 3, message: 'could not decode ExportTraceServiceRequest protobuf: index out of range' });
    const decoded = Status.decode(bytes);
    expect(decoded.code).toBe(3);
    expect(decoded.message).toBe('could not decode ExportTraceServiceRequest protobuf: index out of range');
    expect(decoded.details).toEqual([]);
    expect(Status.toObject(decoded)).toEqual({ code: 3, message: 'could not decode ExportTraceServiceRequest protobuf: index out of range' });
  });

  it('encodes the exact wire bytes: code (field 1 varint), message (field 2 string)', () => {
    expect([...encodeRpcStatus({ code: 16, message: 'no' })]).toEqual([0x08, 0x10, 0x12, 0x02, 0x6e, 0x6f]);
    expect([...encodeRpcStatus({ code: 0, message: '' })]).toEqual([]);
  });

  it('keeps non-ASCII messages intact', () => {
    expect(Status.decode(encodeRpcStatus({ code: 8, message: 'trop de données: 64 MiB ✗' })).message).toBe('trop de données: 64 MiB ✗');
  });
});

describe('OTLP/JSON equivalents', () => {
  it('traceResponseJson: {} on full success, partialSuccess with rejectedSpans as a decimal string', () => {
    expect(traceResponseJson()).toEqual({});
    expect(traceResponseJson({ rejectedSpans: 0, errorMessage: '' })).toEqual({});
    const partial = { rejectedSpans: 5, errorMessage: '5 span(s) rejected: invalid span id: all zero' };
    const json = traceResponseJson(partial);
    expect(json).toStrictEqual({ partialSuccess: { rejectedSpans: '5', errorMessage: partial.errorMessage } });
    // The same shape the generated code gives for the protobuf response, and what the real JSON exporter reads.
    expect(ExportTraceServiceResponse.toObject(ExportTraceServiceResponse.decode(encodeTraceResponse(partial)), { longs: String })).toEqual(json);
    const parsed = JsonTraceSerializer.deserializeResponse(new TextEncoder().encode(JSON.stringify(json)));
    expect(parsed.partialSuccess?.errorMessage).toBe(partial.errorMessage);
    expect(Number(parsed.partialSuccess?.rejectedSpans)).toBe(5);
  });

  it('rpcStatusJson: { code, message }', () => {
    const status = { code: 14, message: 'the event store is unavailable, retry later' };
    expect(rpcStatusJson(status)).toStrictEqual(status);
    expect(Status.toObject(Status.decode(encodeRpcStatus(status)))).toEqual(rpcStatusJson(status));
  });
});

describe('logs and metrics responses', () => {
  const { ExportLogsServiceResponse } = opentelemetry.proto.collector.logs.v1;
  const { ExportMetricsServiceResponse } = opentelemetry.proto.collector.metrics.v1;

  it('encode full success as the empty message and JSON {}', () => {
    for (const bytes of [encodeLogsResponse(), encodeLogsResponse({ rejectedLogRecords: 0, errorMessage: '' }), encodeMetricsResponse(), encodeMetricsResponse({ rejectedDataPoints: 0, errorMessage: '' })]) {
      expect(bytes).toBeInstanceOf(Uint8Array);
      expect(bytes.length).toBe(0);
    }
    expect(ProtobufLogsSerializer.deserializeResponse(encodeLogsResponse())).toEqual({});
    expect(ProtobufMetricsSerializer.deserializeResponse(encodeMetricsResponse())).toEqual({});
    expect(logsResponseJson()).toEqual({});
    expect(metricsResponseJson({ rejectedDataPoints: 0, errorMessage: '' })).toEqual({});
  });

  it('encode partial success with rejected_log_records / rejected_data_points (field 1) and error_message (field 2)', () => {
    const logs = { rejectedLogRecords: 2, errorMessage: '2 rejected: invalid trace id: must be 16 bytes, got 15' };
    const logsBytes = encodeLogsResponse(logs);
    expect(ExportLogsServiceResponse.toObject(ExportLogsServiceResponse.decode(logsBytes), { longs: String })).toEqual({
      partialSuccess: { rejectedLogRecords: '2', errorMessage: logs.errorMessage },
    });
    expect(ProtobufLogsSerializer.deserializeResponse(logsBytes)).toEqual({ partialSuccess: logs });
    expect([...encodeLogsResponse({ rejectedLogRecords: 3, errorMessage: 'x' })]).toEqual([0x0a, 0x05, 0x08, 0x03, 0x12, 0x01, 0x78]);

    const metrics = { rejectedDataPoints: 2 ** 40 + 1, errorMessage: '5 rejected: too many data point attributes: 5000 > 1024' };
    const metricsBytes = encodeMetricsResponse(metrics);
    expect(ExportMetricsServiceResponse.toObject(ExportMetricsServiceResponse.decode(metricsBytes), { longs: String })).toEqual({
      partialSuccess: { rejectedDataPoints: '1099511627777', errorMessage: metrics.errorMessage },
    });
    expect(ProtobufMetricsSerializer.deserializeResponse(metricsBytes)).toEqual({ partialSuccess: metrics });
  });

  it('have OTLP/JSON twins that the real JSON exporters read', () => {
    const logs = logsResponseJson({ rejectedLogRecords: 4, errorMessage: 'm' });
    expect(logs).toStrictEqual({ partialSuccess: { rejectedLogRecords: '4', errorMessage: 'm' } });
    expect(Number(JsonLogsSerializer.deserializeResponse(new TextEncoder().encode(JSON.stringify(logs))).partialSuccess?.rejectedLogRecords)).toBe(4);
    const metrics = metricsResponseJson({ rejectedDataPoints: 0, errorMessage: 'a warning' });
    expect(metrics).toStrictEqual({ partialSuccess: { rejectedDataPoints: '0', errorMessage: 'a warning' } });
    expect(JsonMetricsSerializer.deserializeResponse(new TextEncoder().encode(JSON.stringify(metrics))).partialSuccess?.errorMessage).toBe('a warning');
  });
});
