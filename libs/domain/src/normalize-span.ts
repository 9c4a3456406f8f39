import { attributesToRecord } from './attribute-map';
import { applyDialects, DEFAULT_DIALECT_MAPPERS, type DialectMapper, type MappingContext } from './dialects';
import type { IngestMetadata, StoredSpanData } from './events';
import type { ContentEventRecord } from './messages';
import type { SpanCategory, SpanDocument, TraceStatus } from './span-document';

export { normalizeProvider, providerFromServerAddress, DEFAULT_DIALECT_MAPPERS, applyDialects, logRecordToContentEvent } from './dialects';
export type { DialectMapper, DialectResult, MappingContext, NormalizedFields, DialectMapping, DialectError } from './dialects';

const SPAN_KINDS = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'];

function str(v: unknown): string | null {
  if (v === undefined || v === null) return null;
  if (typeof v === 'string') return v.length ? v : null;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return null;
}

/** A token count as sent, or null: a negative count is a client bug and would lower totals and cost. */
function tokens(n: number | undefined): number | null {
  return n !== undefined && n >= 0 ? n : null;
}

/** Nanoseconds (decimal string) -> ISO 8601 with millisecond precision. */
export function nanosToIso(nanos: string): string {
  // Dropping the last 6 digits is the floor division by 1e6 without a BigInt (hot path).
  const ms = nanos.length > 6 ? Number(nanos.slice(0, -6)) : 0;
  return msToIso(ms);
}

const DAY_MS = 86_400_000;
/** The date part of the last day formatted: spans come in runs from the same day. */
let cachedDay = Number.NaN;
let cachedDate = '';
const pad2 = (n: number) => (n < 10 ? `0${n}` : `${n}`);

/** `new Date(ms).toISOString()`, several times faster for the common case (whole ms, years 1970-9999): a rebuild formats two per span. */
export function msToIso(ms: number): string {
  if (!Number.isSafeInteger(ms) || ms < 0 || ms >= 253_402_300_800_000) return new Date(ms).toISOString();
  const day = Math.floor(ms / DAY_MS);
  if (day !== cachedDay) {
    cachedDate = new Date(day * DAY_MS).toISOString().slice(0, 11);
    cachedDay = day;
  }
  let rest = ms - day * DAY_MS;
  const h = Math.floor(rest / 3_600_000);
  rest -= h * 3_600_000;
  const m = Math.floor(rest / 60_000);
  rest -= m * 60_000;
  const s = Math.floor(rest / 1000);
  const milli = rest - s * 1000;
  return `${cachedDate}${pad2(h)}:${pad2(m)}:${pad2(s)}.${milli < 10 ? '00' : milli < 100 ? '0' : ''}${milli}Z`;
}

export function nanosDiffMs(start: string, end: string): number {
  const diff = BigInt(end || '0') - BigInt(start || '0');
  return diff <= 0n ? 0 : Number(diff) / 1e6;
}

function statusOf(code: number): TraceStatus {
  return code === 2 ? 'error' : code === 1 ? 'ok' : 'unset';
}

export interface NormalizeOptions {
  /** Dialect mappers in precedence order (default: DEFAULT_DIALECT_MAPPERS). */
  mappers?: readonly DialectMapper[];
  /**
   * A team's own mappers (registered with the projector): they run BEFORE `mappers`, so they win
   * every field they fill, including over the built-in reading of keys they also understand.
   */
  extraMappers?: readonly DialectMapper[];
  /** Content log records joined to this span (by trace and span id), after its own span events. */
  logRecords?: readonly ContentEventRecord[];
}

/**
 * Raw span -> canonical span document. Every dialect mapper that detects the span contributes; the
 * precedence between them is the mapper list order, documented once on DEFAULT_DIALECT_MAPPERS.
 * Pure: the same event always gives the same document, which is what makes rebuilds safe.
 */
export function normalizeSpan(data: StoredSpanData, meta: IngestMetadata, position: bigint, options: NormalizeOptions = {}): SpanDocument {
  const { span } = data;
  const a = attributesToRecord(span.attributes);
  const resource = attributesToRecord(data.resource?.attributes);
  const events: ContentEventRecord[] = [
    ...(span.events ?? []).map((e) => ({ name: e.name, attributes: attributesToRecord(e.attributes) })),
    ...(options.logRecords ?? []),
  ];
  const ctx: MappingContext = { span, resource, scopeName: data.scope?.name || null, events };
  const builtIn = options.mappers ?? DEFAULT_DIALECT_MAPPERS;
  const { fields: f, dialects, unmappedKeys, errors } = applyDialects(a, ctx, options.extraMappers?.length ? [...options.extraMappers, ...builtIn] : builtIn);

  // No dialect named the kind, but the span names a model and carries usage or messages: a model call.
  const looksLikeCall = (f.requestModel || f.responseModel) && (f.inputTokens !== undefined || f.outputTokens !== undefined || f.inputMessages || f.outputMessages);
  const kind: SpanCategory = f.kind ?? (looksLikeCall ? 'generation' : 'span');
  const status = statusOf(span.status?.code ?? 0);
  const errorType = f.errorType ?? (status === 'error' ? (str(span.status?.message) ?? null) : null);
  const inputTokens = tokens(f.inputTokens);
  const outputTokens = tokens(f.outputTokens);
  const hasUsage = inputTokens !== null || outputTokens !== null;
  // Wrapper kinds with usage of their own are aggregates too, whatever dialect described them.
  const aggregateUsage = hasUsage && (f.aggregateUsage === true || kind === 'agent' || kind === 'workflow' || kind === 'chain');
  // Tool spans described only generically (input.value, traceloop.entity.input): arguments and result.
  const toolCallArguments = f.toolCallArguments ?? (kind === 'tool' ? f.input : undefined) ?? null;
  const toolCallResult = f.toolCallResult ?? (kind === 'tool' ? f.output : undefined) ?? null;
  const sessionId = f.sessionId ?? null;

  return {
    projectId: meta.projectId,
    traceId: span.traceId,
    spanId: span.spanId,
    parentSpanId: span.parentSpanId || null,
    name: span.name,
    kind,
    spanKind: SPAN_KINDS[span.kind] ?? 'unspecified',
    operation: f.operation ?? null,
    provider: f.provider ?? null,
    requestModel: f.requestModel ?? null,
    responseModel: f.responseModel ?? null,
    inputTokens,
    outputTokens,
    cacheReadInputTokens: tokens(f.cacheReadInputTokens),
    cacheCreationInputTokens: tokens(f.cacheCreationInputTokens),
    reasoningOutputTokens: tokens(f.reasoningOutputTokens),
    finishReasons: f.finishReasons ?? [],
    responseId: f.responseId ?? null,
    temperature: f.temperature ?? null,
    maxTokens: f.maxTokens ?? null,
    startTime: nanosToIso(span.startTimeUnixNano),
    endTime: nanosToIso(span.endTimeUnixNano),
    startTimeUnixNano: span.startTimeUnixNano,
    endTimeUnixNano: span.endTimeUnixNano,
    durationMs: nanosDiffMs(span.startTimeUnixNano, span.endTimeUnixNano),
    status,
    statusMessage: str(span.status?.message),
    errorType,
    agentName: f.agentName ?? null,
    toolName: f.toolName ?? null,
    toolCallId: f.toolCallId ?? null,
    toolCallArguments,
    toolCallResult,
    inputMessages: f.inputMessages ?? null,
    outputMessages: f.outputMessages ?? null,
    systemInstructions: f.systemInstructions ?? null,
    conversationId: sessionId,
    toolDefinitions: f.toolDefinitions ?? null,
    sessionId,
    userId: f.userId ?? null,
    parameters: f.parameters ?? null,
    // Generic payloads only when no messages say the same thing (they stay in `attributes` anyway).
    ...(f.input !== undefined && !f.inputMessages && kind !== 'tool' ? { input: f.input } : {}),
    ...(f.output !== undefined && !f.outputMessages && kind !== 'tool' ? { output: f.output } : {}),
    aggregateUsage,
    mapping: errors.length ? { dialects, unmappedKeys, errors } : { dialects, unmappedKeys },
    serviceName: str(resource['service.name']),
    scopeName: data.scope?.name || null,
    attributes: a,
    resourceAttributes: resource,
    position: position.toString(),
    receivedAt: meta.receivedAt,
  };
}
