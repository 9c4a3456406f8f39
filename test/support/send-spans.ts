import { context, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { checkedExporter } from './checked-exporter';

/**
 * A real OTel SDK pipeline (TracerProvider + BatchSpanProcessor, or SimpleSpanProcessor: one export per ended span,
 * + OTLP/HTTP protobuf exporter). `flush()` flushes, shuts down and throws when any export failed, with its status
 * and the server's answer; `exported()` does the same but keeps the pipeline open (a run still going on).
 */
export function otelPipeline(
  url: string,
  headers: Record<string, string>,
  serviceName = 'my-ai-app',
  options: { processor?: 'batch' | 'simple'; batch?: { maxQueueSize?: number; maxExportBatchSize?: number; scheduledDelayMillis?: number } } = {},
) {
  const { exporter, delivered } = checkedExporter(new OTLPTraceExporter({ url, headers }), url);
  const processor = options.processor === 'simple' ? new SimpleSpanProcessor({ exporter }) : new BatchSpanProcessor({ exporter, ...options.batch });
  const provider = new TracerProvider({ resource: resourceFromAttributes({ 'service.name': serviceName }), spanProcessors: [processor] });
  async function exported(): Promise<void> {
    const flushError = await provider.forceFlush().then(
      () => null,
      (err: unknown) => err,
    );
    delivered(); // first: a failed export's status and answer say more than the processor's rejection
    if (flushError) throw new Error(`flushing spans to ${url} failed: ${String(flushError)}`);
  }
  async function flush(): Promise<void> {
    try {
      await exported();
    } finally {
      await provider.shutdown();
    }
  }
  return { provider, tracer: provider.getTracer('my-ai-app'), exporter, exported, flush };
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
