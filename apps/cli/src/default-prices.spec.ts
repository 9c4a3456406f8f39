import { currentPrices, priceFor, priceTableOf, validateModelPrice } from '@temps/domain';
import { DEFAULT_PRICES, defaultPriceEventId, parsePriceFile } from './default-prices';

describe('the shipped price table', () => {
  const table = priceTableOf(DEFAULT_PRICES.map((data) => ({ type: 'ModelPriceSet', data })));

  it('every entry is valid, has a source URL, and ids are unique and stable', () => {
    for (const e of DEFAULT_PRICES) {
      expect([e.model, validateModelPrice(e)]).toEqual([e.model, null]);
      expect(e.source).toMatch(/^https:\/\//);
    }
    const ids = DEFAULT_PRICES.map(defaultPriceEventId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(defaultPriceEventId(DEFAULT_PRICES[0]!)).toBe(ids[0]);
  });

  it('covers the major models of each provider, matched by the names their APIs report', () => {
    const at = '2026-01-01T00:00:00Z';
    const cases: [string, string, string][] = [
      ['openai', 'gpt-4o-2024-08-06', 'gpt-4o'],
      ['openai', 'gpt-4o-mini-2024-07-18', 'gpt-4o-mini'],
      ['openai', 'gpt-4.1-2025-04-14', 'gpt-4.1'],
      ['openai', 'gpt-5-2025-08-07', 'gpt-5'],
      ['openai', 'o3-2025-04-16', 'o3'],
      ['azure.ai.openai', 'gpt-4o', 'gpt-4o'],
      ['anthropic', 'claude-sonnet-4-5-20250929', 'claude-sonnet-4-5'],
      ['anthropic', 'claude-3-5-sonnet-latest', 'claude-3-5-sonnet'],
      ['aws.bedrock', 'us.anthropic.claude-sonnet-4-20250514-v1:0', 'claude-sonnet-4'],
      ['gcp.vertex_ai', 'claude-opus-4-1@20250805', 'claude-opus-4-1'],
      ['gcp.gemini', 'models/gemini-2.5-flash', 'gemini-2.5-flash'],
      ['gcp.gemini', 'gemini-2.5-flash-lite', 'gemini-2.5-flash-lite'],
      ['gcp.vertex_ai', 'publishers/google/models/gemini-2.0-flash-001', 'gemini-2.0-flash'],
      ['x_ai', 'grok-4-0709', 'grok-4'],
      ['x_ai', 'grok-4-fast-reasoning', 'grok-4-fast*'],
      ['mistral_ai', 'mistral-large-latest', 'mistral-large'],
      ['mistral_ai', 'mistral-small-2503', 'mistral-small'],
      ['cohere', 'command-a-03-2025', 'command-a'],
      ['cohere', 'command-r-plus-08-2024', 'command-r-plus'],
      ['deepseek', 'deepseek-chat', 'deepseek-chat'],
      ['deepseek', 'deepseek-reasoner', 'deepseek-reasoner'],
    ];
    for (const [provider, model, expected] of cases) expect([model, priceFor(table, provider, model, at)?.model]).toEqual([model, expected]);
    // Dated changes: o3's June 2025 price cut, DeepSeek's V3.2 price.
    expect(priceFor(table, 'openai', 'o3', '2025-05-01T00:00:00Z')?.perMillionTokens.input).toBe(10);
    expect(priceFor(table, 'openai', 'o3', at)?.perMillionTokens.input).toBe(2);
    expect(priceFor(table, 'deepseek', 'deepseek-chat', at)?.perMillionTokens.output).toBe(0.42);
    expect(currentPrices(table, at).filter((e) => e.model === 'gpt-4o')).toHaveLength(1);
  });
});

describe('parsePriceFile', () => {
  it('accepts a JSON array (currency defaults to USD) and names every invalid entry', () => {
    expect(parsePriceFile('[{"model":"m","effectiveFrom":"2025-01-01","perMillionTokens":{"input":1,"output":2}}]', 'f.json')).toEqual([
      { model: 'm', effectiveFrom: '2025-01-01', currency: 'USD', perMillionTokens: { input: 1, output: 2 } },
    ]);
    expect(() => parsePriceFile('{', 'f.json')).toThrow(/f.json is not JSON/);
    expect(() => parsePriceFile('{}', 'f.json')).toThrow(/must hold a JSON array/);
    expect(() =>
      parsePriceFile('[{"model":"a","effectiveFrom":"2025-01-01","perMillionTokens":{"input":1}},{"model":"b","effectiveFrom":"2025-01-01","currency":"EUR","perMillionTokens":{"input":1,"output":1}}]', 'f.json'),
    ).toThrow(/2 invalid price entries\n {2}entry 1 \(a\): perMillionTokens.output must be a number >= 0\n {2}entry 2 \(b\): "currency" must be "USD"/);
  });
});
