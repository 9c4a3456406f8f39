import type { IngestMetadata, LogRecordReceivedData, SpanReceivedData } from './events';
import { rebuildTraces, tracesNeedingContentJoin, type ProjectableEvent } from './trace-projection';

const meta: IngestMetadata = { projectId: '1', receivedAt: '2026-11-27T00:00:00.000Z', requestId: 'r', encoding: 'protobuf', schemaVersion: 1 };
const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = '00f067aa0ba902b7';

const span = (position: number): ProjectableEvent => ({
  type: 'SpanReceived',
  position: BigInt(position),
  metadata: meta,
  data: {
    span: {
      traceId: TRACE,
      spanId: SPAN,
      name: 'chat gpt-4o-mini',
      kind: 3,
      startTimeUnixNano: '1780000000000000000',
      endTimeUnixNano: '1780000000500000000',
      attributes: [
        { key: 'gen_ai.operation.name', value: { stringValue: 'chat' } },
        { key: 'gen_ai.system', value: { stringValue: 'openai' } },
        { key: 'gen_ai.request.model', value: { stringValue: 'gpt-4o-mini' } },
      ],
      events: [],
      links: [],
      status: { code: 0 },
    },
    resource: { attributes: [] },
    scope: { name: 'opentelemetry.instrumentation.openai_v2', attributes: [] },
  } satisfies SpanReceivedData,
});

const log = (position: number, eventName: string, body: Record<string, unknown>): ProjectableEvent => ({
  type: 'LogRecordReceived',
  position: BigInt(position),
  metadata: meta,
  data: {
    logRecord: {
      timeUnixNano: '1780000000100000000',
      observedTimeUnixNano: '1780000000100000000',
      severityNumber: 9,
      eventName,
      traceId: TRACE,
      spanId: SPAN,
      attributes: [],
      body: { kvlistValue: { values: Object.entries(body).map(([key, v]) => ({ key, value: { stringValue: String(v) } })) } },
    },
    resource: { attributes: [] },
    scope: { name: 'x', attributes: [] },
  } satisfies LogRecordReceivedData,
});

describe('joining content log records to spans (pure)', () => {
  const user = log(2, 'gen_ai.user.message', { content: 'Weather in Paris?' });
  const choice = log(3, 'gen_ai.choice', { finish_reason: 'stop', index: '0' });

  it('gives the same documents whichever arrives first', () => {
    const spanFirst = rebuildTraces([span(1), user, choice]);
    const logsFirst = rebuildTraces([user, choice, span(1)]);
    expect(logsFirst).toEqual(spanFirst);
    expect(spanFirst.spans[0]!.inputMessages).toEqual([{ role: 'user', parts: [{ type: 'text', content: 'Weather in Paris?' }] }]);
  });

  it('gives nothing for a trace that has log records but no span yet', () => {
    expect(rebuildTraces([user, choice])).toEqual({ spans: [], traces: [] });
  });

  it('sends traces with content logs, or chat spans without content, through the join', () => {
    expect(tracesNeedingContentJoin([user])).toEqual(new Set([`1/${TRACE}`]));
    expect(tracesNeedingContentJoin([span(1)])).toEqual(new Set([`1/${TRACE}`]));
    const withContent = span(1);
    (withContent.data as SpanReceivedData).span.attributes.push({ key: 'gen_ai.input.messages', value: { stringValue: '[]' } });
    expect(tracesNeedingContentJoin([withContent])).toEqual(new Set());
  });
});
