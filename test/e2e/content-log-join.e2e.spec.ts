import { ROOT_CONTEXT, SeverityNumber, SpanKind, trace, TraceFlags } from '@opentelemetry/api';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { checkedExporter } from '../support/checked-exporter';
import { eventually, getJson, startServer, TEST_API_KEY, type RunningServer } from '../support/temps-server';

/**
 * GenAI content sent as OTLP log records (what opentelemetry-instrumentation-openai-v2 and the JS
 * OpenAI instrumentation do) is joined to its chat span in the trace view, whichever arrives first.
 */
describe('content log records are joined to their span', () => {
  let server: RunningServer;
  const headers = { Authorization: `Bearer ${TEST_API_KEY}`, 'X-Temps-Project-Id': '1' };
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  async function sendChatSpan(): Promise<{ traceId: string; spanId: string }> {
    const { exporter, delivered } = checkedExporter(new OTLPTraceExporter({ url: `${server.url}/api/otel/v1/traces`, headers }), `${server.url}/api/otel/v1/traces`);
    const provider = new TracerProvider({ resource: resourceFromAttributes({ 'service.name': 'openai-v2-app' }), spanProcessors: [new SimpleSpanProcessor({ exporter })] });
    // As the instrumentation emits it with content capture: no content on the span itself.
    const span = provider.getTracer('opentelemetry.instrumentation.openai_v2').startSpan('chat gpt-4o-mini', {
      kind: SpanKind.CLIENT,
      attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.system': 'openai', 'gen_ai.request.model': 'gpt-4o-mini', 'gen_ai.usage.input_tokens': 12, 'gen_ai.usage.output_tokens': 9 },
    });
    span.end();
    await provider.forceFlush();
    await provider.shutdown();
    delivered(); // a refused export fails here, with its status, not in the wait for the joined span
    return { traceId: span.spanContext().traceId, spanId: span.spanContext().spanId };
  }

  async function sendContentLogs(traceId: string, spanId: string): Promise<void> {
    const { exporter, delivered } = checkedExporter(new OTLPLogExporter({ url: `${server.url}/api/otel/v1/logs`, headers }), `${server.url}/api/otel/v1/logs`, 'log records');
    const provider = new LoggerProvider({ resource: resourceFromAttributes({ 'service.name': 'openai-v2-app' }), processors: [new SimpleLogRecordProcessor({ exporter })] });
    const logger = provider.getLogger('opentelemetry.instrumentation.openai_v2');
    const context = trace.setSpanContext(ROOT_CONTEXT, { traceId, spanId, traceFlags: TraceFlags.SAMPLED });
    logger.emit({ eventName: 'gen_ai.system.message', severityNumber: SeverityNumber.INFO, attributes: { 'gen_ai.system': 'openai' }, body: { content: 'You are a weather bot.' }, context });
    logger.emit({ eventName: 'gen_ai.user.message', severityNumber: SeverityNumber.INFO, attributes: { 'gen_ai.system': 'openai' }, body: { content: 'Weather in Paris?' }, context });
    logger.emit({
      eventName: 'gen_ai.choice',
      severityNumber: SeverityNumber.INFO,
      attributes: { 'gen_ai.system': 'openai' },
      body: { index: 0, finish_reason: 'tool_calls', message: { role: 'assistant', tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"location":"Paris"}' } }] } },
      context,
    });
    await provider.forceFlush();
    await provider.shutdown();
    delivered(); // a refused export fails here, with its status, not in the wait for the joined span
  }

  const chatSpan = (traceId: string) =>
    eventually(async () => {
      const { status, body } = await getJson(server, `/api/projects/1/ai/traces/${traceId}`);
      const span = status === 200 ? body.spans[0] : undefined;
      return span?.outputMessages ? span : undefined;
    }, 15_000, `the joined conversation of trace ${traceId}`);

  function expectConversation(span: any) {
    expect(span.inputMessages).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ role: 'system', parts: [expect.objectContaining({ type: 'text', content: 'You are a weather bot.' })] }),
        expect.objectContaining({ role: 'user', parts: [expect.objectContaining({ type: 'text', content: 'Weather in Paris?' })] }),
      ]),
    );
    expect(span.outputMessages[0].parts).toEqual([expect.objectContaining({ type: 'tool_call', id: 'call_1', name: 'get_weather', arguments: { location: 'Paris' } })]);
    expect(span).toMatchObject({ inputTokens: 12, outputTokens: 9, requestModel: 'gpt-4o-mini', provider: 'openai' });
  }

  it('joins log records that arrive after the span', async () => {
    const { traceId, spanId } = await sendChatSpan();
    await eventually(async () => ((await getJson(server, `/api/projects/1/ai/traces/${traceId}`)).status === 200 ? true : undefined));
    await sendContentLogs(traceId, spanId);
    expectConversation(await chatSpan(traceId));
  });

  it('joins log records that arrive before the span', async () => {
    // Ids chosen up front, as a span still running would have them when its logs are exported.
    const { exporter, delivered } = checkedExporter(new OTLPTraceExporter({ url: `${server.url}/api/otel/v1/traces`, headers }), `${server.url}/api/otel/v1/traces`);
    const provider = new TracerProvider({ resource: resourceFromAttributes({ 'service.name': 'openai-v2-app' }), spanProcessors: [new SimpleSpanProcessor({ exporter })] });
    const span = provider.getTracer('opentelemetry.instrumentation.openai_v2').startSpan('chat gpt-4o-mini', {
      kind: SpanKind.CLIENT,
      attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.system': 'openai', 'gen_ai.request.model': 'gpt-4o-mini', 'gen_ai.usage.input_tokens': 12, 'gen_ai.usage.output_tokens': 9 },
    });
    const { traceId, spanId } = span.spanContext();
    await sendContentLogs(traceId, spanId);
    span.end();
    await provider.forceFlush();
    await provider.shutdown();
    delivered(); // a refused export fails here, with its status, not in the wait for the joined span
    expectConversation(await chatSpan(traceId));
  });
});
