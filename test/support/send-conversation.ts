import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { otelPipeline } from './send-spans';

/** One turn of a conversation: an agent run with one LLM call (the seed's shape, semconv attributes). */
export interface ConversationTurn {
  question: string;
  answer: string;
  provider: 'openai' | 'anthropic';
  model: string;
  inputTokens: number;
  outputTokens: number;
  /** The call fails (status error, error.type set), without an answer. */
  error?: boolean;
  /** Milliseconds the call lasts (the span's start is moved back by this much). */
  latencyMs?: number;
}

/**
 * Sends each turn as its own trace through the real OTel exporter (protobuf), all carrying
 * `gen_ai.conversation.id`, in order, each call's input holding the history so far plus the new question.
 * Returns the trace ids, oldest first.
 */
export async function sendConversation(
  baseUrl: string,
  apiKey: string,
  projectId: string,
  conversationId: string,
  turns: ConversationTurn[],
  options: { agentName?: string; userId?: string; extraChatAttributes?: Record<string, string | number>; startAt?: number; spacingMs?: number } = {},
): Promise<string[]> {
  const agentName = options.agentName ?? 'support-bot';
  const { flush, tracer } = otelPipeline(`${baseUrl}/api/otel/v1/traces`, { Authorization: `Bearer ${apiKey}`, 'X-Temps-Project-Id': projectId }, 'chat-app');
  const history: { role: string; content: string }[] = [];
  const traceIds: string[] = [];
  // Turns 3 s apart (or spacingMs), ending now (or from startAt): the session orders its traces by start.
  const spacing = options.spacingMs ?? 3000;
  const t0 = options.startAt ?? Date.now() - turns.length * spacing;
  for (const [i, turn] of turns.entries()) {
    const start = t0 + i * spacing;
    const latency = Math.min(2500, turn.latencyMs ?? 400);
    const agent = tracer.startSpan(`invoke_agent ${agentName}`, { startTime: start });
    agent.setAttribute('gen_ai.operation.name', 'invoke_agent');
    agent.setAttribute('gen_ai.agent.name', agentName);
    agent.setAttribute('gen_ai.conversation.id', conversationId);
    if (options.userId) agent.setAttribute('user.id', options.userId);
    const ctx = trace.setSpan(context.active(), agent);
    const chat = tracer.startSpan(`chat ${turn.model}`, { kind: SpanKind.CLIENT, startTime: start + 10 }, ctx);
    for (const [k, v] of Object.entries(options.extraChatAttributes ?? {})) chat.setAttribute(k, v);
    chat.setAttribute('gen_ai.operation.name', 'chat');
    chat.setAttribute('gen_ai.provider.name', turn.provider);
    chat.setAttribute('gen_ai.request.model', turn.model);
    chat.setAttribute('gen_ai.response.model', turn.model);
    chat.setAttribute('gen_ai.conversation.id', conversationId);
    chat.setAttribute('gen_ai.usage.input_tokens', turn.inputTokens);
    chat.setAttribute('gen_ai.usage.output_tokens', turn.outputTokens);
    history.push({ role: 'user', content: turn.question });
    chat.setAttribute('gen_ai.input.messages', JSON.stringify(history.map((m) => ({ role: m.role, parts: [{ type: 'text', content: m.content }] }))));
    if (turn.error) {
      chat.setAttribute('error.type', 'RateLimitError');
      chat.setStatus({ code: SpanStatusCode.ERROR, message: 'Rate limit reached for requests' });
    } else {
      chat.setAttribute('gen_ai.response.finish_reasons', ['stop']);
      chat.setAttribute('gen_ai.output.messages', JSON.stringify([{ role: 'assistant', parts: [{ type: 'text', content: turn.answer }], finish_reason: 'stop' }]));
      chat.setStatus({ code: SpanStatusCode.OK });
      history.push({ role: 'assistant', content: turn.answer });
    }
    chat.end(start + 10 + latency);
    // A failed call fails its trace; the agent span itself only records that it ended.
    if (!turn.error) agent.setStatus({ code: SpanStatusCode.OK });
    agent.end(start + 15 + latency);
    traceIds.push(agent.spanContext().traceId);
  }
  await flush();
  return traceIds;
}
