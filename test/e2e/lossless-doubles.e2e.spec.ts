import { Streams } from '@temps/domain';
import { otelPipeline } from '../support/send-spans';
import { hexId, JSON_TYPE, postOtlp } from '../support/otlp-raw';
import { readEvents } from '../support/server-inspect';
import { startServer, type RunningServer } from '../support/temps-server';

/**
 * NaN, Infinity and -Infinity in attribute values are kept exactly as received: sent by the real OTel
 * protobuf exporter and as hand-written OTLP/JSON (the JSON exporter cannot send them: JSON.stringify
 * makes them null), then read back from the event store file as the OTLP/JSON they were received as.
 */
describe('lossless doubles: NaN and the infinities round-trip through the event store', () => {
  let server: RunningServer;

  beforeAll(async () => {
    server = await startServer();
  }, 60_000);
  afterAll(() => server?.stop());

  /** The one stored SpanReceived event of this trace, as OTLP/JSON (otlpSpanData) and as stored. */
  const storedSpan = (traceId: string) => {
    const events = readEvents(server.dataDir, { stream: Streams.trace(server.projectId, traceId) }).filter((e) => e.type === 'SpanReceived');
    expect(events).toHaveLength(1);
    return events[0]!;
  };
  const attribute = (otlp: any, key: string) => otlp.span.attributes.find((kv: { key: string }) => kv.key === key)?.value;

  it('from the real OTel protobuf exporter', async () => {
    const { flush, tracer } = otelPipeline(`${server.url}/api/otel/v1/traces`, { Authorization: `Bearer ${server.apiKey}`, 'X-Temps-Project-Id': server.projectId });
    const span = tracer.startSpan('chat gpt-4o');
    span.setAttribute('gen_ai.operation.name', 'chat');
    span.setAttribute('score.nan', NaN);
    span.setAttribute('score.inf', Infinity);
    span.setAttribute('score.neg_inf', -Infinity);
    span.setAttribute('score.half', 0.5);
    span.setAttribute('scores', [NaN, 1.5, -Infinity]);
    span.end();
    const traceId = span.spanContext().traceId;
    await flush();

    const event = storedSpan(traceId);
    expect(attribute(event.otlp, 'score.nan')).toStrictEqual({ doubleValue: 'NaN' });
    expect(attribute(event.otlp, 'score.inf')).toStrictEqual({ doubleValue: 'Infinity' });
    expect(attribute(event.otlp, 'score.neg_inf')).toStrictEqual({ doubleValue: '-Infinity' });
    expect(attribute(event.otlp, 'score.half')).toStrictEqual({ doubleValue: 0.5 });
    expect(attribute(event.otlp, 'scores')).toStrictEqual({ arrayValue: { values: [{ doubleValue: 'NaN' }, { doubleValue: 1.5 }, { doubleValue: '-Infinity' }] } });
    // As stored (event schema 2): tagged, never {"double": null}.
    expect(event.data.span.attributes['score.nan']).toStrictEqual({ double: 'NaN' });
    expect(event.data.span.attributes['score.neg_inf']).toStrictEqual({ double: '-Infinity' });
  });

  it('from OTLP/JSON, where they are the strings "NaN", "Infinity" and "-Infinity"', async () => {
    const traceId = hexId(16);
    const now = BigInt(Date.now()) * 1_000_000n;
    const attrs = [
      { key: 'gen_ai.operation.name', value: { stringValue: 'chat' } },
      { key: 'score.nan', value: { doubleValue: 'NaN' } },
      { key: 'score.inf', value: { doubleValue: 'Infinity' } },
      { key: 'score.neg_inf', value: { doubleValue: '-Infinity' } },
      { key: 'nested', value: { kvlistValue: { values: [{ key: 'x', value: { doubleValue: 'NaN' } }] } } },
    ];
    const body = JSON.stringify({
      resourceSpans: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'doubles' } }] },
          scopeSpans: [{ scope: { name: 'raw' }, spans: [{ traceId, spanId: hexId(8), name: 'chat', kind: 3, startTimeUnixNano: String(now), endTimeUnixNano: String(now + 1_000_000n), attributes: attrs }] }],
        },
      ],
    });
    const reply = await postOtlp(`${server.url}/api/otel/v1/traces`, body, { 'Content-Type': JSON_TYPE, Authorization: `Bearer ${server.apiKey}`, 'X-Temps-Project-Id': server.projectId });
    expect(reply.status).toBe(200);
    expect(reply.partial).toBeNull();

    const event = storedSpan(traceId);
    expect(event.otlp.span.attributes).toStrictEqual(attrs);
  });
});
