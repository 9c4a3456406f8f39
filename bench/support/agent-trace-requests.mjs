// The ingest benches' request bodies (bench/run.mjs, bench/ingest-threads.mjs).
import { context, trace, SpanKind } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';

/** Real SDK spans, serialized by the real OTel serializer: a GenAI agent trace shape, 20-ish attributes per span. */
export function agentTraceRequests(count, spansPerRequest, serializer = ProtobufTraceSerializer) {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'bench-app', 'deployment.environment': 'bench' }),
    spanProcessors: [new SimpleSpanProcessor({ exporter })],
  });
  const tracer = provider.getTracer('bench');
  const bodies = [];
  for (let r = 0; r < count; r++) {
    exporter.reset();
    for (let t = 0; t < spansPerRequest / 4; t++) {
      const agent = tracer.startSpan('invoke_agent bench-agent', { attributes: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'bench-agent' } });
      const ctx = trace.setSpan(context.active(), agent);
      for (let c = 0; c < 3; c++) {
        const s = tracer.startSpan(c === 1 ? 'execute_tool search' : 'chat gpt-4o', { kind: SpanKind.CLIENT }, ctx);
        s.setAttributes({
          'gen_ai.operation.name': c === 1 ? 'execute_tool' : 'chat',
          'gen_ai.system': 'openai',
          'gen_ai.request.model': 'gpt-4o',
          'gen_ai.response.model': 'gpt-4o-2024-08-06',
          'gen_ai.usage.input_tokens': 100 + c,
          'gen_ai.usage.output_tokens': 20 + c,
          'gen_ai.response.finish_reasons': ['stop'],
          'gen_ai.response.id': `chatcmpl-${r}-${t}-${c}`,
          'gen_ai.request.temperature': 0.7,
          'gen_ai.request.max_tokens': 1024,
          'server.address': 'api.openai.com',
          'server.port': 443,
          'gen_ai.input.messages': JSON.stringify([{ role: 'user', content: `question ${r}/${t}/${c}: what is the weather in Paris?` }]),
          'gen_ai.output.messages': JSON.stringify([{ role: 'assistant', content: 'It is sunny, 21°C.' }]),
          'gen_ai.tool.name': 'search',
          'gen_ai.tool.call.arguments': '{"q":"weather paris"}',
          'gen_ai.tool.call.result': '{"temp":21}',
          'app.user': `user-${t % 17}`,
        });
        s.end();
      }
      agent.end();
    }
    bodies.push(Buffer.from(serializer.serializeRequest(exporter.getFinishedSpans())));
  }
  return bodies;
}
