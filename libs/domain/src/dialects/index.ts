import { genericMapper } from './generic';
import { langfuseMapper } from './langfuse';
import { logfireMapper } from './logfire';
import { openinferenceMapper } from './openinference';
import { openllmetryMapper } from './openllmetry';
import { pydanticAiMapper } from './pydantic-ai';
import { semconvMapper } from './semconv';
import { logRecordToContentEvent, semconvEventsMapper } from './semconv-events';
import type { DialectMapper, DialectResult, MappingContext, NormalizedFields } from './types';
import { vercelAiMapper } from './vercel-ai';

export * from './types';
export { normalizeProvider, providerFromServerAddress } from './provider';
export { logRecordToContentEvent };
export { genericMapper, langfuseMapper, logfireMapper, openinferenceMapper, openllmetryMapper, pydanticAiMapper, semconvEventsMapper, semconvMapper, vercelAiMapper };

/**
 * THE precedence rule, written once: the list order. For every field the first mapper (in this
 * order) that gives a non-empty value wins; `parameters` are merged key by key with the same rule;
 * `aggregateUsage` is true when any mapper says so.
 *
 *   1. langfuse            explicit vendor overrides (langfuse.observation.*, langfuse.session.id)
 *   2. otel-genai          current semconv span attributes (gen_ai.provider.name, input/output
 *                          messages, usage), then their deprecated aliases (gen_ai.system,
 *                          gen_ai.usage.prompt_tokens/completion_tokens)
 *   3. pydantic-ai         gen_ai.aggregated_usage.* (semconv family, agent spans only)
 *   4. otel-genai-events   deprecated per-message events and operation.details (span events, log records)
 *   5. openllmetry         legacy indexed gen_ai.prompt.{i}/gen_ai.completion.{i}, llm.request.functions, traceloop.*
 *      logfire             legacy request_data / response_data JSON attributes
 *   6. openinference       llm.*, tool.*, session.id, user.id
 *   7. vercel-ai           ai.*
 *   8. generic             input.value/output.value, traceloop.entity.input/output, server.address
 *
 * Within a mapper the section D rules hold: model = response > request (> ai.model.id > llm.model_name
 * by list order); provider = gen_ai.provider.name > normalized gen_ai.system > llm.provider > llm.system
 * > ai.model.provider > server.address; usage = semconv *_tokens > deprecated prompt/completion_tokens
 * > llm.token_count.* > ai.usage.*, always in semconv meaning (input includes cache, output includes
 * reasoning; never subtract). One exception, by necessity: Vercel do* spans copy ai.usage.* into
 * gen_ai.usage.*, so there the ai.* original is read (it carries the cache details needed to restore
 * the semconv meaning for Anthropic under AI SDK v4/v5).
 */
export const DEFAULT_DIALECT_MAPPERS: readonly DialectMapper[] = [
  langfuseMapper,
  semconvMapper,
  pydanticAiMapper,
  semconvEventsMapper,
  openllmetryMapper,
  logfireMapper,
  openinferenceMapper,
  vercelAiMapper,
  genericMapper,
];

/** Keys reported as unmapped when no mapper understood them. */
const REPORTED_PREFIXES = ['gen_ai.', 'llm.', 'ai.'];

/** A mapper that threw on a span: the span was normalized without it. */
export interface DialectError {
  dialect: string;
  message: string;
}

export interface DialectMapping {
  fields: Partial<NormalizedFields>;
  dialects: string[];
  unmappedKeys: string[];
  errors: DialectError[];
}

/** Bounded: the message lands in every span document the mapper fails on. */
function errorMessage(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.length > 300 ? `${message.slice(0, 300)}…` : message;
}

function isEmpty(v: unknown): boolean {
  if (v === undefined || v === null || v === '') return true;
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === 'object') {
    for (const _ in v as object) return false;
    return true;
  }
  return false;
}

/**
 * Runs the mappers that detect the span and merges their results in list (= precedence) order.
 * A mapper that throws (in detect or map) or returns no object is skipped for this span and listed in
 * `errors`: one broken team mapper must not stop the projection nor lose what the others read.
 */
export function applyDialects(attrs: Record<string, unknown>, ctx: MappingContext, mappers: readonly DialectMapper[] = DEFAULT_DIALECT_MAPPERS): DialectMapping {
  const fields: Record<string, unknown> = {};
  const dialects: string[] = [];
  const errors: DialectError[] = [];
  const understood = new Set<string>();
  let reported = REPORTED_PREFIXES;
  for (const mapper of mappers) {
    if (mapper.ownsPrefixes?.length) reported = [...reported, ...mapper.ownsPrefixes];
    let mapped: DialectResult;
    try {
      if (!mapper.detect(attrs, ctx)) continue;
      mapped = mapper.map(attrs, ctx);
      if (typeof mapped !== 'object' || mapped === null) throw new TypeError(`map() returned ${mapped === null ? 'null' : typeof mapped}, not an object`);
    } catch (err) {
      errors.push({ dialect: String(mapper.name), message: errorMessage(err) });
      continue;
    }
    const understoodKeys = mapped.understoodKeys;
    if (mapper !== genericMapper) dialects.push(mapper.name);
    if (Array.isArray(understoodKeys)) for (const k of understoodKeys) understood.add(k);
    // Read in place (a rest copy of every mapper's result per span shows in rebuild profiles).
    for (const key in mapped) {
      if (key === 'understoodKeys' || !Object.hasOwn(mapped, key)) continue;
      const value = (mapped as Record<string, unknown>)[key];
      if (isEmpty(value)) continue;
      if (key === 'aggregateUsage') fields.aggregateUsage = fields.aggregateUsage === true || value === true;
      else if (key === 'parameters') fields.parameters = { ...(value as object), ...((fields.parameters as object) ?? {}) };
      else if (isEmpty(fields[key])) fields[key] = value;
    }
  }
  const unmappedKeys = Object.keys(attrs)
    .filter((k) => reported.some((p) => k.startsWith(p)) && !understood.has(k))
    .sort();
  return { fields: fields as Partial<NormalizedFields>, dialects, unmappedKeys, errors };
}
