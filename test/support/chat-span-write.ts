import { EventTypes, Streams, type IngestMetadata, type SpanReceivedData } from '@temps/domain';
import { deterministicEventId } from '@temps/event-store';

export interface ChatSpanWriteOptions {
  traceId: string;
  spanId: string;
  name: string;
  startMs: number;
  endMs: number;
  inputTokens: number;
  /** Adds gen_ai.response.model after the request model. */
  responseModel?: string;
  /** Adds gen_ai.usage.output_tokens after the input tokens. */
  outputTokens?: number;
  eventId: string;
  metadata: IngestMetadata;
}

/** One openai gpt-4o chat span (status ok) as ingest appends it: a SpanReceived event on the trace's stream. */
export function chatSpanWrite(o: ChatSpanWriteOptions) {
  const data: SpanReceivedData = {
    span: {
      traceId: o.traceId,
      spanId: o.spanId,
      name: o.name,
      kind: 3,
      startTimeUnixNano: `${o.startMs}000000`,
      endTimeUnixNano: `${o.endMs}000000`,
      attributes: [
        { key: 'gen_ai.operation.name', value: { stringValue: 'chat' } },
        { key: 'gen_ai.provider.name', value: { stringValue: 'openai' } },
        { key: 'gen_ai.request.model', value: { stringValue: 'gpt-4o' } },
        ...(o.responseModel === undefined ? [] : [{ key: 'gen_ai.response.model', value: { stringValue: o.responseModel } }]),
        { key: 'gen_ai.usage.input_tokens', value: { intValue: String(o.inputTokens) } },
        ...(o.outputTokens === undefined ? [] : [{ key: 'gen_ai.usage.output_tokens', value: { intValue: String(o.outputTokens) } }]),
      ],
      events: [],
      links: [],
      status: { code: 1 },
    },
    resource: { attributes: [] },
    scope: { name: 'test', attributes: [] },
  };
  return { stream: Streams.trace(o.metadata.projectId, o.traceId), events: [{ id: o.eventId, type: EventTypes.SpanReceived, data, metadata: o.metadata as unknown as Record<string, unknown> }] };
}

/** A one-span trace in project 1 for the retention specs: a second of gpt-4o chat starting at `startMs`, received at `receivedAtMs`. */
export function retentionSpanWrite(traceId: string, startMs: number, receivedAtMs: number) {
  return chatSpanWrite({
    traceId,
    spanId: traceId.slice(0, 16),
    name: 'chat gpt-4o',
    startMs,
    endMs: startMs + 1000,
    inputTokens: 10,
    eventId: deterministicEventId('span', traceId),
    metadata: { projectId: '1', receivedAt: new Date(receivedAtMs).toISOString(), requestId: 'r', encoding: 'json', schemaVersion: 1 },
  });
}
