import { context, SpanKind, trace } from '@opentelemetry/api';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';

export interface BuiltRequest {
  body: Buffer;
  /** `${traceId}/${spanId}` of every span in the body. */
  spans: string[];
  traceIds: string[];
}

/**
 * Real SDK spans serialized by the real OTel protobuf serializer: `count` requests, each holding
 * `tracesPerRequest` traces of 4 spans (invoke_agent -> chat, execute_tool, chat). Every id is fresh.
 */
export function buildAgentRequests(count: number, tracesPerRequest: number): BuiltRequest[] {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'load-app' }),
    spanProcessors: [new SimpleSpanProcessor({ exporter })],
  });
  const tracer = provider.getTracer('load');
  const out: BuiltRequest[] = [];
  for (let r = 0; r < count; r++) {
    exporter.reset();
    for (let t = 0; t < tracesPerRequest; t++) {
      const agent = tracer.startSpan('invoke_agent loader', { attributes: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'loader' } });
      const ctx = trace.setSpan(context.active(), agent);
      for (const op of ['chat', 'execute_tool', 'chat']) {
        const s = tracer.startSpan(`${op} x`, { kind: SpanKind.CLIENT }, ctx);
        s.setAttributes({ 'gen_ai.operation.name': op, 'gen_ai.system': 'openai', 'gen_ai.request.model': 'gpt-4o', 'gen_ai.usage.input_tokens': 10, 'gen_ai.usage.output_tokens': 2 });
        s.end();
      }
      agent.end();
    }
    const finished = exporter.getFinishedSpans();
    out.push({
      body: Buffer.from(ProtobufTraceSerializer.serializeRequest(finished)!),
      spans: finished.map((s) => `${s.spanContext().traceId}/${s.spanContext().spanId}`),
      traceIds: [...new Set(finished.map((s) => s.spanContext().traceId))],
    });
  }
  return out;
}
