import { EVENT_SCHEMA_VERSION, rebuildTraces, type IngestMetadata, type ProjectableEvent, type SpanDocument, type TraceSummary } from '@temps/domain';
import { DEFAULT_DECODE_LIMITS } from '@temps/otlp';
import { SIGNAL_CODECS } from '../../apps/ingest/src/otlp-signals';
import type { RecordedRequest } from './recorded-fixtures';

export interface ProjectedRequests {
  events: ProjectableEvent[];
  spans: SpanDocument[];
  traces: TraceSummary[];
  /** Items the decoders rejected, with their reasons (a recorded client should have none). */
  rejected: string[];
}

/**
 * What the server would store and show for these export requests: each body goes through the
 * ingest codecs (decode, then one SpanReceived/LogRecordReceived event per item, exactly as
 * OtlpIngestService appends them), then the trace projection folds the events, joining content
 * log records to their spans.
 */
export function projectOtlpRequests(requests: readonly RecordedRequest[], projectId = '1'): ProjectedRequests {
  const events: ProjectableEvent[] = [];
  const rejected: string[] = [];
  let position = 0n;
  requests.forEach((request, i) => {
    const codec = SIGNAL_CODECS[request.signal];
    const decoded = codec.decode(request.encoding, request.body, DEFAULT_DECODE_LIMITS);
    rejected.push(...decoded.rejected.map((r) => r.reason));
    const metadata: IngestMetadata = {
      projectId,
      receivedAt: '2026-11-27T00:00:00.000Z',
      requestId: `recorded-${i}`,
      encoding: request.encoding,
      schemaVersion: EVENT_SCHEMA_VERSION,
    };
    for (const item of decoded.items) {
      const { event } = codec.toEvent(item, metadata);
      events.push({ type: event.type, position: ++position, data: event.data, metadata: event.metadata });
    }
  });
  const { spans, traces } = rebuildTraces(events);
  return { events, spans, traces, rejected };
}

/** Spans in start order (then name), the order a trace view shows them. */
export function spansInOrder(spans: readonly SpanDocument[]): SpanDocument[] {
  const pad = (n: string) => n.padStart(20, '0');
  return [...spans].sort((a, b) => pad(a.startTimeUnixNano).localeCompare(pad(b.startTimeUnixNano)) || a.name.localeCompare(b.name));
}

/**
 * The normalized fields of a projection, without what changes from one recording to the next
 * (ids, times, ports, positions): the tree is kept as each span's parent NAME. Two recordings of
 * the same scenario by the same client versions give the same view.
 */
export function normalizedView(projected: ProjectedRequests) {
  const byId = new Map(projected.spans.map((s) => [s.spanId, s]));
  // Ordered by the names on the path from the root, then start time: a child may report a start
  // time before its parent's (the AI SDK stamps step spans itself), so time alone is not stable.
  const pathOf = (s: SpanDocument): string => {
    const names = [s.name];
    for (let p = s.parentSpanId ? byId.get(s.parentSpanId) : undefined; p && names.length < 64; p = p.parentSpanId ? byId.get(p.parentSpanId) : undefined) names.unshift(p.name);
    return names.join('\u0000');
  };
  const ordered = spansInOrder(projected.spans)
    .map((s, i) => ({ s, i, path: pathOf(s) }))
    .sort((a, b) => a.path.localeCompare(b.path) || a.i - b.i)
    .map(({ s }) => s);
  const spans = ordered.map((s) => ({
    name: s.name,
    parent: s.parentSpanId ? (byId.get(s.parentSpanId)?.name ?? '(missing)') : null,
    kind: s.kind,
    spanKind: s.spanKind,
    operation: s.operation,
    provider: s.provider,
    requestModel: s.requestModel,
    responseModel: s.responseModel,
    inputTokens: s.inputTokens,
    outputTokens: s.outputTokens,
    cacheReadInputTokens: s.cacheReadInputTokens,
    cacheCreationInputTokens: s.cacheCreationInputTokens,
    reasoningOutputTokens: s.reasoningOutputTokens,
    finishReasons: s.finishReasons,
    responseId: s.responseId,
    temperature: s.temperature,
    maxTokens: s.maxTokens,
    status: s.status,
    errorType: s.errorType,
    agentName: s.agentName,
    toolName: s.toolName,
    toolCallId: s.toolCallId,
    toolCallArguments: s.toolCallArguments,
    toolCallResult: s.toolCallResult,
    inputMessages: s.inputMessages,
    outputMessages: s.outputMessages,
    systemInstructions: s.systemInstructions,
    toolDefinitions: s.toolDefinitions ?? null,
    sessionId: s.sessionId ?? null,
    userId: s.userId ?? null,
    parameters: s.parameters ?? null,
    aggregateUsage: s.aggregateUsage ?? false,
    mapping: s.mapping,
    serviceName: s.serviceName,
    scopeName: s.scopeName,
  }));
  const traces = projected.traces
    .map((t) => ({ rootSpanName: t.rootSpanName, spanCount: t.spanCount, errorCount: t.errorCount, providers: t.providers, models: t.models, inputTokens: t.inputTokens, outputTokens: t.outputTokens, agentNames: t.agentNames, conversationId: t.conversationId, inProgress: t.inProgress }))
    .sort((a, b) => a.rootSpanName.localeCompare(b.rootSpanName));
  return { spans, traces, logRecords: projected.events.filter((e) => e.type !== 'SpanReceived').length };
}
