import { EventTypes, Streams, type IngestMetadata, type SpanReceivedData } from '@temps/domain';

export const meta: IngestMetadata = { projectId: '1', receivedAt: '2026-11-27T00:00:00.000Z', requestId: 'r', encoding: 'protobuf', schemaVersion: 1 };

/**
 * `spans` spans of one trace (the first is an agent root, the others chat calls under it with usage),
 * as ingest appends them to the trace's stream.
 */
export function traceWrite(traceId: string, spans: number, options: { startMs?: number; model?: string; conversationId?: string; content?: boolean; inputTokensPlus?: number; resend?: number } = {}) {
  return {
    stream: Streams.trace('1', traceId),
    events: Array.from({ length: spans }, (_, i) => {
      const data: SpanReceivedData = {
        span: {
          traceId,
          spanId: `${traceId.slice(0, 12)}${String(i).padStart(4, '0')}`,
          parentSpanId: i === 0 ? undefined : `${traceId.slice(0, 12)}0000`,
          name: i === 0 ? 'invoke_agent a' : 'chat gpt-4o',
          kind: 1,
          startTimeUnixNano: `${(options.startMs ?? 1_780_000_000_000) + i}000000`,
          endTimeUnixNano: `${(options.startMs ?? 1_780_000_000_000) + i + 100 + i * 37}000000`,
          attributes: [
            { key: 'gen_ai.operation.name', value: { stringValue: i === 0 ? 'invoke_agent' : 'chat' } },
            ...(i === 0
              ? []
              : [
                  { key: 'gen_ai.provider.name', value: { stringValue: 'openai' } },
                  { key: 'gen_ai.request.model', value: { stringValue: options.model ?? 'gpt-4o' } },
                  { key: 'gen_ai.usage.input_tokens', value: { intValue: String(100 + i + (options.inputTokensPlus ?? 0)) } },
                  ...(options.content ? [{ key: 'gen_ai.input.messages', value: { stringValue: JSON.stringify([{ role: 'user', content: `question ${i}` }]) } }] : []),
                  { key: 'gen_ai.usage.output_tokens', value: { intValue: String(10 + i) } },
                ]),
            ...(options.conversationId ? [{ key: 'gen_ai.conversation.id', value: { stringValue: options.conversationId } }] : []),
          ],
          events: [],
          links: [],
          status: { code: 1 },
        },
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'svc' } }] },
        scope: { name: 'test', attributes: [] },
      };
      return { id: `${traceId}-${i}${options.resend ? `-resend${options.resend}` : ''}`, type: EventTypes.SpanReceived, data, metadata: meta as unknown as Record<string, unknown> };
    }),
  };
}

export const hex = (n: number) => n.toString(16).padStart(32, '0');

