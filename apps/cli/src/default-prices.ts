import { randomUUID } from 'node:crypto';
import { EventTypes, priceTableOf, Streams, validateModelPrice, type ModelPriceSetData, type PriceTable } from '@temps/domain';
import { deterministicEventId, type EventStore } from '@temps/event-store';

/**
 * The shipped price table: list prices in USD per million tokens, standard (non-batch, non-priority)
 * tier, short-context tier where a provider prices long prompts higher. Seeded into the `pricing`
 * stream on `temps serve` start; `temps prices import FILE` adds newer or corrected entries.
 * A date is when the price took effect (or the model's release when that is the first price).
 * Reasoning tokens are billed as output by every provider here, so no entry sets `reasoning`.
 */
const OPENAI = 'https://openai.com/api/pricing/';
const ANTHROPIC = 'https://docs.claude.com/en/docs/about-claude/pricing';
const GEMINI = 'https://ai.google.dev/gemini-api/docs/pricing';
const XAI = 'https://docs.x.ai/docs/models';
const MISTRAL = 'https://mistral.ai/pricing#api-pricing';
const COHERE = 'https://cohere.com/pricing';
const DEEPSEEK = 'https://api-docs.deepseek.com/quick_start/pricing';

type Prices = ModelPriceSetData['perMillionTokens'];
const p = (provider: string, model: string, effectiveFrom: string, perMillionTokens: Prices, source: string): ModelPriceSetData => ({
  provider,
  model,
  effectiveFrom,
  currency: 'USD',
  perMillionTokens,
  source,
});

export const DEFAULT_PRICES: ModelPriceSetData[] = [
  // OpenAI: cached input is a discount on input; no separate cache-write price.
  p('openai', 'gpt-4o', '2024-05-13', { input: 5, output: 15 }, OPENAI),
  p('openai', 'gpt-4o', '2024-08-06', { input: 2.5, output: 10 }, OPENAI),
  p('openai', 'gpt-4o', '2024-10-01', { input: 2.5, cachedInputRead: 1.25, output: 10 }, OPENAI),
  p('openai', 'gpt-4o-2024-05-13', '2024-05-13', { input: 5, output: 15 }, OPENAI),
  p('openai', 'gpt-4o-mini', '2024-07-18', { input: 0.15, cachedInputRead: 0.075, output: 0.6 }, OPENAI),
  p('openai', 'gpt-4.1', '2025-04-14', { input: 2, cachedInputRead: 0.5, output: 8 }, OPENAI),
  p('openai', 'gpt-4.1-mini', '2025-04-14', { input: 0.4, cachedInputRead: 0.1, output: 1.6 }, OPENAI),
  p('openai', 'gpt-4.1-nano', '2025-04-14', { input: 0.1, cachedInputRead: 0.025, output: 0.4 }, OPENAI),
  p('openai', 'gpt-5', '2025-08-07', { input: 1.25, cachedInputRead: 0.125, output: 10 }, OPENAI),
  p('openai', 'gpt-5-mini', '2025-08-07', { input: 0.25, cachedInputRead: 0.025, output: 2 }, OPENAI),
  p('openai', 'gpt-5-nano', '2025-08-07', { input: 0.05, cachedInputRead: 0.005, output: 0.4 }, OPENAI),
  p('openai', 'o1', '2024-12-17', { input: 15, cachedInputRead: 7.5, output: 60 }, OPENAI),
  p('openai', 'o3', '2025-04-16', { input: 10, cachedInputRead: 2.5, output: 40 }, OPENAI),
  p('openai', 'o3', '2025-06-10', { input: 2, cachedInputRead: 0.5, output: 8 }, OPENAI),
  p('openai', 'o3-mini', '2025-01-31', { input: 1.1, cachedInputRead: 0.55, output: 4.4 }, OPENAI),
  p('openai', 'o4-mini', '2025-04-16', { input: 1.1, cachedInputRead: 0.275, output: 4.4 }, OPENAI),
  p('openai', 'text-embedding-3-small', '2024-01-25', { input: 0.02, output: 0 }, OPENAI),
  p('openai', 'text-embedding-3-large', '2024-01-25', { input: 0.13, output: 0 }, OPENAI),

  // Anthropic: cache write = 5-minute cache write (1.25x input); cache read 0.1x input.
  p('anthropic', 'claude-3-haiku', '2024-03-07', { input: 0.25, cachedInputRead: 0.03, cacheWrite: 0.3, output: 1.25 }, ANTHROPIC),
  p('anthropic', 'claude-3-opus', '2024-02-29', { input: 15, cachedInputRead: 1.5, cacheWrite: 18.75, output: 75 }, ANTHROPIC),
  p('anthropic', 'claude-3-5-haiku', '2024-10-22', { input: 0.8, cachedInputRead: 0.08, cacheWrite: 1, output: 4 }, ANTHROPIC),
  p('anthropic', 'claude-3-5-sonnet', '2024-06-20', { input: 3, cachedInputRead: 0.3, cacheWrite: 3.75, output: 15 }, ANTHROPIC),
  p('anthropic', 'claude-3-7-sonnet', '2025-02-24', { input: 3, cachedInputRead: 0.3, cacheWrite: 3.75, output: 15 }, ANTHROPIC),
  p('anthropic', 'claude-sonnet-4', '2025-05-22', { input: 3, cachedInputRead: 0.3, cacheWrite: 3.75, output: 15 }, ANTHROPIC),
  p('anthropic', 'claude-opus-4', '2025-05-22', { input: 15, cachedInputRead: 1.5, cacheWrite: 18.75, output: 75 }, ANTHROPIC),
  p('anthropic', 'claude-opus-4-1', '2025-08-05', { input: 15, cachedInputRead: 1.5, cacheWrite: 18.75, output: 75 }, ANTHROPIC),
  p('anthropic', 'claude-sonnet-4-5', '2025-09-29', { input: 3, cachedInputRead: 0.3, cacheWrite: 3.75, output: 15 }, ANTHROPIC),
  p('anthropic', 'claude-haiku-4-5', '2025-10-15', { input: 1, cachedInputRead: 0.1, cacheWrite: 1.25, output: 5 }, ANTHROPIC),
  p('anthropic', 'claude-opus-4-5', '2025-11-24', { input: 5, cachedInputRead: 0.5, cacheWrite: 6.25, output: 25 }, ANTHROPIC),

  // Google Gemini API (prompts up to 200K tokens where tiered); output includes thinking tokens.
  p('gcp.gemini', 'gemini-1.5-flash', '2024-08-12', { input: 0.075, output: 0.3 }, GEMINI),
  p('gcp.gemini', 'gemini-1.5-pro', '2024-10-01', { input: 1.25, output: 5 }, GEMINI),
  p('gcp.gemini', 'gemini-2.0-flash', '2025-02-05', { input: 0.1, cachedInputRead: 0.025, output: 0.4 }, GEMINI),
  p('gcp.gemini', 'gemini-2.0-flash-lite', '2025-02-25', { input: 0.075, output: 0.3 }, GEMINI),
  p('gcp.gemini', 'gemini-2.5-pro', '2025-06-17', { input: 1.25, cachedInputRead: 0.31, output: 10 }, GEMINI),
  p('gcp.gemini', 'gemini-2.5-flash', '2025-06-17', { input: 0.3, cachedInputRead: 0.075, output: 2.5 }, GEMINI),
  p('gcp.gemini', 'gemini-2.5-flash-lite', '2025-07-22', { input: 0.1, cachedInputRead: 0.025, output: 0.4 }, GEMINI),
  p('gcp.gemini', 'gemini-3-pro-preview', '2025-11-18', { input: 2, cachedInputRead: 0.2, output: 12 }, GEMINI),

  // xAI
  p('x_ai', 'grok-3', '2025-04-09', { input: 3, cachedInputRead: 0.75, output: 15 }, XAI),
  p('x_ai', 'grok-3-mini', '2025-04-09', { input: 0.3, cachedInputRead: 0.075, output: 0.5 }, XAI),
  p('x_ai', 'grok-4', '2025-07-09', { input: 3, cachedInputRead: 0.75, output: 15 }, XAI),
  p('x_ai', 'grok-4-fast*', '2025-09-19', { input: 0.2, cachedInputRead: 0.05, output: 0.5 }, XAI),
  p('x_ai', 'grok-code-fast-1', '2025-08-28', { input: 0.2, cachedInputRead: 0.02, output: 1.5 }, XAI),

  // Mistral
  p('mistral_ai', 'mistral-large', '2024-11-18', { input: 2, output: 6 }, MISTRAL),
  p('mistral_ai', 'mistral-medium', '2025-05-07', { input: 0.4, output: 2 }, MISTRAL),
  p('mistral_ai', 'mistral-small', '2025-03-17', { input: 0.1, output: 0.3 }, MISTRAL),
  p('mistral_ai', 'codestral', '2025-01-13', { input: 0.3, output: 0.9 }, MISTRAL),
  p('mistral_ai', 'ministral-8b', '2024-10-16', { input: 0.1, output: 0.1 }, MISTRAL),
  p('mistral_ai', 'ministral-3b', '2024-10-16', { input: 0.04, output: 0.04 }, MISTRAL),
  p('mistral_ai', 'open-mistral-nemo', '2024-07-18', { input: 0.15, output: 0.15 }, MISTRAL),

  // Cohere
  p('cohere', 'command-a', '2025-03-13', { input: 2.5, output: 10 }, COHERE),
  p('cohere', 'command-r-plus', '2024-08-30', { input: 2.5, output: 10 }, COHERE),
  p('cohere', 'command-r', '2024-08-30', { input: 0.15, output: 0.6 }, COHERE),
  p('cohere', 'command-r7b', '2024-12-13', { input: 0.0375, output: 0.15 }, COHERE),

  // DeepSeek: cachedInputRead = cache hit, input = cache miss.
  p('deepseek', 'deepseek-chat', '2025-02-09', { input: 0.27, cachedInputRead: 0.07, output: 1.1 }, DEEPSEEK),
  p('deepseek', 'deepseek-chat', '2025-09-05', { input: 0.56, cachedInputRead: 0.07, output: 1.68 }, DEEPSEEK),
  p('deepseek', 'deepseek-chat', '2025-09-29', { input: 0.28, cachedInputRead: 0.028, output: 0.42 }, DEEPSEEK),
  p('deepseek', 'deepseek-reasoner', '2025-01-20', { input: 0.55, cachedInputRead: 0.14, output: 2.19 }, DEEPSEEK),
  p('deepseek', 'deepseek-reasoner', '2025-09-05', { input: 0.56, cachedInputRead: 0.07, output: 1.68 }, DEEPSEEK),
  p('deepseek', 'deepseek-reasoner', '2025-09-29', { input: 0.28, cachedInputRead: 0.028, output: 0.42 }, DEEPSEEK),
];

/** Same entry, same id: seeding on every start stores each default once. */
export function defaultPriceEventId(entry: ModelPriceSetData): string {
  return deterministicEventId('price-default', JSON.stringify(entry));
}

/** Appends the shipped defaults to the `pricing` stream; known ones are skipped (deterministic ids). */
export async function seedDefaultPrices(events: EventStore): Promise<number> {
  const result = await events.append(
    Streams.pricing,
    DEFAULT_PRICES.map((data) => ({ id: defaultPriceEventId(data), type: EventTypes.ModelPriceSet, data })),
  );
  return result.appended;
}

export async function loadPriceTable(events: EventStore): Promise<PriceTable> {
  return priceTableOf(await events.readStream(Streams.pricing));
}

/** Parses and validates a price file (a JSON array of ModelPriceSet entries); errors name the entry. */
export function parsePriceFile(text: string, file: string): ModelPriceSetData[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new Error(`${file} is not JSON: ${(err as Error).message}`);
  }
  if (!Array.isArray(parsed)) throw new Error(`${file} must hold a JSON array of prices, e.g. [{"model":"gpt-4o","effectiveFrom":"2025-01-01","currency":"USD","perMillionTokens":{"input":2.5,"output":10}}]`);
  const errors: string[] = [];
  const entries = parsed.map((raw, i) => {
    const entry = raw && typeof raw === 'object' && !Array.isArray(raw) && !('currency' in raw) ? { ...raw, currency: 'USD' } : raw;
    const problem = validateModelPrice(entry);
    if (problem) errors.push(`entry ${i + 1}${typeof raw?.model === 'string' && raw.model ? ` (${raw.model})` : ''}: ${problem}`);
    return entry as ModelPriceSetData;
  });
  if (errors.length) throw new Error(`${file}: ${errors.length} invalid price entr${errors.length === 1 ? 'y' : 'ies'}\n  ${errors.join('\n  ')}`);
  return entries;
}

/**
 * Appends imported prices. An entry equal to the one already in force for its provider, model and
 * date is skipped (importing the same file twice changes nothing).
 */
export async function importPrices(events: EventStore, entries: ModelPriceSetData[]): Promise<{ appended: number; unchanged: number }> {
  const table = await loadPriceTable(events);
  const same = (a: ModelPriceSetData, b: ModelPriceSetData) =>
    (a.provider ?? '').toLowerCase() === (b.provider ?? '').toLowerCase() &&
    a.model.toLowerCase() === b.model.toLowerCase() &&
    Date.parse(a.effectiveFrom) === Date.parse(b.effectiveFrom);
  const fresh = entries.filter((e) => {
    const current = table.entries.find((t) => same(t, e));
    return !current || JSON.stringify(current.perMillionTokens) !== JSON.stringify(e.perMillionTokens) || current.source !== e.source || current.currency !== e.currency;
  });
  if (fresh.length) await events.append(Streams.pricing, fresh.map((data) => ({ id: `price-${randomUUID()}`, type: EventTypes.ModelPriceSet, data })));
  return { appended: fresh.length, unchanged: entries.length - fresh.length };
}
