import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The demo's OTLP/JSON export requests: what a small AI app would send in its first minute. Semconv `gen_ai.*`
 * (the seed's agent workflow, a streamed chat, a failed call, a three-turn conversation) plus two recorded
 * payloads of other dialects (Vercel AI SDK `ai.*` spans, OpenLLMetry `traceloop.*`/`gen_ai.prompt.N`), given
 * fresh ids and times. Every resource says `service.name=temps-demo` and `temps.demo=true`.
 */

export const DEMO_SERVICE = 'temps-demo';

type AnyValue = { stringValue: string } | { intValue: string } | { doubleValue: number } | { boolValue: boolean } | { arrayValue: { values: AnyValue[] } };
type KeyValue = { key: string; value: AnyValue };
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: KeyValue[];
  events?: unknown[];
  links?: unknown[];
  status?: { code: number; message?: string };
  [more: string]: unknown;
}
interface ResourceSpans {
  resource: { attributes: KeyValue[]; [more: string]: unknown };
  scopeSpans: { scope: { name: string; version?: string }; spans: OtlpSpan[] }[];
}
export interface OtlpTraceRequest {
  resourceSpans: ResourceSpans[];
}

const hex = (bytes: number) => randomBytes(bytes).toString('hex');
const value = (v: string | number | boolean | string[]): AnyValue =>
  Array.isArray(v) ? { arrayValue: { values: v.map((s) => ({ stringValue: s })) } } : typeof v === 'string' ? { stringValue: v } : typeof v === 'boolean' ? { boolValue: v } : Number.isInteger(v) ? { intValue: String(v) } : { doubleValue: v };
const attrs = (o: Record<string, string | number | boolean | string[] | undefined>): KeyValue[] =>
  Object.entries(o).flatMap(([key, v]) => (v === undefined ? [] : [{ key, value: value(v) }]));
const nanos = (ms: number) => `${BigInt(Math.round(ms)) * 1_000_000n}`;
const msg = (role: string, content: string) => JSON.stringify([{ role, parts: [{ type: 'text', content }] }]);

const CLIENT = 3;
const INTERNAL = 1;
const ERROR = 2;

function resource(extra: Record<string, string> = {}): ResourceSpans['resource'] {
  return { attributes: attrs({ 'service.name': DEMO_SERVICE, 'temps.demo': true, 'telemetry.sdk.language': 'python', 'deployment.environment': 'demo', ...extra }) };
}

/** One span; times are milliseconds since the epoch. */
function span(traceId: string, name: string, start: number, end: number, a: Record<string, string | number | boolean | string[] | undefined>, opts: { parent?: string; kind?: number; error?: string } = {}): OtlpSpan {
  return {
    traceId,
    spanId: hex(8),
    ...(opts.parent ? { parentSpanId: opts.parent } : {}),
    name,
    kind: opts.kind ?? CLIENT,
    startTimeUnixNano: nanos(start),
    endTimeUnixNano: nanos(end),
    attributes: attrs(a),
    status: opts.error ? { code: ERROR, message: opts.error } : { code: 0 },
  };
}

function chat(model: string, input: number, output: number, extra: Record<string, string | number | boolean | string[] | undefined> = {}) {
  return {
    'gen_ai.operation.name': 'chat',
    'gen_ai.provider.name': 'openai',
    'gen_ai.request.model': model,
    'gen_ai.response.model': `${model}-2024-08-06`,
    'gen_ai.usage.input_tokens': input,
    'gen_ai.usage.output_tokens': output,
    'gen_ai.response.finish_reasons': ['stop'],
    ...extra,
  };
}

/** The seed's agent workflow: invoke_agent -> chat -> execute_tool -> chat. */
function agentWorkflow(t0: number): OtlpTraceRequest {
  const traceId = hex(16);
  const root = span(traceId, 'invoke_agent research-assistant', t0, t0 + 4200, { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'research-assistant', 'gen_ai.provider.name': 'openai' }, { kind: INTERNAL });
  const first = span(traceId, 'chat gpt-4o', t0 + 20, t0 + 1400, chat('gpt-4o', 150, 32, {
    'gen_ai.input.messages': msg('user', 'What changed in the OpenTelemetry GenAI conventions this year?'),
    'gen_ai.output.messages': JSON.stringify([{ role: 'assistant', parts: [{ type: 'tool_call', id: 'call_1', name: 'search_web', arguments: { query: 'OpenTelemetry GenAI semantic conventions changes' } }], finish_reason: 'tool_calls' }]),
    'gen_ai.response.finish_reasons': ['tool_calls'],
  }), { parent: root.spanId });
  const tool = span(traceId, 'execute_tool search_web', t0 + 1410, t0 + 2100, {
    'gen_ai.operation.name': 'execute_tool',
    'gen_ai.tool.name': 'search_web',
    'gen_ai.tool.call.id': 'call_1',
    'gen_ai.tool.call.arguments': JSON.stringify({ query: 'OpenTelemetry GenAI semantic conventions changes' }),
    'gen_ai.tool.call.result': JSON.stringify({ results: ['gen_ai.provider.name replaced gen_ai.system', 'messages moved to gen_ai.input.messages'] }),
  }, { parent: root.spanId, kind: INTERNAL });
  const final = span(traceId, 'chat gpt-4o', t0 + 2110, t0 + 4150, chat('gpt-4o', 410, 96, {
    'gen_ai.output.messages': JSON.stringify([{ role: 'assistant', parts: [{ type: 'text', content: 'Two changes stand out: gen_ai.provider.name replaced gen_ai.system, and messages are now gen_ai.input.messages / gen_ai.output.messages.' }], finish_reason: 'stop' }]),
  }), { parent: root.spanId });
  return { resourceSpans: [{ resource: resource(), scopeSpans: [{ scope: { name: 'opentelemetry.instrumentation.openai_v2' }, spans: [root, first, tool, final] }] }] };
}

/** A streamed chat: time to first token and the streamed answer. */
function streamedChat(t0: number): OtlpTraceRequest {
  const traceId = hex(16);
  const s = span(traceId, 'chat gpt-4o-mini', t0, t0 + 2600, chat('gpt-4o-mini', 64, 210, {
    'gen_ai.request.stream': true,
    'gen_ai.response.time_to_first_chunk': 0.31,
    'gen_ai.input.messages': msg('user', 'Write a haiku about distributed tracing.'),
    'gen_ai.output.messages': JSON.stringify([{ role: 'assistant', parts: [{ type: 'text', content: 'Spans drift like leaves,\none trace id binds them all:\nthe request comes home.' }], finish_reason: 'stop' }]),
    'gen_ai.response.model': 'gpt-4o-mini-2024-07-18',
  }));
  return { resourceSpans: [{ resource: resource(), scopeSpans: [{ scope: { name: 'opentelemetry.instrumentation.openai_v2' }, spans: [s] }] }] };
}

/** A call that failed: rate limited by the provider. */
function failedCall(t0: number): OtlpTraceRequest {
  const traceId = hex(16);
  const s = span(traceId, 'chat claude-sonnet-4', t0, t0 + 380, {
    'gen_ai.operation.name': 'chat',
    'gen_ai.provider.name': 'anthropic',
    'gen_ai.request.model': 'claude-sonnet-4-20250514',
    'gen_ai.input.messages': msg('user', 'Summarise this incident report in three bullet points.'),
    'error.type': 'RateLimitError',
    'http.response.status_code': 429,
  }, { error: 'Error code: 429 - rate_limit_error: Number of request tokens has exceeded your per-minute rate limit' });
  return { resourceSpans: [{ resource: resource(), scopeSpans: [{ scope: { name: 'opentelemetry.instrumentation.anthropic' }, spans: [s] }] }] };
}

/** A conversation of three turns (one trace per turn, one gen_ai.conversation.id): a session. */
function conversation(t0: number): OtlpTraceRequest[] {
  const conversationId = `demo-conversation-${hex(4)}`;
  const turns = [
    ['Hi! Can you help me plan a trip to Lisbon?', 'Of course! How many days, and what do you enjoy most: food, history or beaches?'],
    ['Three days, mostly food.', 'Day 1: Time Out Market and Alfama. Day 2: pastéis in Belém. Day 3: a seafood lunch in Cascais.'],
    ['Perfect, thanks. Any tip for the airport?', 'Take the red metro line from the airport: about 25 minutes to the centre.'],
  ];
  const history: { role: string; parts: { type: string; content: string }[] }[] = [];
  return turns.map(([question, answer], i) => {
    const traceId = hex(16);
    const start = t0 + i * 45_000;
    history.push({ role: 'user', parts: [{ type: 'text', content: question! }] });
    const s = span(traceId, 'chat gpt-4o', start, start + 1300 + i * 200, chat('gpt-4o', 40 + i * 70, 30 + i * 10, {
      'gen_ai.conversation.id': conversationId,
      'gen_ai.system_instructions': JSON.stringify([{ type: 'text', content: 'You are a friendly travel assistant.' }]),
      'gen_ai.input.messages': JSON.stringify(history),
      'gen_ai.output.messages': JSON.stringify([{ role: 'assistant', parts: [{ type: 'text', content: answer }], finish_reason: 'stop' }]),
    }));
    history.push({ role: 'assistant', parts: [{ type: 'text', content: answer! }] });
    return { resourceSpans: [{ resource: resource(), scopeSpans: [{ scope: { name: 'opentelemetry.instrumentation.openai_v2' }, spans: [s] }] }] };
  });
}

/** Payloads recorded from the real clients (test/fixtures/recorded: traceloop-instrumentation-openai-js, ai-sdk-legacy). */
const recorded = (name: string) => JSON.parse(readFileSync(join(__dirname, `${name}.traces.json`), 'utf8')) as OtlpTraceRequest;

/** A recorded payload with fresh trace and span ids, shifted to start at t0, and the demo's resource marks. */
function replayRecorded(recorded: OtlpTraceRequest, t0: number, language: string): OtlpTraceRequest {
  const copy = JSON.parse(JSON.stringify(recorded)) as OtlpTraceRequest;
  const ids = new Map<string, string>();
  const fresh = (id: string, bytes: number) => {
    if (!ids.has(id)) ids.set(id, hex(bytes));
    return ids.get(id)!;
  };
  const spans = copy.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans));
  const first = spans.reduce((min, s) => (BigInt(s.startTimeUnixNano) < min ? BigInt(s.startTimeUnixNano) : min), BigInt(spans[0]!.startTimeUnixNano));
  const shift = BigInt(nanos(t0)) - first;
  for (const s of spans) {
    s.traceId = fresh(s.traceId, 16);
    s.spanId = fresh(s.spanId, 8);
    if (s.parentSpanId) s.parentSpanId = fresh(s.parentSpanId, 8);
    s.startTimeUnixNano = String(BigInt(s.startTimeUnixNano) + shift);
    s.endTimeUnixNano = String(BigInt(s.endTimeUnixNano) + shift);
  }
  for (const r of copy.resourceSpans) {
    const kept = r.resource.attributes.filter((a) => a.key !== 'service.name');
    r.resource = { ...r.resource, attributes: [...kept, ...resource({ 'telemetry.sdk.language': language }).attributes] };
  }
  return copy;
}

/** The whole demo, spread over the last few minutes before `now`, oldest first. */
export function demoTraceRequests(now = Date.now()): OtlpTraceRequest[] {
  const t = (minutesAgo: number) => now - minutesAgo * 60_000;
  return [
    ...conversation(t(9)),
    failedCall(t(6.5)),
    replayRecorded(recorded('openllmetry'), t(5), 'nodejs'),
    replayRecorded(recorded('vercel-ai-sdk'), t(3.5), 'nodejs'),
    streamedChat(t(2)),
    agentWorkflow(t(1)),
  ];
}

/** Trace ids in these requests (to say what was sent). */
export function traceIdsOf(requests: OtlpTraceRequest[]): string[] {
  return [...new Set(requests.flatMap((r) => r.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((s) => s.spans.map((sp) => sp.traceId)))))];
}
