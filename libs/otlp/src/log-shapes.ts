import type { AnyValue, RawLogRecord } from '@temps/domain';
import type { ItemContext } from './item-context';
import { optionalIdReason } from './validate-span';

const ZERO_TRACE_ID = '0'.repeat(32);
const ZERO_SPAN_ID = '0'.repeat(16);

export function isEmptyAnyValue(v: AnyValue): boolean {
  for (const _ in v) return false;
  return true;
}

/**
 * The parts of a log record both decoders share, in one key order: ids already hex (or '' when
 * absent), checked here. An all-zero id means "no trace context" and is dropped.
 */
export function logRecordJson(
  ctx: ItemContext,
  timeUnixNano: string,
  observedTimeUnixNano: string,
  severityNumber: number,
  severityText: string,
  eventName: string,
  attributes: RawLogRecord['attributes'],
  body: AnyValue | undefined,
  droppedAttributesCount: number,
  flags: number,
  traceId: string,
  spanId: string,
): RawLogRecord {
  const traceReason = optionalIdReason('trace id', traceId, 16);
  if (traceReason) ctx.rejectId(traceReason);
  const spanReason = optionalIdReason('span id', spanId, 8);
  if (spanReason) ctx.rejectId(spanReason);
  const out: RawLogRecord = { timeUnixNano, observedTimeUnixNano, severityNumber, attributes };
  if (severityText) out.severityText = severityText;
  if (eventName) out.eventName = eventName;
  if (body !== undefined && !isEmptyAnyValue(body)) out.body = body;
  if (droppedAttributesCount) out.droppedAttributesCount = droppedAttributesCount;
  if (flags) out.flags = flags;
  if (traceId && traceId !== ZERO_TRACE_ID) out.traceId = traceId;
  if (spanId && spanId !== ZERO_SPAN_ID) out.spanId = spanId;
  return out;
}

