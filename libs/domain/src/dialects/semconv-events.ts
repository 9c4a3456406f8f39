import { attributesToRecord, bodyToJs } from '../attribute-map';
import type { StoredLogRecordData } from '../events';
import { contentEventName, GENAI_CONTENT_EVENT_NAMES, messagesFromEventRecords, type ContentEventRecord } from '../messages';
import { compact, type DialectMapper } from './types';

/**
 * GenAI content carried as events joined to the span: the deprecated per-message events
 * (gen_ai.system/user/assistant/tool.message, gen_ai.choice) and the current
 * gen_ai.client.inference.operation.details. Below span attributes in precedence: when the span
 * already carries messages, the events are the same content again and are not used.
 */
export const semconvEventsMapper: DialectMapper = {
  name: 'otel-genai-events',
  detect: (_a, ctx) => ctx.events.some((e) => GENAI_CONTENT_EVENT_NAMES.has(contentEventName(e) ?? '')),
  map(_a, ctx) {
    const m = messagesFromEventRecords(ctx.events);
    return { ...compact(m), understoodKeys: [] };
  },
};

/**
 * An OTLP log record as a content event record, for joining to its span (by trace and span id) via
 * `normalizeSpan(..., { logRecords })`. Name: LogRecord.event_name, else the `event.name` attribute.
 */
export function logRecordToContentEvent(record: StoredLogRecordData['logRecord']): ContentEventRecord {
  const attributes = attributesToRecord(record.attributes);
  const name = record.eventName || (typeof attributes['event.name'] === 'string' ? (attributes['event.name'] as string) : undefined);
  return { ...(name ? { name } : {}), attributes, ...(record.body !== undefined ? { body: bodyToJs(record.body) } : {}) };
}
