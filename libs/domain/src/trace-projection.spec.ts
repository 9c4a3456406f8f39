import type { KeyValue } from './any-value';
import type { IngestMetadata, SpanReceivedData } from './events';
import { foldTraceBatch, type ProjectableEvent } from './trace-projection';
import type { SpanDocument } from './span-document';

const TRACE = '0af7651916cd43dd8448eb211c80319c';
const meta: IngestMetadata = { projectId: '1', receivedAt: '2026-11-27T00:00:00.000Z', requestId: 'r', encoding: 'protobuf', schemaVersion: 1 };

const attrs = (o: Record<string, string | number | string[]>): KeyValue[] =>
  Object.entries(o).map(([key, v]) => ({
    key,
    value: Array.isArray(v)
      ? { arrayValue: { values: v.map((s) => ({ stringValue: s })) } }
      : typeof v === 'number'
        ? { intValue: String(v) }
        : { stringValue: v },
  }));

function spanEvent(position: number, spanId: string, parent: string | undefined, name: string, a: Record<string, string | number | string[]>, startMs = position): ProjectableEvent {
  const data: SpanReceivedData = {
    span: {
      traceId: TRACE,
      spanId,
      parentSpanId: parent,
      name,
      kind: 1,
      startTimeUnixNano: `${1_780_000_000_000 + startMs}000000`,
      endTimeUnixNano: `${1_780_000_000_000 + startMs + 100}000000`,
      attributes: attrs(a),
      events: [],
      links: [],
      status: { code: 1 },
    },
    resource: { attributes: attrs({ 'service.name': 'svc' }) },
    scope: { name: 'test', attributes: [] },
  };
  return { type: 'SpanReceived', position: BigInt(position), data, metadata: meta };
}

// The seed's agent workflow: the agent span repeats its children's usage.
const agent = spanEvent(1, 'a000000000000001', undefined, 'invoke_agent research-assistant', {
  'gen_ai.operation.name': 'invoke_agent',
  'gen_ai.agent.name': 'research-assistant',
  'gen_ai.usage.input_tokens': 300,
  'gen_ai.usage.output_tokens': 70,
});
const chat1 = spanEvent(2, 'c000000000000001', 'a000000000000001', 'chat gpt-4o', {
  'gen_ai.operation.name': 'chat',
  'gen_ai.system': 'openai',
  'gen_ai.request.model': 'gpt-4o',
  'gen_ai.response.model': 'gpt-4o-2024-08-06',
  'gen_ai.usage.input_tokens': 100,
  'gen_ai.usage.output_tokens': 20,
  'gen_ai.response.finish_reasons': ['tool_calls'],
});
const tool = spanEvent(3, 't000000000000001', 'a000000000000001', 'execute_tool search_web', {
  'gen_ai.operation.name': 'execute_tool',
  'gen_ai.tool.name': 'search_web',
});
const chat2 = spanEvent(4, 'c000000000000002', 'a000000000000001', 'chat gpt-4o', {
  'gen_ai.operation.name': 'chat',
  'gen_ai.provider.name': 'openai',
  'gen_ai.request.model': 'gpt-4o',
  'gen_ai.usage.prompt_tokens': 200,
  'gen_ai.usage.completion_tokens': 50,
});
const all = [agent, chat1, tool, chat2];

/** Applies batches one after another the way the projector does: load existing, fold, store. */
function project(batches: ProjectableEvent[][]) {
  const store = new Map<string, SpanDocument>();
  let traces: ReturnType<typeof foldTraceBatch>['traces'] = [];
  for (const batch of batches) {
    const out = foldTraceBatch([...store.values()], batch);
    for (const s of out.spans) store.set(s.spanId, s);
    if (out.traces.length) traces = out.traces;
  }
  return { spans: [...store.values()].sort((a, b) => a.spanId.localeCompare(b.spanId)), trace: traces[0] };
}

describe('trace projection (pure fold)', () => {
  it('summarizes the agent workflow without double counting the agent span', () => {
    const { trace, spans } = project([all]);
    expect(trace).toMatchObject({
      rootSpanName: 'invoke_agent research-assistant',
      serviceName: 'svc',
      spanCount: 4,
      providers: ['openai'],
      models: ['gpt-4o', 'gpt-4o-2024-08-06'],
      inputTokens: 300,
      outputTokens: 70,
      status: 'ok',
      inProgress: false,
      agentNames: ['research-assistant'],
    });
    expect(spans.find((s) => s.spanId === 'c000000000000001')!.finishReasons).toEqual(['tool_call']);
  });

  it('ends in the same documents whatever the arrival order (children before parents)', () => {
    const forward = project([all]);
    const backward = project([[chat2], [tool, chat1], [agent]]);
    const strip = (x: typeof forward) => ({ ...x, trace: { ...x.trace, updatedPosition: '' } });
    expect(strip(backward)).toEqual(strip(forward));
  });

  it('is idempotent: applying a batch twice changes nothing', () => {
    const once = project([all]);
    const twice = project([all, all]);
    expect(twice).toEqual(once);
    expect(foldTraceBatch(once.spans, all).spans).toEqual([]);
  });

  it('marks a trace whose parent is known only from its children as in progress', () => {
    const { trace } = project([[chat1, tool]]);
    expect(trace).toMatchObject({ inProgress: true, spanCount: 2, inputTokens: 100, rootSpanName: 'chat gpt-4o' });
    const done = project([[chat1, tool], [agent]]);
    expect(done.trace).toMatchObject({ inProgress: false, rootSpanName: 'invoke_agent research-assistant' });
  });

  it('keeps the newest version of a span that is sent again with new content', () => {
    const updated = spanEvent(9, 'c000000000000001', 'a000000000000001', 'chat gpt-4o', { 'gen_ai.operation.name': 'chat', 'gen_ai.usage.input_tokens': 111 }, 2);
    const a = project([all, [updated]]);
    const b = project([[updated], all]);
    expect(a.spans.find((s) => s.spanId === 'c000000000000001')!.inputTokens).toBe(111);
    expect(b.spans).toEqual(a.spans);
  });
});
