import type { ModelPriceSetData } from '../events';
import type { SpanCost, SpanDocument } from '../span-document';

/** One price entry of the table, in the order its events were folded. */
export interface PriceEntry extends ModelPriceSetData {
  /** effectiveFrom as epoch milliseconds (for comparisons). */
  effectiveFromMs: number;
  /** Fold order: among entries with the same key and date, the later event wins. */
  seq: number;
}

/** Dated model prices, folded from the `pricing` stream. Cost is computed from this during projection. */
export interface PriceTable {
  entries: PriceEntry[];
}

export const emptyPriceTable = (): PriceTable => ({ entries: [] });

const norm = (s: string | null | undefined) => (s ?? '').trim().toLowerCase();
const keyOf = (e: { provider?: string; model: string }) => `${norm(e.provider)}|${norm(e.model)}`;

/** Why a ModelPriceSet payload is not usable, or null when it is. Used by the CLI import and by the fold. */
export function validateModelPrice(value: unknown): string | null {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return 'must be an object';
  const v = value as Record<string, unknown>;
  for (const k of Object.keys(v)) {
    if (!['provider', 'model', 'effectiveFrom', 'currency', 'perMillionTokens', 'source'].includes(k)) return `"${k}" is not a known field (provider, model, effectiveFrom, currency, perMillionTokens, source)`;
  }
  if (typeof v.model !== 'string' || !v.model.trim()) return '"model" must be a non-empty string';
  if (v.provider !== undefined && (typeof v.provider !== 'string' || !v.provider.trim())) return '"provider" must be a non-empty string when given';
  if (typeof v.effectiveFrom !== 'string' || !/^\d{4}-\d{2}-\d{2}/.test(v.effectiveFrom) || Number.isNaN(Date.parse(v.effectiveFrom))) {
    return '"effectiveFrom" must be an ISO date (YYYY-MM-DD or a full ISO time)';
  }
  if (v.currency !== 'USD') return '"currency" must be "USD"';
  const p = v.perMillionTokens as Record<string, unknown> | undefined;
  if (!p || typeof p !== 'object' || Array.isArray(p)) return '"perMillionTokens" must be an object';
  for (const k of Object.keys(p)) {
    if (!['input', 'cachedInputRead', 'cacheWrite', 'output', 'reasoning'].includes(k)) return `perMillionTokens.${k} is not a known price (input, cachedInputRead, cacheWrite, output, reasoning)`;
  }
  for (const k of ['input', 'output'] as const) {
    if (typeof p[k] !== 'number' || !Number.isFinite(p[k]) || (p[k] as number) < 0) return `perMillionTokens.${k} must be a number >= 0`;
  }
  for (const k of ['cachedInputRead', 'cacheWrite', 'reasoning'] as const) {
    if (p[k] !== undefined && (typeof p[k] !== 'number' || !Number.isFinite(p[k]) || (p[k] as number) < 0)) return `perMillionTokens.${k} must be a number >= 0 when given`;
  }
  if (v.source !== undefined && typeof v.source !== 'string') return '"source" must be a string when given';
  return null;
}

/**
 * Adds one ModelPriceSet to the table. An entry with the same provider, model and effectiveFrom
 * replaces the earlier one (a corrected import); an invalid payload is ignored.
 */
export function evolvePriceTable(table: PriceTable, event: { type: string; data: unknown }): PriceTable {
  if (event.type !== 'ModelPriceSet' || validateModelPrice(event.data) !== null) return table;
  const data = event.data as ModelPriceSetData;
  const entry: PriceEntry = { ...data, effectiveFromMs: Date.parse(data.effectiveFrom), seq: table.entries.length };
  const entries = table.entries.filter((e) => !(keyOf(e) === keyOf(entry) && e.effectiveFromMs === entry.effectiveFromMs));
  return { entries: [...entries, entry] };
}

export function priceTableOf(events: readonly { type: string; data: unknown }[]): PriceTable {
  return events.reduce(evolvePriceTable, emptyPriceTable());
}

/**
 * Dated snapshots and aliases: -2024-08-06, -20241022, @20241022 (Vertex), -08-2024 (Cohere), -latest,
 * then short -0613 / -2411 versions (OpenAI, Mistral) and -001 / -002 versions (Gemini on Vertex).
 */
const DATE_SUFFIXES = [/-\d{4}-\d{2}-\d{2}$/, /-\d{8}$/, /@[\w.-]+$/, /-\d{2}-\d{4}$/, /-latest$/, /-\d{4}$/, /-\d{3}$/];
/** Bedrock-style version tails: `anthropic.claude-3-5-sonnet-20241022-v2:0`. */
const VERSION_SUFFIX = /-v\d+(:\d+)?$|:\d+$/;
/** Bedrock inference profiles: a region (`us.`, `eu.`, `apac.`) or `global.`, then the vendor. */
const DOT_VENDOR_PREFIX = /^(?:[a-z]{2,4}\.|global\.)?(anthropic|openai|cohere|mistral|meta|amazon|ai21|deepseek|xai|google)\./;

function stripDate(model: string): string {
  let m = model.replace(VERSION_SUFFIX, '');
  const dated = DATE_SUFFIXES.find((re) => re.test(m));
  if (dated) m = m.replace(dated, '');
  // Vertex: claude-3-5-sonnet-v2@20241022.
  return m.replace(VERSION_SUFFIX, '');
}

function stripPrefix(model: string): string {
  let m = model;
  // openai/gpt-4o, models/gemini-2.0-flash, publishers/google/models/gemini-2.5-pro, accounts/x/models/y
  const slash = m.lastIndexOf('/');
  if (slash >= 0) m = m.slice(slash + 1);
  return m.replace(DOT_VENDOR_PREFIX, '');
}

/** The names a model is looked up by, in precedence order: as given, without date, without prefix, both. */
export function modelCandidates(model: string): string[] {
  const m = norm(model);
  if (!m) return [];
  const out = [m, stripDate(m), stripPrefix(m), stripDate(stripPrefix(m))];
  return [...new Set(out.filter(Boolean))];
}

function globToRegExp(pattern: string): RegExp {
  return new RegExp(`^${pattern.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
}

/**
 * 2: the entry names the span's provider; 1: the entry names no provider (or the span has none);
 * 0: another provider's list price (the publisher's price for a model served by Azure, Bedrock or
 * Vertex), used only when nothing closer matches. The chosen entry is recorded on the cost.
 */
function providerRank(entryProvider: string | undefined, spanProvider: string | null | undefined): number {
  const ep = norm(entryProvider);
  const sp = norm(spanProvider);
  if (!ep || !sp) return 1;
  return ep === sp ? 2 : 0;
}

/**
 * The price effective at `at` (ISO time) for a model. Lookup: the model as given, then without a
 * date suffix (-YYYY-MM-DD, -YYYYMMDD, @date), then without a provider prefix (openai/, models/,
 * anthropic.); at each step an entry naming the span's provider beats one naming none, which beats
 * another provider's; then an exact name beats a `*` pattern and a longer pattern a shorter one.
 * Among the dated entries of the chosen name, the latest effective at `at` applies. Null when
 * nothing matches.
 */
export function priceFor(table: PriceTable, provider: string | null | undefined, model: string | null | undefined, at: string): PriceEntry | null {
  if (!model || table.entries.length === 0) return null;
  const atMs = Date.parse(at);
  // The answer depends on `at` only through which entries are effective then: memoized per (that set, provider, model).
  let memo = priceMemo.get(table);
  if (!memo || memo.entries !== table.entries || memo.size !== table.entries.length) {
    memo = { entries: table.entries, size: table.entries.length, dates: [...new Set(table.entries.map((e) => e.effectiveFromMs))].sort((a, b) => a - b), answers: new Map() };
    priceMemo.set(table, memo);
  }
  const key = `${Number.isNaN(atMs) ? -1 : datesUpTo(memo.dates, atMs)}\u0000${provider ?? ''}\u0000${model}`;
  const known = memo.answers.get(key);
  if (known !== undefined) return known;
  const answer = lookupPrice(table, provider, model, atMs);
  if (memo.answers.size >= 10_000) memo.answers.clear();
  memo.answers.set(key, answer);
  return answer;
}

/** Memo of priceFor per table (tables are immutable values: evolvePriceTable makes a new one). */
const priceMemo = new WeakMap<PriceTable, { entries: PriceEntry[]; size: number; dates: number[]; answers: Map<string, PriceEntry | null> }>();

/** How many of the sorted `dates` are <= `atMs`. */
function datesUpTo(dates: readonly number[], atMs: number): number {
  let lo = 0;
  let hi = dates.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (dates[mid]! <= atMs) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function lookupPrice(table: PriceTable, provider: string | null | undefined, model: string, atMs: number): PriceEntry | null {
  const effective = table.entries.filter((e) => Number.isNaN(atMs) || e.effectiveFromMs <= atMs);
  if (!effective.length) return null;
  for (const candidate of modelCandidates(model)) {
    let best: { entry: PriceEntry; rank: number[] } | null = null;
    for (const e of effective) {
      const em = norm(e.model);
      const isPattern = em.includes('*');
      if (isPattern ? !globToRegExp(em).test(candidate) : em !== candidate) continue;
      // provider; exact name > pattern; longer pattern; later effective date; later event.
      const rank = [providerRank(e.provider, provider), isPattern ? 0 : 1, em.replace(/\*/g, '').length, e.effectiveFromMs, e.seq];
      if (!best || compareRank(rank, best.rank) > 0) best = { entry: e, rank };
    }
    if (best) return best.entry;
  }
  return null;
}

function compareRank(a: number[], b: number[]): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}

/**
 * Cost of a span's usage at a price, in USD (not rounded). Semconv meaning: input tokens include
 * cache reads and writes, output tokens include reasoning; each token is priced once.
 */
export function costOf(
  span: Pick<SpanDocument, 'inputTokens' | 'outputTokens' | 'cacheReadInputTokens' | 'cacheCreationInputTokens' | 'reasoningOutputTokens'>,
  price: Pick<ModelPriceSetData, 'perMillionTokens' | 'currency'>,
): { total: number; input: number; output: number; cacheRead: number; cacheWrite: number; currency: 'USD' } {
  const p = price.perMillionTokens;
  const inputTokens = Math.max(0, span.inputTokens ?? 0);
  const cacheReadTokens = Math.min(inputTokens, Math.max(0, span.cacheReadInputTokens ?? 0));
  const cacheWriteTokens = Math.min(inputTokens - cacheReadTokens, Math.max(0, span.cacheCreationInputTokens ?? 0));
  const uncached = inputTokens - cacheReadTokens - cacheWriteTokens;
  const outputTokens = Math.max(0, span.outputTokens ?? 0);
  const reasoningTokens = Math.min(outputTokens, Math.max(0, span.reasoningOutputTokens ?? 0));
  const perToken = (perMillion: number) => perMillion / 1_000_000;

  const input = uncached * perToken(p.input);
  const cacheRead = cacheReadTokens * perToken(p.cachedInputRead ?? p.input);
  const cacheWrite = cacheWriteTokens * perToken(p.cacheWrite ?? p.input);
  const output = p.reasoning !== undefined
    ? (outputTokens - reasoningTokens) * perToken(p.output) + reasoningTokens * perToken(p.reasoning)
    : outputTokens * perToken(p.output);
  return { total: input + cacheRead + cacheWrite + output, input, output, cacheRead, cacheWrite, currency: 'USD' };
}

/** The span's cost under the table: null when it has no usage or no price matches its model at its start. */
export function spanCost(doc: SpanDocument, table: PriceTable): SpanCost | null {
  if (doc.inputTokens === null && doc.outputTokens === null) return null;
  const model = doc.responseModel ?? doc.requestModel;
  const price = priceFor(table, doc.provider, model, doc.startTime) ?? (doc.responseModel && doc.requestModel ? priceFor(table, doc.provider, doc.requestModel, doc.startTime) : null);
  if (!price) return null;
  return { ...costOf(doc, price), pricedAs: { provider: price.provider ?? null, model: price.model, effectiveFrom: price.effectiveFrom } };
}

/** The document with its cost under the table (documents are never mutated). */
export function withCost(doc: SpanDocument, table: PriceTable | undefined): SpanDocument {
  return table ? { ...doc, cost: spanCost(doc, table) } : doc;
}

/** The current (effective now or at `at`) price of each model name in the table, for listings. */
export function currentPrices(table: PriceTable, at: string = new Date().toISOString()): PriceEntry[] {
  const atMs = Date.parse(at);
  const byKey = new Map<string, PriceEntry>();
  for (const e of table.entries) {
    if (e.effectiveFromMs > atMs) continue;
    const k = keyOf(e);
    const cur = byKey.get(k);
    if (!cur || cur.effectiveFromMs < e.effectiveFromMs || (cur.effectiveFromMs === e.effectiveFromMs && cur.seq < e.seq)) byKey.set(k, e);
  }
  return [...byKey.values()].sort((a, b) => keyOf(a).localeCompare(keyOf(b)));
}
