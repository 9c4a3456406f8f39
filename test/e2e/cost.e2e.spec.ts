import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sendAgentTrace } from '../support/send-spans';
import { temps } from '../support/server-inspect';
import { eventually, getJson, startServer, type RunningServer } from '../support/temps-server';

/**
 * Cost end to end: the shipped price table is seeded on first start, the seed agent trace (request
 * model gpt-4o, response model gpt-4o-2024-08-06) is priced per chat span and per trace, and a price
 * imported with `temps prices import` prices the traces projected after it.
 */
describe('temps serve: cost from the dated price table', () => {
  let server: RunningServer;
  let dir: string;
  let firstTrace: { traceId: string; cost: number };

  beforeAll(async () => {
    server = await startServer();
    dir = mkdtempSync(join(tmpdir(), 'temps-prices-'));
  });
  afterAll(async () => {
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const waitForTrace = (traceId: string) =>
    eventually(async () => {
      const { body } = await getJson(server, `/api/projects/1/ai/traces`);
      return body.items?.find((t: any) => t.traceId === traceId && t.spanCount === 4);
    }, 15_000, `trace ${traceId}`);
  const spansOf = async (traceId: string) => (await getJson(server, `/api/projects/1/ai/traces/${traceId}`)).body.spans as any[];
  // Token counts of the seed trace: chat 1 150/32, chat 2 410/96 (the agent span repeats them).
  const chatCost = (input: number, output: number, perM: { input: number; output: number }) => (input * perM.input + output * perM.output) / 1e6;

  it('lists the shipped prices and prices the seed agent trace with the default gpt-4o price', async () => {
    const { stdout } = await temps(server.dataDir, ['prices', 'list']);
    const gpt4o = stdout.split('\n').find((l) => l.split('\t')[1] === 'gpt-4o')!.split('\t');
    expect(gpt4o.slice(0, 3)).toEqual(['openai', 'gpt-4o', '2024-10-01']);
    const perM = { input: Number(gpt4o[3]), output: Number(gpt4o[6]) };
    expect(perM).toEqual({ input: 2.5, output: 10 });
    for (const provider of ['anthropic', 'gcp.gemini', 'x_ai', 'mistral_ai', 'cohere', 'deepseek']) expect(stdout).toContain(`\n${provider}\t`);

    const { traceId } = await sendAgentTrace(server.url, server.apiKey, '1');
    const item = await waitForTrace(traceId);
    const expected = chatCost(150, 32, perM) + chatCost(410, 96, perM);
    expect(item.cost).toBeCloseTo(expected, 12);
    expect(item.costPartial).toBe(false);
    firstTrace = { traceId, cost: item.cost };

    const spans = await spansOf(traceId);
    const chats = spans.filter((s) => s.operation === 'chat').sort((a, b) => a.inputTokens - b.inputTokens);
    expect(chats.map((s) => s.cost.total)).toEqual([expect.closeTo(chatCost(150, 32, perM), 12), expect.closeTo(chatCost(410, 96, perM), 12)]);
    expect(chats[0].cost).toMatchObject({ currency: 'USD', cacheRead: 0, cacheWrite: 0, pricedAs: { provider: 'openai', model: 'gpt-4o', effectiveFrom: '2024-10-01' } });
    // The tool span has no usage; the agent span's repeated usage is priced but not added to the trace.
    expect(spans.find((s) => s.operation === 'execute_tool').cost ?? null).toBeNull();
  });

  it('a price imported with `temps prices import` prices new traces', async () => {
    const file = join(dir, 'prices.json');
    writeFileSync(file, JSON.stringify([
      { provider: 'openai', model: 'gpt-4o', effectiveFrom: '2025-06-01', currency: 'USD', perMillionTokens: { input: 1, output: 4 }, source: 'e2e' },
    ]));
    const { stdout } = await temps(server.dataDir, ['prices', 'import', file]);
    expect(stdout).toMatch(/imported 1 price/);
    const again = await temps(server.dataDir, ['prices', 'import', file]);
    expect(again.stdout).toMatch(/imported 0 prices \(1 unchanged\)/);

    // A bad file is refused with the entry and the reason.
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify([{ model: 'gpt-4o', effectiveFrom: 'yesterday', perMillionTokens: { input: 1, output: 4 } }]));
    await expect(temps(server.dataDir, ['prices', 'import', bad])).rejects.toThrow(/entry 1 \(gpt-4o\): "effectiveFrom" must be an ISO date/);

    const { traceId } = await sendAgentTrace(server.url, server.apiKey, '1');
    const item = await waitForTrace(traceId);
    const perM = { input: 1, output: 4 };
    expect(item.cost).toBeCloseTo(chatCost(150, 32, perM) + chatCost(410, 96, perM), 12);
    const chats = (await spansOf(traceId)).filter((s) => s.operation === 'chat');
    for (const s of chats) expect(s.cost.pricedAs).toEqual({ provider: 'openai', model: 'gpt-4o', effectiveFrom: '2025-06-01' });
    // Already projected traces keep their cost until a rebuild re-prices history.
    const { body } = await getJson(server, `/api/projects/1/ai/traces`);
    expect(body.items.find((t: any) => t.traceId === firstTrace.traceId).cost).toBe(firstTrace.cost);
  });

  it('`temps projections rebuild traces` re-prices history with the price in force at each span start', async () => {
    const { stdout } = await temps(server.dataDir, ['projections', 'rebuild', 'traces']);
    expect(stdout).toMatch(/traces: traces_v3_r\w+ built \([\d,]+ events in [\d.]+ s\) and now serves/);
    const perM = { input: 1, output: 4 };
    const { body } = await getJson(server, `/api/projects/1/ai/traces`);
    const first = body.items.find((t: any) => t.traceId === firstTrace.traceId);
    expect(first.cost).toBeCloseTo(chatCost(150, 32, perM) + chatCost(410, 96, perM), 12);
    // Usage carries the new cost too: both traces at the imported price.
    const usage = (await getJson(server, '/api/projects/1/ai/usage?groupBy=provider')).body;
    expect(usage.totals.cost).toBeCloseTo(2 * (chatCost(150, 32, perM) + chatCost(410, 96, perM)), 9);
    const status = (await temps(server.dataDir, ['projections', 'status'])).stdout;
    expect(status).toMatch(/^traces\s+3\s+traces_v3_r\w+\s/m);
  });
});
