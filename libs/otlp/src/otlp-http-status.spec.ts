import { google } from './generated/otlp';
import { otlpEncodingOf, otlpErrorBody, rpcCodeForHttpStatus, RpcCode, summarizeRejections } from './otlp-http-status';

describe('OTLP/HTTP status mapping', () => {
  it('pairs HTTP error statuses with google.rpc codes as the OTLP/HTTP spec does', () => {
    expect([400, 401, 403, 404, 413, 415, 429, 500, 503].map(rpcCodeForHttpStatus)).toEqual([
      RpcCode.INVALID_ARGUMENT,
      RpcCode.UNAUTHENTICATED,
      RpcCode.PERMISSION_DENIED,
      RpcCode.NOT_FOUND,
      RpcCode.RESOURCE_EXHAUSTED,
      RpcCode.INVALID_ARGUMENT,
      RpcCode.RESOURCE_EXHAUSTED,
      RpcCode.INTERNAL,
      RpcCode.UNAVAILABLE,
    ]);
  });

  it('reads the encoding from Content-Type (parameters and case ignored), null for anything else', () => {
    expect(otlpEncodingOf('application/x-protobuf')).toBe('protobuf');
    expect(otlpEncodingOf('application/protobuf')).toBe('protobuf');
    expect(otlpEncodingOf('Application/JSON; charset=utf-8')).toBe('json');
    expect(otlpEncodingOf('text/plain')).toBeNull();
    expect(otlpEncodingOf(undefined)).toBeNull();
  });

  it('writes an error as a google.rpc.Status in the request encoding', () => {
    expect(otlpErrorBody('json', 503, 'down')).toEqual({ contentType: 'application/json', body: JSON.stringify({ code: 14, message: 'down' }) });
    const proto = otlpErrorBody('protobuf', 401, 'no key');
    expect(proto.contentType).toBe('application/x-protobuf');
    expect(google.rpc.Status.toObject(google.rpc.Status.decode(proto.body as Uint8Array))).toEqual({ code: 16, message: 'no key' });
  });

  it('sums rejections by reason, metric points by their count', () => {
    expect(summarizeRejections([])).toEqual({ rejected: 0, message: '', byReason: {} });
    expect(summarizeRejections([{ reason: 'bad id' }, { reason: 'too deep' }, { reason: 'bad id' }, { reason: 'no points', count: 3 }])).toEqual({
      rejected: 6,
      message: '2 rejected: bad id; 1 rejected: too deep; 3 rejected: no points',
      byReason: { 'bad id': 2, 'too deep': 1, 'no points': 3 },
    });
  });
});
