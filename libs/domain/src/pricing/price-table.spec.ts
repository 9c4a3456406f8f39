import type { KeyValue } from '../any-value';
import type { IngestMetadata, ModelPriceSetData, SpanReceivedData } from '../events';
import type { SpanDocument } from '../span-document';
import { foldTraceBatch, rebuildTraces, type ProjectableEvent } from '../trace-projection';
import { costOf, currentPrices, evolvePriceTable, modelCandidates, priceFor, priceTableOf, validateModelPrice } from './price-table';

const set = (data: ModelPriceSetData) => ({ type: 'ModelPriceSet', data });
const price = (model: string, effectiveFrom: string, input: number, output: number, extra: Partial<ModelPriceSetData> & Partial<ModelPriceSetData['perMillionTokens']> = {}) => {
  const { provider, source, cachedInputRead, cacheWrite, reasoning } = extra;
  const perMillionTokens: ModelPriceSetData['perMillionTokens'] = { input, output };
  if (cachedInputRead !== undefined) perMillionTokens.cachedInputRead = cachedInputRead;
  if (cacheWrite !== undefined) perMillionTokens.cacheWrite = cacheWrite;
  if (reasoning !== undefined) perMillionTokens.reasoning = reasoning;
  return set({ ...(provider ? { provider } : {}), model, effectiveFrom, currency: 'USD', perMillionTokens, ...(source ? { source } : {}) });
};

const table = priceTableOf([
  price('gpt-4o', '2024-05-13', 5, 15, { provider: 'openai' }),
  price('gpt-4o', '2024-10-01', 2.5, 10, { provider: 'openai', cachedInputRead: 1.25 }),
  price('gpt-4o-mini', '2024-07-18', 0.15, 0.6, { provider: 'openai' }),
  price('gpt-4o-2024-05-13', '2024-05-13', 5, 15, { provider: 'openai' }),
  price('claude-sonnet-4-5', '2025-09-29', 3, 15, { provider: 'anthropic', cachedInputRead: 0.3, cacheWrite: 3.75 }),
  price('claude-3-5-sonnet', '2024-06-20', 3, 15),
  price('o3', '2025-06-10', 2, 8, { provider: 'openai', reasoning: 8 }),
  price('gemini-2.5-*', '2025-06-17', 0.3, 2.5),
  price('gemini-2.5-pro*', '2025-06-17', 1.25, 10),
]);

describe('priceFor: dated prices and model matching', () => {
  it('takes the entry effective at the time, so a price change applies from its date on', () => {
    expect(priceFor(table, 'openai', 'gpt-4o', '2024-06-01T00:00:00Z')?.perMillionTokens.input).toBe(5);
    expect(priceFor(table, 'openai', 'gpt-4o', '2024-10-01T00:00:00Z')?.perMillionTokens.input).toBe(2.5);
    expect(priceFor(table, 'openai', 'gpt-4o', '2026-01-01T00:00:00Z')?.perMillionTokens.input).toBe(2.5);
    // Before any entry: no price.
    expect(priceFor(table, 'openai', 'gpt-4o', '2024-01-01T00:00:00Z')).toBeNull();
  });

  it('matches dated model names and provider prefixes, an exact dated entry first', () => {
    const at = '2026-01-01T00:00:00Z';
    expect(priceFor(table, 'openai', 'gpt-4o-2024-08-06', at)?.model).toBe('gpt-4o');
    expect(priceFor(table, 'openai', 'gpt-4o-2024-05-13', at)?.model).toBe('gpt-4o-2024-05-13');
    expect(priceFor(table, 'openai', 'openai/gpt-4o-mini-2024-07-18', at)?.model).toBe('gpt-4o-mini');
    expect(priceFor(table, null, 'GPT-4o', at)?.model).toBe('gpt-4o');
    expect(priceFor(table, 'anthropic', 'claude-sonnet-4-5-20250929', at)?.model).toBe('claude-sonnet-4-5');
    expect(priceFor(table, 'aws.bedrock', 'anthropic.claude-3-5-sonnet-20240620-v1:0', at)?.model).toBe('claude-3-5-sonnet');
    // cross-region inference profiles
    expect(priceFor(table, 'aws.bedrock', 'global.anthropic.claude-3-5-sonnet-20240620-v1:0', at)?.model).toBe('claude-3-5-sonnet');
    expect(priceFor(table, 'aws.bedrock', 'apac.anthropic.claude-3-5-sonnet-20240620-v1:0', at)?.model).toBe('claude-3-5-sonnet');
    expect(priceFor(table, 'gcp.vertex_ai', 'claude-3-5-sonnet@20240620', at)?.model).toBe('claude-3-5-sonnet');
    expect(priceFor(table, 'gcp.vertex_ai', 'claude-3-5-sonnet-v2@20241022', at)?.model).toBe('claude-3-5-sonnet');
    expect(priceFor(table, 'gcp.gemini', 'models/gemini-2.5-flash', at)?.model).toBe('gemini-2.5-*');
    // Longest pattern wins.
    expect(priceFor(table, 'gcp.gemini', 'gemini-2.5-pro', at)?.model).toBe('gemini-2.5-pro*');
    // Another provider serving the model: the publisher's price, unless that provider has its own.
    expect(priceFor(table, 'azure.ai.openai', 'gpt-4o', at)?.provider).toBe('openai');
    const azure = evolvePriceTable(table, price('gpt-4o*', '2025-01-01', 2.75, 11, { provider: 'azure.ai.openai' }));
    expect(priceFor(azure, 'azure.ai.openai', 'gpt-4o', at)?.perMillionTokens.input).toBe(2.75);
    expect(priceFor(azure, 'openai', 'gpt-4o', at)?.perMillionTokens.input).toBe(2.5);
    // Cohere's -MM-YYYY, -latest aliases and short versions; unknown models have no price.
    const more = priceTableOf([price('command-r-plus', '2024-08-30', 2.5, 10), price('mistral-large', '2024-11-18', 2, 6)]);
    expect(priceFor(more, 'cohere', 'command-r-plus-08-2024', at)?.model).toBe('command-r-plus');
    expect(priceFor(more, 'mistral_ai', 'mistral-large-latest', at)?.model).toBe('mistral-large');
    expect(priceFor(more, 'mistral_ai', 'mistral-large-2411', at)?.model).toBe('mistral-large');
    expect(priceFor(table, 'openai', 'gpt-5-unknown', at)).toBeNull();
    expect(priceFor(table, 'openai', 'gpt-4', at)).toBeNull();
  });

  it('lists candidates in precedence order', () => {
    expect(modelCandidates('openai/gpt-4o-2024-08-06')).toEqual(['openai/gpt-4o-2024-08-06', 'openai/gpt-4o', 'gpt-4o-2024-08-06', 'gpt-4o']);
    expect(modelCandidates('gpt-4-0613')).toEqual(['gpt-4-0613', 'gpt-4']);
  });

  it('a re-imported entry (same model, provider and date) replaces the earlier one; current prices list the latest', () => {
    const fixed = evolvePriceTable(table, price('gpt-4o', '2024-10-01', 2.5, 11, { provider: 'openai' }));
    expect(priceFor(fixed, 'openai', 'gpt-4o', '2025-01-01T00:00:00Z')?.perMillionTokens.output).toBe(11);
    const current = currentPrices(fixed, '2026-01-01T00:00:00Z').filter((e) => e.model === 'gpt-4o');
    expect(current).toHaveLength(1);
    expect(current[0]!.effectiveFrom).toBe('2024-10-01');
    // Invalid payloads are ignored by the fold.
    expect(evolvePriceTable(table, set({ model: '', effectiveFrom: 'x' } as ModelPriceSetData))).toBe(table);
  });

  it('validates with clear messages', () => {
    expect(validateModelPrice({ model: 'm', effectiveFrom: '2025-01-01', currency: 'USD', perMillionTokens: { input: 1, output: 2 } })).toBeNull();
    expect(validateModelPrice({ model: 'm', effectiveFrom: 'soon', currency: 'USD', perMillionTokens: { input: 1, output: 2 } })).toMatch(/effectiveFrom/);
    expect(validateModelPrice({ model: 'm', effectiveFrom: '2025-01-01', currency: 'EUR', perMillionTokens: { input: 1, output: 2 } })).toMatch(/currency/);
    expect(validateModelPrice({ model: 'm', effectiveFrom: '2025-01-01', currency: 'USD', perMillionTokens: { input: -1, output: 2 } })).toMatch(/input/);
    expect(validateModelPrice({ model: 'm', effectiveFrom: '2025-01-01', currency: 'USD', perMillionTokens: { input: 1, output: 2, cached: 1 } })).toMatch(/cached is not a known price/);
  });
});

describe('costOf', () => {
  const usage = (u: Partial<Pick<SpanDocument, 'inputTokens' | 'outputTokens' | 'cacheReadInputTokens' | 'cacheCreationInputTokens' | 'reasoningOutputTokens'>>) => ({
    inputTokens: null,
    outputTokens: null,
    cacheReadInputTokens: null,
    cacheCreationInputTokens: null,
    reasoningOutputTokens: null,
    ...u,
  });

  it('prices input and output per million tokens', () => {
    const c = costOf(usage({ inputTokens: 1000, outputTokens: 500 }), { currency: 'USD', perMillionTokens: { input: 2.5, output: 10 } });
    expect(c).toEqual({ total: 0.0075, input: 0.0025, output: 0.005, cacheRead: 0, cacheWrite: 0, currency: 'USD' });
  });

  it('input includes cache reads and writes (semconv): each token priced once at its own price', () => {
    const p = { currency: 'USD' as const, perMillionTokens: { input: 3, cachedInputRead: 0.3, cacheWrite: 3.75, output: 15 } };
    const c = costOf(usage({ inputTokens: 10_000, cacheReadInputTokens: 6_000, cacheCreationInputTokens: 2_000, outputTokens: 100 }), p);
    expect(c.input).toBeCloseTo(2_000 * 3e-6, 12);
    expect(c.cacheRead).toBeCloseTo(6_000 * 0.3e-6, 12);
    expect(c.cacheWrite).toBeCloseTo(2_000 * 3.75e-6, 12);
    expect(c.output).toBeCloseTo(100 * 15e-6, 12);
    expect(c.total).toBeCloseTo(c.input + c.cacheRead + c.cacheWrite + c.output, 12);
    // Without cache prices, cached tokens fall back to the input price: same as no cache at all.
    const plain = costOf(usage({ inputTokens: 10_000, cacheReadInputTokens: 6_000, outputTokens: 100 }), { currency: 'USD', perMillionTokens: { input: 3, output: 15 } });
    expect(plain.total).toBeCloseTo(10_000 * 3e-6 + 100 * 15e-6, 12);
  });

  it('reasoning is part of output: priced at the reasoning price when given, never counted twice', () => {
    const u = usage({ inputTokens: 100, outputTokens: 1_000, reasoningOutputTokens: 800 });
    const same = costOf(u, { currency: 'USD', perMillionTokens: { input: 2, output: 8 } });
    expect(same.output).toBeCloseTo(1_000 * 8e-6, 12);
    const own = costOf(u, { currency: 'USD', perMillionTokens: { input: 2, output: 8, reasoning: 20 } });
    expect(own.output).toBeCloseTo(200 * 8e-6 + 800 * 20e-6, 12);
  });
});

describe('cost in the trace projection', () => {
  const TRACE = '0af7651916cd43dd8448eb211c80319c';
  const meta: IngestMetadata = { projectId: '1', receivedAt: '2026-11-27T00:00:00.000Z', requestId: 'r', encoding: 'protobuf', schemaVersion: 1 };
  const attrs = (o: Record<string, string | number>): KeyValue[] =>
    Object.entries(o).map(([key, v]) => ({ key, value: typeof v === 'number' ? { intValue: String(v) } : { stringValue: v } }));
  const spanEvent = (position: number, spanId: string, parent: string | undefined, a: Record<string, string | number>, startIso = '2025-01-01T00:00:00Z'): ProjectableEvent => {
    const ms = BigInt(Date.parse(startIso));
    const data: SpanReceivedData = {
      span: {
        traceId: TRACE,
        spanId,
        parentSpanId: parent,
        name: String(a['gen_ai.operation.name'] ?? 'span'),
        kind: 1,
        startTimeUnixNano: `${ms * 1_000_000n}`,
        endTimeUnixNano: `${(ms + 100n) * 1_000_000n}`,
        attributes: attrs(a),
        events: [],
        links: [],
        status: { code: 1 },
      },
      resource: { attributes: attrs({ 'service.name': 'svc' }) },
      scope: { name: 'test', attributes: [] },
    };
    return { type: 'SpanReceived', position: BigInt(position), data, metadata: meta };
  };
  const agent = spanEvent(1, 'a000000000000001', undefined, { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.usage.input_tokens': 3000, 'gen_ai.usage.output_tokens': 300 });
  const chat = (pos: number, id: string, model: string, at?: string, requestModel = 'gpt-4o') =>
    spanEvent(pos, id, 'a000000000000001', {
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': requestModel,
      'gen_ai.response.model': model,
      'gen_ai.usage.input_tokens': 1000,
      'gen_ai.usage.output_tokens': 100,
    }, at);

  it('prices each generation span and sums the trace over the spans counted for usage (agent not added again)', () => {
    const { spans, traces } = foldTraceBatch([], [agent, chat(2, 'c000000000000001', 'gpt-4o-2024-08-06'), chat(3, 'c000000000000002', 'gpt-4o-2024-08-06')], { prices: table });
    const chats = spans.filter((s) => s.operation === 'chat');
    for (const s of chats) {
      expect(s.cost?.total).toBeCloseTo(1000 * 2.5e-6 + 100 * 10e-6, 12);
      expect(s.cost?.pricedAs).toEqual({ provider: 'openai', model: 'gpt-4o', effectiveFrom: '2024-10-01' });
    }
    expect(traces[0]!.cost).toBeCloseTo(2 * (1000 * 2.5e-6 + 100 * 10e-6), 12);
    expect(traces[0]!.costPartial).toBe(false);
  });

  it('spans are priced at their own start time: a rebuild after a price change re-prices history', () => {
    const events = [agent, chat(2, 'c000000000000001', 'gpt-4o', '2024-06-01T00:00:00Z')];
    const before = rebuildTraces(events, { prices: table });
    expect(before.traces[0]!.cost).toBeCloseTo(1000 * 5e-6 + 100 * 15e-6, 12);
    const changed = evolvePriceTable(table, price('gpt-4o', '2024-05-01', 1, 2, { provider: 'openai' }));
    const withBackdated = evolvePriceTable(changed, price('gpt-4o', '2024-05-13', 1, 2, { provider: 'openai' }));
    const after = rebuildTraces(events, { prices: withBackdated });
    expect(after.traces[0]!.cost).toBeCloseTo(1000 * 1e-6 + 100 * 2e-6, 12);
  });

  it('no price: cost null and the summary says so; no table: no cost fields at all', () => {
    const { spans, traces } = foldTraceBatch([], [agent, chat(2, 'c000000000000001', 'some-local-model', undefined, 'some-local-model')], { prices: table });
    expect(spans.find((s) => s.operation === 'chat')!.cost).toBeNull();
    expect(traces[0]!.cost).toBeNull();
    // The response model is unknown but the request model has a price: priced as the requested model.
    const byRequest = foldTraceBatch([], [agent, chat(2, 'c000000000000001', 'router-alias-7')], { prices: table });
    expect(byRequest.spans.find((s) => s.operation === 'chat')!.cost?.pricedAs?.model).toBe('gpt-4o');
    // One priced and one unpriced span: the sum is partial.
    const mixed = foldTraceBatch([], [agent, chat(2, 'c000000000000001', 'gpt-4o'), chat(3, 'c000000000000002', 'x', undefined, 'x')], { prices: table });
    expect(mixed.traces[0]!.costPartial).toBe(true);
    const plain = foldTraceBatch([], [agent, chat(2, 'c000000000000001', 'gpt-4o')]);
    expect(plain.spans.every((s) => !('cost' in s))).toBe(true);
    expect('cost' in plain.traces[0]!).toBe(false);
  });
});

describe('priceFor memo (one lookup per model and effective price set)', () => {
  it('answers each date, provider and table as an unmemoized lookup would', () => {
    const table = priceTableOf([price('gpt-4o', '2024-05-13', 5, 15), price('gpt-4o', '2024-10-01', 2.5, 10), price('gpt-4o', '2024-10-01', 9, 9, { provider: 'azure' })]);
    const ask = (at: string, provider: string | null = 'openai') => priceFor(table, provider, 'gpt-4o-2024-08-06', at)?.perMillionTokens.input ?? null;
    expect([ask('2024-01-01T00:00:00Z'), ask('2024-06-01T00:00:00Z'), ask('2024-10-01T00:00:00Z'), ask('2025-01-01T00:00:00Z'), ask('2024-06-01T00:00:00Z')]).toEqual([null, 5, 2.5, 2.5, 5]);
    expect([ask('2025-01-01T00:00:00Z', 'azure'), ask('2024-06-01T00:00:00Z', 'azure'), ask('not a date')]).toEqual([9, 5, 2.5]);
    // A newer table (an imported price) is another value: its answers are its own.
    const newer = evolvePriceTable(table, price('gpt-4o', '2024-12-01', 1, 4));
    expect(priceFor(newer, 'openai', 'gpt-4o-2024-08-06', '2025-01-01T00:00:00Z')?.perMillionTokens.input).toBe(1);
    expect(ask('2025-01-01T00:00:00Z')).toBe(2.5);
  });
});
