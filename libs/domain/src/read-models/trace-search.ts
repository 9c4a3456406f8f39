import type { SpanDocument } from '../span-document';
import { traceKey } from '../trace-projection';
import type { TraceSummary } from '../trace-summary';
import { ID_SEPARATOR as SEP, sumCounters, type CounterRow } from './read-model-counters';

/** Longest text kept per span for free-text search (the start of long messages is what people search). */
export const SEARCH_TEXT_LIMIT = 8_000;
/** Words kept per trace for word search (stores that index words: see traceSearchFields). */
export const SEARCH_TERMS_LIMIT = 2_000;
/** Longest word kept (index keys stay small); a longer one is kept cut to this length. */
export const SEARCH_TERM_LENGTH = 64;

function collectText(value: unknown, out: string[], depth = 0): void {
  if (depth > 6 || value === null || value === undefined) return;
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const v of value) collectText(v, out, depth + 1);
  else if (typeof value === 'object') {
    const o = value as Record<string, unknown>;
    for (const key of ['content', 'text', 'name', 'arguments', 'response', 'parts']) if (key in o) collectText(o[key], out, depth + 1);
  }
}

/**
 * The searchable text of one span, lower-cased: its name, agent and tool names, system instructions
 * and message text. Stores that match `q` as a substring keep it per span.
 */
export function spanSearchText(span: SpanDocument): string {
  const out: string[] = [span.name];
  if (span.agentName) out.push(span.agentName);
  if (span.toolName) out.push(span.toolName);
  collectText(span.systemInstructions, out);
  collectText(span.inputMessages, out);
  collectText(span.outputMessages, out);
  return out.join('\n').toLowerCase().slice(0, SEARCH_TEXT_LIMIT);
}

const WORD = /[\p{L}\p{N}\p{M}\p{Extended_Pictographic}]+/gu;

/** The distinct words of a text, lower-cased: runs of letters, digits, marks and emoji ('travel-planner' is two words, 'search_web' too). */
export function searchTerms(text: string): string[] {
  const out = new Set<string>();
  for (const m of text.toLowerCase().matchAll(WORD)) out.add(m[0].slice(0, SEARCH_TERM_LENGTH));
  return [...out];
}

/** Per trace, what its service and word filters match: every service of its spans, and the words of their searchable text. */
export interface TraceSearchFields {
  projectId: string;
  traceId: string;
  services: string[];
  terms: string[];
}

/** The search fields of each given trace from its whole span set (`spans` may hold other traces' spans too). */
export function traceSearchFields(spans: readonly SpanDocument[], traces: readonly TraceSummary[]): TraceSearchFields[] {
  const wanted = new Map(traces.map((t) => [traceKey(t.projectId, t.traceId), { projectId: t.projectId, traceId: t.traceId, services: new Set<string>(), terms: new Set<string>() }]));
  for (const s of spans) {
    const f = wanted.get(traceKey(s.projectId, s.traceId));
    if (!f) continue;
    if (s.serviceName) f.services.add(s.serviceName);
    if (f.terms.size < SEARCH_TERMS_LIMIT) for (const t of searchTerms(spanSearchText(s))) f.terms.add(t);
  }
  return [...wanted.values()].map((f) => ({ projectId: f.projectId, traceId: f.traceId, services: [...f.services].sort(), terms: [...f.terms].slice(0, SEARCH_TERMS_LIMIT) }));
}

/** Counter rows of how many traces of a project have a span of each service (stores that list services from them). */
export const TRACE_SERVICES_TABLE = 'trace_services';
export const traceServicesRowIdPrefix = (projectId: string) => `${TRACE_SERVICES_TABLE}${SEP}${projectId}${SEP}`;

/** One trace per distinct service of its spans: `{ traces: n }` per project x service. */
export function traceServiceCounters(spans: readonly SpanDocument[]): CounterRow[] {
  const seen = new Set<string>();
  const rows: CounterRow[] = [];
  for (const s of spans) {
    if (!s.serviceName) continue;
    const key = JSON.stringify([s.projectId, s.traceId, s.serviceName]);
    if (seen.has(key)) continue;
    seen.add(key);
    rows.push({ id: `${traceServicesRowIdPrefix(s.projectId)}${s.serviceName}`, dims: { projectId: s.projectId, service: s.serviceName }, values: { traces: 1 } });
  }
  return [...sumCounters(rows).values()];
}
