import { context, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { ExportResultCode } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';

/**
 * A real OTel SDK pipeline (TracerProvider + BatchSpanProcessor + OTLP/HTTP protobuf exporter).
 * `flush()` flushes, shuts down and throws when any export failed: the SDK only logs a failed export (after its
 * own retries, e.g. of 429s), so a test that sent spans the server refused would otherwise wait for data that never came.
 */
export function otelPipeline(url: string, headers: Record<string, string>, serviceName = 'my-ai-app') {
  const exporter = new OTLPTraceExporter({ url, headers });
  const failures: string[] = [];
  const send = exporter.export.bind(exporter);
  exporter.export = (spans, done) =>
    send(spans, (result) => {
      if (result.code !== ExportResultCode.SUCCESS) failures.push(`${spans.length} spans: ${result.error?.message ?? 'export failed'}`);
      done(result);
    });
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': serviceName }),
    spanProcessors: [new BatchSpanProcessor({ exporter })],
  });
  async function flush(): Promise<void> {
    // The processor also rejects with the export's errors (an array): the message below says what was dropped.
    await provider.forceFlush().catch((err: unknown) => {
      if (failures.length === 0) failures.push(`spans: ${String(err)}`);
    });
    await provider.shutdown();
    if (failures.length > 0) throw new Error(`the OTLP exporter to ${url} dropped ${failures.join('; ')}`);
  }
  return { provider, tracer: provider.getTracer('my-ai-app'), exporter, flush };
}

function child<T>(parent: Span, fn: (ctx: ReturnType<typeof context.active>) => T): T {
  return fn(trace.setSpan(context.active(), parent));
}

/**
 * The seed's "Tracing agent workflows" example, sent by the real exporter:
 * invoke_agent -> chat (asks for a tool) -> execute_tool -> chat (final answer).
 */
export async function sendAgentTrace(
  baseUrl: string,
  apiKey: string,
  projectId: string,
  options: { agentName?: string; path?: string; model?: string } = {},
): Promise<{ traceId: string; rootSpanId: string }> {
  const agentName = options.agentName ?? 'research-assistant';
  const model = options.model ?? 'gpt-4o';
  const { flush, tracer } = otelPipeline(`${baseUrl}${options.path ?? '/api/otel/v1/traces'}`, {
    Authorization: `Bearer ${apiKey}`,
    'X-Temps-Project-Id': projectId,
  });
  const agent = tracer.startSpan(`invoke_agent ${agentName}`);
  agent.setAttribute('gen_ai.operation.name', 'invoke_agent');
  agent.setAttribute('gen_ai.agent.name', agentName);
  // The agent span repeats its children's usage, as many frameworks do: it must not be counted twice.
  agent.setAttribute('gen_ai.usage.input_tokens', 150 + 410);
  agent.setAttribute('gen_ai.usage.output_tokens', 32 + 96);

  child(agent, (ctx) => {
    const chat = tracer.startSpan(`chat ${model}`, { kind: SpanKind.CLIENT }, ctx);
    chat.setAttribute('gen_ai.operation.name', 'chat');
    chat.setAttribute('gen_ai.system', 'openai');
    chat.setAttribute('gen_ai.request.model', model);
    chat.setAttribute('gen_ai.response.model', `${model}-2024-08-06`);
    chat.setAttribute('gen_ai.usage.input_tokens', 150);
    chat.setAttribute('gen_ai.usage.output_tokens', 32);
    chat.setAttribute('gen_ai.response.finish_reasons', ['tool_calls']);
    chat.setAttribute('gen_ai.input.messages', JSON.stringify([{ role: 'user', content: 'What is new in quantum computing?' }]));
    chat.setAttribute(
      'gen_ai.output.messages',
      JSON.stringify([{ role: 'assistant', parts: [{ type: 'tool_call', id: 'call_1', name: 'search_web', arguments: { query: 'quantum computing news' } }], finish_reason: 'tool_calls' }]),
    );
    chat.setStatus({ code: SpanStatusCode.OK });
    chat.end();

    const tool = tracer.startSpan('execute_tool search_web', {}, ctx);
    tool.setAttribute('gen_ai.operation.name', 'execute_tool');
    tool.setAttribute('gen_ai.tool.name', 'search_web');
    tool.setAttribute('gen_ai.tool.call.arguments', '{"query": "quantum computing news"}');
    tool.setAttribute('gen_ai.tool.call.result', '{"results": ["Error-corrected qubits reach 99.9%"]}');
    tool.end();

    const chat2 = tracer.startSpan(`chat ${model}`, { kind: SpanKind.CLIENT }, ctx);
    chat2.setAttribute('gen_ai.operation.name', 'chat');
    chat2.setAttribute('gen_ai.provider.name', 'openai');
    chat2.setAttribute('gen_ai.request.model', model);
    chat2.setAttribute('gen_ai.response.model', `${model}-2024-08-06`);
    // The deprecated names, still sent by older instrumentations.
    chat2.setAttribute('gen_ai.usage.prompt_tokens', 410);
    chat2.setAttribute('gen_ai.usage.completion_tokens', 96);
    chat2.setAttribute('gen_ai.response.finish_reasons', ['stop']);
    chat2.setAttribute('gen_ai.output.messages', JSON.stringify([{ role: 'assistant', content: 'Error-corrected qubits reached 99.9% fidelity.' }]));
    chat2.setStatus({ code: SpanStatusCode.OK });
    chat2.end();
  });
  agent.setStatus({ code: SpanStatusCode.OK });
  agent.end();
  const traceId = agent.spanContext().traceId;
  const rootSpanId = agent.spanContext().spanId;
  await flush();
  return { traceId, rootSpanId };
}
