import { randomUUID } from 'node:crypto';
import { EventTypes, priceTableOf, Streams, validateModelPrice, type ModelPriceSetData, type PriceTable } from '@temps/domain';
import { deterministicEventId, type EventStore } from '@temps/event-store';

/**
 * The shipped price table: list prices in USD per million tokens, standard (non-batch, non-priority,
 * non-regional) tier, short-context tier where a provider prices long prompts higher (Gemini Pro
 * <= 200K-token prompts, GPT-5.4/5.5 <= 272K, Claude Sonnet 4/4.5/4.6 <= 200K, Haiku 5.5 <= 100K,
 * Grok 4.x < 200K). Seeded into the `pricing` stream on `temps serve` start; `temps prices import FILE`
 * adds newer or corrected entries.
 * A date is when the price took effect (or the model's release when that is the first price); a price
 * change is a second dated entry, never an overwrite. Reasoning/thinking tokens are billed as output by
 * every provider here, so no entry sets `reasoning`.
 * Every `source` names the page the numbers were checked against and when: "read 2026-11-27" means
 * the stored copy consulted on that day (the copy's own date in brackets where known). Where only a
 * third-party page or no source at all backed a number, the source text says so ("verify").
 */
const READ = 'read 2026-11-27';
const src = (url: string, note?: string) => `${url} (${READ}${note ? `; ${note}` : ''})`;

const OPENAI = 'https://developers.openai.com/api/docs/pricing';
const OPENAI_MODEL = (id: string) => `https://developers.openai.com/api/docs/models/${id}`;
const ANTHROPIC = 'https://platform.claude.com/docs/en/about-claude/pricing';
const CLAUDE_MODEL = (slug: string) => `https://platform.claude.com/docs/en/models/${slug}/overview`;
const GEMINI = 'https://ai.google.dev/gemini-api/docs/pricing';
const XAI = 'https://docs.x.ai/docs/models';
const MISTRAL = 'https://mistral.ai/pricing#api-pricing';
const COHERE = 'https://cohere.com/pricing';
const DEEPSEEK = 'https://api-docs.deepseek.com/quick_start/pricing';
const DEEPSEEK_OLD = 'https://api-docs.deepseek.com/quick_start/pricing-details-usd';

type Prices = ModelPriceSetData['perMillionTokens'];
const p = (provider: string, model: string, effectiveFrom: string, perMillionTokens: Prices, source: string): ModelPriceSetData => ({
  provider,
  model,
  effectiveFrom,
  currency: 'USD',
  perMillionTokens,
  source,
});

/** Anthropic: 5-minute cache write (1.25x input; the 1-hour write at 2x is not modelled) and cache read. */
const claude = (input: number, cachedInputRead: number, cacheWrite: number, output: number): Prices => ({ input, cachedInputRead, cacheWrite, output });

export const DEFAULT_PRICES: ModelPriceSetData[] = [
  // OpenAI: cached input is a discount on input; no separate cache-write price.
  p('openai', 'gpt-4o', '2024-05-13', { input: 5, output: 15 }, src(OPENAI_MODEL('gpt-4o'), 'launch price; not re-verified this pass')),
  p('openai', 'gpt-4o', '2024-08-06', { input: 2.5, output: 10 }, src(OPENAI_MODEL('gpt-4o'), 'price of the 2024-08-06 snapshot')),
  p('openai', 'gpt-4o', '2024-10-01', { input: 2.5, cachedInputRead: 1.25, output: 10 }, src(OPENAI, 'prompt caching from 2024-10-01; matches third-party mirror chatgptpricing-akr.pages.dev')),
  p('openai', 'gpt-4o-2024-05-13', '2024-05-13', { input: 5, output: 15 }, src(OPENAI_MODEL('gpt-4o'), 'not re-verified this pass')),
  p('openai', 'gpt-4o-mini', '2024-07-18', { input: 0.15, cachedInputRead: 0.075, output: 0.6 }, src(OPENAI, 'cache 0.075 per models.dev PR #1864 quoting this page, 2026-05')),
  p('openai', 'gpt-4.1', '2025-04-14', { input: 2, cachedInputRead: 0.5, output: 8 }, src(OPENAI, 'matches github/docs copilot models-and-pricing.yml')),
  p('openai', 'gpt-4.1-mini', '2025-04-14', { input: 0.4, cachedInputRead: 0.1, output: 1.6 }, src(OPENAI, 'not re-verified this pass')),
  p('openai', 'gpt-4.1-nano', '2025-04-14', { input: 0.1, cachedInputRead: 0.025, output: 0.4 }, src(OPENAI, 'cache 0.025 per models.dev PR #1864 quoting this page')),
  p('openai', 'gpt-5', '2025-08-07', { input: 1.25, cachedInputRead: 0.125, output: 10 }, src(OPENAI_MODEL('gpt-5'), 'quick comparison on the gpt-5.1 and gpt-5-codex model pages')),
  p('openai', 'gpt-5-mini', '2025-08-07', { input: 0.25, cachedInputRead: 0.025, output: 2 }, src(OPENAI, 'matches github/docs copilot models-and-pricing.yml')),
  p('openai', 'gpt-5-nano', '2025-08-07', { input: 0.05, cachedInputRead: 0.005, output: 0.4 }, src(OPENAI_MODEL('gpt-5-nano'))),
  p('openai', 'gpt-5.1', '2025-11-13', { input: 1.25, cachedInputRead: 0.125, output: 10 }, src(OPENAI_MODEL('gpt-5.1'), 'snapshot gpt-5.1-2025-11-13')),
  p('openai', 'gpt-5.2', '2025-12-11', { input: 1.75, cachedInputRead: 0.175, output: 14 }, src(OPENAI, 'price per github/docs copilot models-and-pricing.yml and third-party mirrors; release date from memory, verify')),
  p('openai', 'gpt-5.4', '2026-03-05', { input: 2.5, cachedInputRead: 0.25, output: 15 }, src(OPENAI, '[2026-05-04 copy via api-evangelist/openai plans]; <= 272K-token prompts (third-party: $5/$22.50 above); release date per third-party aigateway.sh, apxml.com')),
  p('openai', 'gpt-5.4-mini', '2026-03-17', { input: 0.75, cachedInputRead: 0.075, output: 4.5 }, src(OPENAI, '[2026-05-04 copy]; release date per OpenAI announcement mirror (pubt.io)')),
  p('openai', 'gpt-5.4-nano', '2026-03-17', { input: 0.2, cachedInputRead: 0.02, output: 1.25 }, src(OPENAI, '[2026-05-04 copy]; release date per OpenAI announcement mirror (pubt.io)')),
  p('openai', 'gpt-5.4-pro', '2026-03-05', { input: 30, output: 180 }, src(OPENAI, 'third-party mirror morphllm.com/openai-api-pricing (2026-06), verify')),
  p('openai', 'gpt-5.5', '2026-04-23', { input: 5, cachedInputRead: 0.5, output: 30 }, src(OPENAI, '[2026-05-04 copy]; <= 272K-token prompts; snapshot gpt-5.5-2026-04-23 per third-party hivebook.wiki, tokenmix.ai')),
  p('openai', 'gpt-5.5-pro', '2026-04-23', { input: 30, output: 180 }, src(OPENAI, '[2026-05-04 copy via api-evangelist/openai plans]')),
  p('openai', 'o1', '2024-12-17', { input: 15, cachedInputRead: 7.5, output: 60 }, src(OPENAI, 'not re-verified this pass')),
  p('openai', 'o3', '2025-04-16', { input: 10, cachedInputRead: 2.5, output: 40 }, src(OPENAI, 'launch price; not re-verified this pass')),
  p('openai', 'o3', '2025-06-10', { input: 2, cachedInputRead: 0.5, output: 8 }, src(OPENAI, 'after the June 2025 price cut; input/output match mirror chatgptpricing-akr.pages.dev, which lists cached $1.00: cached price unverified')),
  p('openai', 'o3-mini', '2025-01-31', { input: 1.1, cachedInputRead: 0.55, output: 4.4 }, src(OPENAI, 'not re-verified this pass')),
  p('openai', 'o4-mini', '2025-04-16', { input: 1.1, cachedInputRead: 0.275, output: 4.4 }, src(OPENAI, 'not re-verified this pass')),
  p('openai', 'text-embedding-3-small', '2024-01-25', { input: 0.02, output: 0 }, src(OPENAI, 'matches mirror chatgptpricing-akr.pages.dev')),
  p('openai', 'text-embedding-3-large', '2024-01-25', { input: 0.13, output: 0 }, src(OPENAI, 'matches mirror chatgptpricing-akr.pages.dev')),

  // Anthropic: cacheWrite = 5-minute cache write; cachedInputRead = cache hits and refreshes.
  p('anthropic', 'claude-3-haiku', '2024-03-07', claude(0.25, 0.03, 0.3, 1.25), src(ANTHROPIC)),
  p('anthropic', 'claude-3-opus', '2024-02-29', claude(15, 1.5, 18.75, 75), src(ANTHROPIC)),
  p('anthropic', 'claude-3-5-haiku', '2024-10-22', claude(0.8, 0.08, 1, 4), src(ANTHROPIC)),
  p('anthropic', 'claude-3-5-sonnet', '2024-06-20', claude(3, 0.3, 3.75, 15), src(ANTHROPIC, 'row no longer listed (retired); not re-verified')),
  p('anthropic', 'claude-3-7-sonnet', '2025-02-24', claude(3, 0.3, 3.75, 15), src(ANTHROPIC)),
  p('anthropic', 'claude-sonnet-4', '2025-05-22', claude(3, 0.3, 3.75, 15), src(ANTHROPIC, '<= 200K-token prompts')),
  p('anthropic', 'claude-opus-4', '2025-05-22', claude(15, 1.5, 18.75, 75), src(ANTHROPIC)),
  p('anthropic', 'claude-opus-4-1', '2025-08-05', claude(15, 1.5, 18.75, 75), src(ANTHROPIC)),
  p('anthropic', 'claude-sonnet-4-5', '2025-09-29', claude(3, 0.3, 3.75, 15), src(ANTHROPIC, '<= 200K-token prompts')),
  p('anthropic', 'claude-haiku-4-5', '2025-10-15', claude(1, 0.1, 1.25, 5), src(ANTHROPIC)),
  p('anthropic', 'claude-opus-4-5', '2025-11-24', claude(5, 0.5, 6.25, 25), src(ANTHROPIC, 'released 2025-11-24 per the Opus 4.5 model page')),
  p('anthropic', 'claude-opus-4-6', '2026-02-05', claude(5, 0.5, 6.25, 25), src(ANTHROPIC, `released 2026-02-05 per ${CLAUDE_MODEL('opus-4-6')}`)),
  p('anthropic', 'claude-sonnet-4-6', '2026-02-17', claude(3, 0.3, 3.75, 15), src(ANTHROPIC, `<= 200K-token prompts ($6/$22.50 above per api-evangelist copy); released 2026-02-17 per ${CLAUDE_MODEL('sonnet-4-6')}`)),
  p('anthropic', 'claude-opus-4-7', '2026-04-16', claude(5, 0.5, 6.25, 25), src(ANTHROPIC, 'launch 2026-04-16 per the AWS Bedrock model card (Vertex lists 2026-04-15)')),
  p('anthropic', 'claude-opus-4-8', '2026-05-28', claude(5, 0.5, 6.25, 25), src(ANTHROPIC, `released 2026-05-28 per ${CLAUDE_MODEL('opus-4-8')}`)),
  p('anthropic', 'claude-fable-5', '2026-06-09', claude(10, 1, 12.5, 50), src(ANTHROPIC, `released 2026-06-09 per ${CLAUDE_MODEL('fable-5')}`)),
  p('anthropic', 'claude-mythos-5', '2026-06-09', claude(10, 1, 12.5, 50), src(ANTHROPIC, 'limited availability; same specs and price as Fable 5')),
  p('anthropic', 'claude-sonnet-5', '2026-06-30', claude(2, 0.2, 2.5, 10), src(ANTHROPIC, `released 2026-06-30 per ${CLAUDE_MODEL('sonnet-5')}; a scheduled 2026-09-01 rise to $3/$15 was cancelled (third-party PromptFuel, apidog; one third-party page still lists $3/$15)`)),
  p('anthropic', 'claude-opus-5', '2026-07-24', claude(5, 0.5, 6.25, 25), src(ANTHROPIC, `released 2026-07-24 per ${CLAUDE_MODEL('opus-5')}`)),
  p('anthropic', 'claude-fable-5-1', '2026-09-01', claude(10, 0.25, 12.5, 50), src(ANTHROPIC, 'cache hits $0.25; release 2026-09-01 per third-party PromptFuel release notes, verify')),
  p('anthropic', 'claude-mythos-5-1', '2026-09-01', claude(10, 0.25, 12.5, 50), src(ANTHROPIC, 'limited availability; release date per third-party, verify')),
  p('anthropic', 'claude-opus-5-5', '2026-09-23', claude(4, 0.2, 5, 20), src(CLAUDE_MODEL('opus-5-5'), 'cache read 0.05x input; date = first seen on the pricing page per third-party claudit v1.8.2, verify')),
  p('anthropic', 'claude-sonnet-5-5', '2026-09-28', claude(2, 0.2, 2.5, 10), src(CLAUDE_MODEL('sonnet-5-5'), 'release date per third-party PromptFuel, verify')),
  p('anthropic', 'claude-sonnet-5-5', '2026-10-07', claude(2, 0.1, 2.5, 10), src(ANTHROPIC, 'cache hits cut $0.20 -> $0.10 on 2026-10-07 per third-party claudit v1.9.2 and PromptFuel v1.0.23 (the stored official page predates it), verify')),
  p('anthropic', 'claude-haiku-5-5', '2026-10-07', claude(0.1, 0.01, 0.125, 0.5), src(ANTHROPIC, 'prompts <= 100K tokens ($0.50/$2.50, write $0.625, read $0.05 above); list "from $0.10/$0.50" on the models overview; cache rates and date per third-party claudit, PromptFuel, verify')),

  // Google Gemini API (prompts up to 200K tokens where tiered); output includes thinking tokens.
  p('gcp.gemini', 'gemini-1.5-flash', '2024-08-12', { input: 0.075, output: 0.3 }, src(GEMINI, '<= 128K-token prompts; model retired, not re-verified')),
  p('gcp.gemini', 'gemini-1.5-pro', '2024-10-01', { input: 1.25, output: 5 }, src(GEMINI, '<= 128K-token prompts; model retired, not re-verified')),
  p('gcp.gemini', 'gemini-2.0-flash', '2025-02-05', { input: 0.1, cachedInputRead: 0.025, output: 0.4 }, src(GEMINI, 'input/output match third-party morphllm.com/gemini-api-pricing; cache not re-verified')),
  p('gcp.gemini', 'gemini-2.0-flash-lite', '2025-02-25', { input: 0.075, output: 0.3 }, src(GEMINI, 'not re-verified this pass')),
  p('gcp.gemini', 'gemini-2.5-pro', '2025-06-17', { input: 1.25, cachedInputRead: 0.31, output: 10 }, src(GEMINI, '<= 200K-token prompts ($2.50 input above) [2026-10-07 copy via api-evangelist/deepmind]; later page copies list context caching at $0.125 (forum discuss.ai.google.dev/t/107349): date of that change unknown, verify')),
  p('gcp.gemini', 'gemini-2.5-flash', '2025-06-17', { input: 0.3, cachedInputRead: 0.075, output: 2.5 }, src(GEMINI, 'text/image/video input ($1.00 audio) [2026-10-07 copy]; cache price not re-verified')),
  p('gcp.gemini', 'gemini-2.5-flash-lite', '2025-07-22', { input: 0.1, cachedInputRead: 0.025, output: 0.4 }, src(GEMINI, 'output [2026-10-07 copy]; input per morphllm mirror; cache price not re-verified')),
  p('gcp.gemini', 'gemini-3-pro-preview', '2025-11-18', { input: 2, cachedInputRead: 0.2, output: 12 }, src(GEMINI, '<= 200K-token prompts; input/output match third-party aifreeapi.com; cache not re-verified')),
  p('gcp.gemini', 'gemini-3-flash-preview', '2025-12-17', { input: 0.5, cachedInputRead: 0.05, output: 3 }, src(GEMINI, 'text/image/video input; quoted from this page by factquire.com (2026-07-04)')),
  p('gcp.gemini', 'gemini-3.1-pro-preview', '2026-02-19', { input: 2, cachedInputRead: 0.2, output: 12 }, src(GEMINI, '<= 200K-token prompts ($4/$18 above) [2026-10-07 copy]; cache price assumed equal to Gemini 3 Pro and release date per third-party simstudioai/sim, verify')),
  p('gcp.gemini', 'gemini-3.5-flash', '2026-05-19', { input: 1.5, cachedInputRead: 0.15, output: 9 }, src(GEMINI, '[2026-10-07 copy]; cache price and release date per third-party simstudioai/sim, verify')),
  p('gcp.gemini', 'gemini-3.5-flash-lite', '2026-07-21', { input: 0.3, cachedInputRead: 0.03, output: 2.5 }, src(GEMINI, '[2026-10-07 copy]; cache price and release date per third-party simstudioai/sim, verify')),
  p('gcp.gemini', 'gemini-3.6-flash', '2026-07-21', { input: 1.5, cachedInputRead: 0.15, output: 7.5 }, src(GEMINI, 'third-party only (simstudioai/sim models.ts), verify')),
  p('gcp.gemini', 'gemini-3.8-flash', '2026-09-02', { input: 0.75, output: 3.75 }, src(GEMINI, 'introductory price "through December 31, 2026" [2026-10-07 copy]; cache price not found; release date per third-party, verify')),
  p('gcp.gemini', 'gemini-3.8-flash', '2027-01-01', { input: 1.5, output: 7.5 }, src(GEMINI, 'scheduled price "starting January 1, 2027" [2026-10-07 copy]')),

  // xAI (SpaceXAI since 2026)
  p('x_ai', 'grok-3', '2025-04-09', { input: 3, cachedInputRead: 0.75, output: 15 }, src(XAI, '[2025-06-02 archive.fo copy]')),
  p('x_ai', 'grok-3-mini', '2025-04-09', { input: 0.3, cachedInputRead: 0.075, output: 0.5 }, src(XAI, '[2025-06-02 archive.fo copy]')),
  p('x_ai', 'grok-4', '2025-07-09', { input: 3, cachedInputRead: 0.75, output: 15 }, src(XAI, '< 128K-token prompts; $3/$15 per third-party mirrors (stored official copies show no numbers); cached price unverified')),
  p('x_ai', 'grok-4-fast*', '2025-09-19', { input: 0.2, cachedInputRead: 0.05, output: 0.5 }, src(XAI, 'input/output per third-party getmaxim.ai; cached price unverified')),
  p('x_ai', 'grok-4-1-fast*', '2025-11-19', { input: 0.2, cachedInputRead: 0.05, output: 0.5 }, src(XAI, 'third-party only (getmaxim.ai, skills.sh; release date opencode.ai), verify')),
  p('x_ai', 'grok-code-fast-1', '2025-08-28', { input: 0.2, cachedInputRead: 0.02, output: 1.5 }, src(XAI, 'input/output match third-party benbencodes/llm-prices; cached price unverified')),
  p('x_ai', 'grok-4.7', '2026-09-21', { input: 2, cachedInputRead: 0.5, output: 6 }, src('https://docs.x.ai/developers/grok-4-7', '< 200K-token prompts ($4/$1/$12 above); cached price, tier and release date per third-party apidog.com, verify')),

  // Mistral (no cached-input discount published)
  p('mistral_ai', 'mistral-large', '2024-11-18', { input: 2, output: 6 }, src(MISTRAL, 'Mistral Large 2 (2411); matches third-party margindash.com, lava.so')),
  p('mistral_ai', 'mistral-large-2411', '2024-11-18', { input: 2, output: 6 }, src(MISTRAL, 'keeps the pinned Large 2 snapshot at its price after the Large 3 alias change')),
  p('mistral_ai', 'mistral-large', '2025-12-02', { input: 0.5, output: 1.5 }, src(MISTRAL, 'Mistral Large 3 (2512) per third-party margindash.com, developer.puter.com, aipromptshub.co (devtk.ai lists $2/$6); release date from memory, verify')),
  p('mistral_ai', 'mistral-medium', '2025-05-07', { input: 0.4, output: 2 }, src(MISTRAL, 'Medium 3/3.1 per third-party margindash.com; Medium 3.5 ($1.50/$7.50 per puter.com, lava.so) not priced here: date unknown')),
  p('mistral_ai', 'mistral-small', '2025-03-17', { input: 0.1, output: 0.3 }, src(MISTRAL, 'Small 3.1/3.2/4 per third-party margindash.com, developer.puter.com')),
  p('mistral_ai', 'magistral-medium', '2025-06-10', { input: 2, output: 5 }, src(MISTRAL, 'third-party developer.puter.com, margindash.com; release date from memory, verify')),
  p('mistral_ai', 'magistral-small', '2025-06-10', { input: 0.5, output: 1.5 }, src(MISTRAL, 'third-party developer.puter.com, margindash.com; release date from memory, verify')),
  p('mistral_ai', 'codestral', '2025-01-13', { input: 0.3, output: 0.9 }, src(MISTRAL, 'matches third-party developer.puter.com')),
  p('mistral_ai', 'ministral-8b', '2024-10-16', { input: 0.1, output: 0.1 }, src(MISTRAL, 'Ministral 8B 2410; not re-verified')),
  p('mistral_ai', 'ministral-3b', '2024-10-16', { input: 0.04, output: 0.04 }, src(MISTRAL, 'Ministral 3B 2410; not re-verified')),
  p('mistral_ai', 'ministral-8b-2410', '2024-10-16', { input: 0.1, output: 0.1 }, src(MISTRAL, 'pinned 2410 snapshot; not re-verified')),
  p('mistral_ai', 'ministral-3b-2410', '2024-10-16', { input: 0.04, output: 0.04 }, src(MISTRAL, 'pinned 2410 snapshot; not re-verified')),
  p('mistral_ai', 'ministral-8b', '2025-12-02', { input: 0.15, output: 0.15 }, src(MISTRAL, 'Ministral 3 8B per third-party margindash.com, developer.puter.com; date from memory, verify')),
  p('mistral_ai', 'ministral-3b', '2025-12-02', { input: 0.1, output: 0.1 }, src(MISTRAL, 'Ministral 3 3B per third-party margindash.com, developer.puter.com; date from memory, verify')),
  p('mistral_ai', 'ministral-14b', '2025-12-02', { input: 0.2, output: 0.2 }, src(MISTRAL, 'Ministral 3 14B per third-party margindash.com; date from memory, verify')),
  p('mistral_ai', 'open-mistral-nemo', '2024-07-18', { input: 0.15, output: 0.15 }, src(MISTRAL, 'not re-verified this pass')),

  // Cohere
  p('cohere', 'command-a', '2025-03-13', { input: 2.5, output: 10 }, src(COHERE, 'no stored copy found this pass, verify')),
  p('cohere', 'command-r-plus', '2024-08-30', { input: 2.5, output: 10 }, src(COHERE, 'Command R+ 08-2024 [2026-05-04 api-evangelist/cohere copy, generated not harvested]')),
  p('cohere', 'command-r-plus-04-2024', '2024-04-04', { input: 3, output: 15 }, src(COHERE, '[2026-05-04 api-evangelist/cohere copy, generated not harvested], verify')),
  p('cohere', 'command-r', '2024-08-30', { input: 0.15, output: 0.6 }, src(COHERE, 'Command R 08-2024; no stored copy found this pass, verify')),
  p('cohere', 'command-r-03-2024', '2024-03-11', { input: 0.5, output: 1.5 }, src(COHERE, '[2026-05-04 api-evangelist/cohere copy, generated not harvested], verify')),
  p('cohere', 'command-r7b', '2024-12-13', { input: 0.0375, output: 0.15 }, src(COHERE, 'no stored copy found this pass, verify')),

  // DeepSeek: cachedInputRead = cache hit, input = cache miss. Since 2026-08-16 16:00 UTC DeepSeek bills
  // peak / off-peak (off-peak is half); the table holds the PEAK price (an upper bound).
  p('deepseek', 'deepseek-chat', '2025-02-09', { input: 0.27, cachedInputRead: 0.07, output: 1.1 }, src(DEEPSEEK_OLD, 'DeepSeek-V3')),
  p('deepseek', 'deepseek-chat', '2025-09-05', { input: 0.56, cachedInputRead: 0.07, output: 1.68 }, src(DEEPSEEK, 'V3.1 price; not re-verified this pass')),
  p('deepseek', 'deepseek-chat', '2025-09-29', { input: 0.28, cachedInputRead: 0.028, output: 0.42 }, src(DEEPSEEK, 'V3.2 price; matches RooCodeInc/Roo-Code deepseek.ts (2025-12-09)')),
  p('deepseek', 'deepseek-chat', '2026-04-24', { input: 0.14, cachedInputRead: 0.0028, output: 0.28 }, src(DEEPSEEK, 'alias served by deepseek-v4-flash until its retirement on 2026-07-24 per third-party arikusi/deepseek-mcp-server v2.0.0, verify')),
  p('deepseek', 'deepseek-reasoner', '2025-01-20', { input: 0.55, cachedInputRead: 0.14, output: 2.19 }, src(DEEPSEEK_OLD, 'DeepSeek-R1')),
  p('deepseek', 'deepseek-reasoner', '2025-09-05', { input: 0.56, cachedInputRead: 0.07, output: 1.68 }, src(DEEPSEEK, 'V3.1 price; not re-verified this pass')),
  p('deepseek', 'deepseek-reasoner', '2025-09-29', { input: 0.28, cachedInputRead: 0.028, output: 0.42 }, src(DEEPSEEK, 'V3.2 price; matches RooCodeInc/Roo-Code deepseek.ts (2025-12-09)')),
  p('deepseek', 'deepseek-reasoner', '2026-04-24', { input: 0.14, cachedInputRead: 0.0028, output: 0.28 }, src(DEEPSEEK, 'alias served by deepseek-v4-flash (thinking) until 2026-07-24 per third-party arikusi/deepseek-mcp-server, verify')),
  p('deepseek', 'deepseek-v4-flash', '2026-04-24', { input: 0.14, cachedInputRead: 0.0028, output: 0.28 }, src(DEEPSEEK, 'stored copy listing DeepSeek-V4-Flash-0731; release date per third-party docs.apiyi.com')),
  p('deepseek', 'deepseek-v4-flash', '2026-08-16T16:00:00Z', { input: 0.44, cachedInputRead: 0.014, output: 1.32 }, src(DEEPSEEK, 'peak price (off-peak $0.22/$0.007/$0.66), announced on this page to start 2026-08-16 16:00 UTC')),
  p('deepseek', 'deepseek-v4-flash', '2026-09-10', { input: 0.3, cachedInputRead: 0.006, output: 1.2 }, src(DEEPSEEK, 'retired name now served and billed as deepseek-flash (V4.1-Flash); peak price; switch date per third-party WFMinerva/dsh-turn-cost, verify')),
  p('deepseek', 'deepseek-flash', '2026-09-10', { input: 0.3, cachedInputRead: 0.006, output: 1.2 }, src(DEEPSEEK, '[2026-11-15 copy] DeepSeek-V4.1-Flash-1017; peak price (off-peak $0.15/$0.003/$0.60); start date per third-party, verify')),
  p('deepseek', 'deepseek-v4-pro', '2026-04-24', { input: 0.435, cachedInputRead: 0.003625, output: 0.87 }, src(DEEPSEEK, 'launch price (listed as a 75% promotion by api-evangelist/deepseek), still listed for V4-Pro-0813 until 2026-08-16')),
  p('deepseek', 'deepseek-v4-pro', '2026-08-16T16:00:00Z', { input: 1.32, cachedInputRead: 0.044, output: 3.96 }, src(DEEPSEEK, '[2026-11-15 copy] peak price (off-peak $0.66/$0.022/$1.98)')),
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
