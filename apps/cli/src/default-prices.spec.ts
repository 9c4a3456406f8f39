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
    // Models of 2026, looked up at the table's reading date.
    const recent: [string, string, string][] = [
      ['openai', 'gpt-5.1-2025-11-13', 'gpt-5.1'],
      ['openai', 'gpt-5.5-2026-04-23', 'gpt-5.5'],
      ['openai', 'gpt-5.4-mini', 'gpt-5.4-mini'],
      ['anthropic', 'claude-opus-4-6', 'claude-opus-4-6'],
      ['anthropic', 'claude-haiku-4-5-20251001', 'claude-haiku-4-5'],
      ['aws.bedrock', 'eu.anthropic.claude-opus-4-6-v1:0', 'claude-opus-4-6'],
      ['anthropic', 'claude-sonnet-5-5', 'claude-sonnet-5-5'],
      ['gcp.gemini', 'gemini-3-flash-preview', 'gemini-3-flash-preview'],
      ['gcp.vertex_ai', 'publishers/google/models/gemini-3.1-pro-preview', 'gemini-3.1-pro-preview'],
      ['x_ai', 'grok-4-1-fast-reasoning', 'grok-4-1-fast*'],
      ['mistral_ai', 'mistral-large-2411', 'mistral-large-2411'],
      ['mistral_ai', 'mistral-large-2512', 'mistral-large'],
      ['cohere', 'command-r-plus-04-2024', 'command-r-plus-04-2024'],
      ['deepseek', 'deepseek-v4-pro', 'deepseek-v4-pro'],
      ['deepseek', 'deepseek-flash', 'deepseek-flash'],
    ];
    for (const [provider, model, expected] of recent) expect([model, priceFor(table, provider, model, '2026-11-27T00:00:00Z')?.model]).toEqual([model, expected]);
    // Dated changes: o3's June 2025 price cut, DeepSeek's V3.2 price.
    expect(priceFor(table, 'openai', 'o3', '2025-05-01T00:00:00Z')?.perMillionTokens.input).toBe(10);
    expect(priceFor(table, 'openai', 'o3', at)?.perMillionTokens.input).toBe(2);
    expect(priceFor(table, 'deepseek', 'deepseek-chat', at)?.perMillionTokens.output).toBe(0.42);
    expect(currentPrices(table, at).filter((e) => e.model === 'gpt-4o')).toHaveLength(1);
  });

  it('holds golden prices checked against the providers\' pages (2026-11-27)', () => {
    const now = '2026-11-27T00:00:00Z';
    const price = (provider: string, model: string, at = now) => priceFor(table, provider, model, at)?.perMillionTokens;
    // OpenAI model pages / pricing page.
    expect(price('openai', 'gpt-4o-2024-08-06')).toEqual({ input: 2.5, cachedInputRead: 1.25, output: 10 });
    expect(price('openai', 'gpt-5-nano-2025-08-07')).toEqual({ input: 0.05, cachedInputRead: 0.005, output: 0.4 });
    expect(price('openai', 'gpt-5.1')).toEqual({ input: 1.25, cachedInputRead: 0.125, output: 10 });
    expect(price('openai', 'gpt-5.5')).toEqual({ input: 5, cachedInputRead: 0.5, output: 30 });
    expect(price('openai', 'gpt-5.4-nano')).toEqual({ input: 0.2, cachedInputRead: 0.02, output: 1.25 });
    // Anthropic pricing table: input, 5m cache write, cache hit, output.
    expect(price('anthropic', 'claude-opus-4-6')).toEqual({ input: 5, cachedInputRead: 0.5, cacheWrite: 6.25, output: 25 });
    expect(price('anthropic', 'claude-3-5-haiku-20241022')).toEqual({ input: 0.8, cachedInputRead: 0.08, cacheWrite: 1, output: 4 });
    expect(price('anthropic', 'claude-opus-5-5')).toEqual({ input: 4, cachedInputRead: 0.2, cacheWrite: 5, output: 20 });
    // Sonnet 5.5 cache-read cut is a second dated entry, not an overwrite.
    expect(price('anthropic', 'claude-sonnet-5-5', '2026-10-01T00:00:00Z')?.cachedInputRead).toBe(0.2);
    expect(price('anthropic', 'claude-sonnet-5-5')?.cachedInputRead).toBe(0.1);
    // Gemini: the <= 200K-token tier of 2.5 Pro / 3.1 Pro; 3.8 Flash's scheduled 2027 price.
    expect(price('gcp.gemini', 'gemini-2.5-pro')).toMatchObject({ input: 1.25, output: 10 });
    expect(price('gcp.gemini', 'gemini-3.1-pro-preview')).toMatchObject({ input: 2, output: 12 });
    expect(price('gcp.gemini', 'gemini-3.8-flash')).toEqual({ input: 0.75, output: 3.75 });
    expect(price('gcp.gemini', 'gemini-3.8-flash', '2027-01-02T00:00:00Z')).toEqual({ input: 1.5, output: 7.5 });
    // xAI archive, DeepSeek pricing pages (old USD table; peak price since 2026-08-16 16:00 UTC).
    expect(price('x_ai', 'grok-3-mini')).toEqual({ input: 0.3, cachedInputRead: 0.075, output: 0.5 });
    expect(price('deepseek', 'deepseek-chat', '2025-03-01T00:00:00Z')).toEqual({ input: 0.27, cachedInputRead: 0.07, output: 1.1 });
    expect(price('deepseek', 'deepseek-v4-pro', '2026-08-16T15:59:59Z')?.input).toBe(0.435);
    expect(price('deepseek', 'deepseek-v4-pro')).toEqual({ input: 1.32, cachedInputRead: 0.044, output: 3.96 });
    // Mistral Large: the alias moved to Large 3; the pinned 2411 snapshot keeps its price.
    expect(price('mistral_ai', 'mistral-large-latest')).toEqual({ input: 0.5, output: 1.5 });
    expect(price('mistral_ai', 'mistral-large-2411')).toEqual({ input: 2, output: 6 });
  });

  it('names the checked page and read date in every source, and says "verify" where a number is unconfirmed', () => {
    for (const e of DEFAULT_PRICES) expect([e.model, e.source]).toEqual([e.model, expect.stringMatching(/^https:\/\/\S+ \(read \d{4}-\d{2}-\d{2}/)]);
    const unflagged = DEFAULT_PRICES.filter((e) => /from memory|third-party only|no stored copy|assumed/.test(e.source ?? '') && !/verify/.test(e.source ?? ''));
    expect(unflagged.map((e) => `${e.provider} ${e.model} ${e.effectiveFrom}`)).toEqual([]);
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
