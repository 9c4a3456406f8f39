import type { StoredSpanData } from '../events';
import type { ChatMessage, ContentEventRecord, MessagePart } from '../messages';
import type { SpanCategory } from '../span-document';

/** What one span tells, in canonical form; every dialect mapper fills the part it understands. */
export interface NormalizedFields {
  operation: string;
  kind: SpanCategory;
  provider: string;
  requestModel: string;
  responseModel: string;
  /** Semconv meaning: input INCLUDES cached tokens, output INCLUDES reasoning tokens. */
  inputTokens: number;
  outputTokens: number;
  cacheReadInputTokens: number;
  cacheCreationInputTokens: number;
  reasoningOutputTokens: number;
  finishReasons: string[];
  responseId: string;
  temperature: number;
  maxTokens: number;
  /** Other request parameters (top_p, top_k, seed, stop_sequences, ...), semconv names without the prefix. */
  parameters: Record<string, unknown>;
  errorType: string;
  agentName: string;
  toolName: string;
  toolCallId: string;
  toolCallArguments: unknown;
  toolCallResult: unknown;
  inputMessages: ChatMessage[];
  outputMessages: ChatMessage[];
  systemInstructions: MessagePart[];
  toolDefinitions: unknown[];
  /** Conversation / session id. */
  sessionId: string;
  userId: string;
  /** Generic, non-message input/output (input.value, traceloop.entity.input, langfuse.observation.input...). */
  input: unknown;
  output: unknown;
  /** The span repeats the usage of its children (agent/workflow roots, SDK wrappers): never count it twice. */
  aggregateUsage: boolean;
}

/** What a mapper gets besides the span attributes. */
export interface MappingContext {
  /** The span as stored: its attribute lists may be maps (event schema 2); read attributes from `attrs`, which has both. */
  span: StoredSpanData['span'];
  resource: Record<string, unknown>;
  scopeName: string | null;
  /** Content events joined to the span: its span events, plus (later) log records carrying its ids. */
  events: readonly ContentEventRecord[];
}

export type DialectResult = Partial<NormalizedFields> & {
  /** Attribute keys this mapper read (or knowingly ignores); the rest of gen_ai.*, llm.*, ai.* is reported unmapped. */
  understoodKeys: string[];
};

/**
 * One instrumentation dialect. `normalizeSpan` runs every mapper whose `detect` is true and merges
 * the results field by field in the order of its mapper list (first non-empty value wins). A team
 * adds its own without touching that list: registered mappers run first (docs/extending.md).
 */
export interface DialectMapper {
  readonly name: string;
  /**
   * Attribute key prefixes this dialect owns (e.g. `['acme.llm.']`): keys under them that no mapper
   * understood are reported unmapped, like the gen_ai.*, llm.* and ai.* keys always are.
   */
  readonly ownsPrefixes?: readonly string[];
  detect(attrs: Record<string, unknown>, ctx: MappingContext): boolean;
  map(attrs: Record<string, unknown>, ctx: MappingContext): DialectResult;
}

// ---- small lenient readers shared by the mappers -------------------------------------------

export function str(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v.length ? v : undefined;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return undefined;
}

export function num(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return undefined;
}

export function firstOf<T>(...values: (T | null | undefined)[]): T | undefined {
  for (const v of values) if (v !== null && v !== undefined) return v;
  return undefined;
}

/** Drops undefined/null values so a partial result never overrides with "nothing". */
export function compact<T extends object>(o: T): { [K in keyof T]?: Exclude<T[K], null> } {
  const out: Record<string, unknown> = {};
  // for-in, not Object.entries: this runs for every mapper on every span (the projector's hot path).
  for (const k in o) {
    const v = (o as Record<string, unknown>)[k];
    if (v !== undefined && v !== null) out[k] = v;
  }
  return out as { [K in keyof T]?: Exclude<T[K], null> };
}

/**
 * Rebuilds flattened attributes under `prefix` (`p.0.role`, `p.0.tool_calls.1.name`) into nested
 * values: objects whose keys are all digits become arrays, in index order.
 */
export function unflatten(attrs: Record<string, unknown>, prefix: string, indexedOnly = false): unknown {
  const root: Record<string, unknown> = {};
  const lead = `${prefix}.`;
  for (const [key, value] of Object.entries(attrs)) {
    if (!key.startsWith(lead)) continue;
    // `gen_ai.prompt.name` is not `gen_ai.prompt.{i}`: with indexedOnly, only `<prefix>.<digits>.` keys count.
    if (indexedOnly && !/^\d+\./.test(key.slice(lead.length))) continue;
    const path = key.slice(lead.length).split('.');
    let node = root;
    let ok = true;
    for (let i = 0; i < path.length - 1; i++) {
      const seg = path[i]!;
      const next = node[seg];
      if (next === undefined) node[seg] = {};
      else if (typeof next !== 'object' || next === null || Array.isArray(next)) {
        ok = false; // a leaf and a prefix collide: keep the leaf
        break;
      }
      node = node[seg] as Record<string, unknown>;
    }
    if (ok && !(path[path.length - 1]! in node)) node[path[path.length - 1]!] = value;
  }
  return arraysOf(root);
}

function arraysOf(node: unknown): unknown {
  if (!node || typeof node !== 'object' || Array.isArray(node)) return node;
  const entries = Object.entries(node as Record<string, unknown>);
  if (entries.length && entries.every(([k]) => /^\d+$/.test(k))) {
    return entries.sort(([a], [b]) => Number(a) - Number(b)).map(([, v]) => arraysOf(v));
  }
  return Object.fromEntries(entries.map(([k, v]) => [k, arraysOf(v)]));
}

export function keysMatching(attrs: Record<string, unknown>, understands: (key: string) => boolean): string[] {
  return Object.keys(attrs).filter(understands);
}
