import type { AnyValue, LogRecordReceivedData, RawLogRecord } from '@temps/domain';
import { opentelemetry } from './generated/otlp';
import { ItemContext, sharedReason } from './item-context';
import { resolveLimits, type DecodeLimits, type DecodeResult } from './limits';
import { finishLogRecord } from './finish-item';
import { logRecordJson } from './log-shapes';
import {
  enumNames,
  jAnyValue,
  jArray,
  jEnum,
  jId,
  jKeyValues,
  jObject,
  jResourceOf,
  jScopeOf,
  jString,
  jU32,
  jU64,
  parseJsonBody,
  pick,
  walkJson,
  within,
  type JsonObject,
} from './json-common';

const SEVERITY_NUMBER = enumNames(opentelemetry.proto.logs.v1.SeverityNumber as unknown as Record<string, number>);
const NAME = 'ExportLogsServiceRequest';

function logRecordOf(l: JsonObject, ctx: ItemContext): RawLogRecord {
  const timeUnixNano = jU64(pick(l, 'timeUnixNano', 'time_unix_nano'), 'timeUnixNano');
  const observedTimeUnixNano = jU64(pick(l, 'observedTimeUnixNano', 'observed_time_unix_nano'), 'observedTimeUnixNano');
  const severity = pick(l, 'severityNumber', 'severity_number');
  const severityNumber = severity == null ? 0 : jEnum(severity, 'severityNumber', SEVERITY_NUMBER);
  const severityText = jString(pick(l, 'severityText', 'severity_text'), 'severityText');
  const eventName = jString(pick(l, 'eventName', 'event_name'), 'eventName');
  ctx.at('', '');
  const attributes = jKeyValues(l.attributes, 'attributes', ctx);
  let body: AnyValue | undefined;
  if (l.body != null) {
    ctx.at('body', '');
    try {
      body = jAnyValue(l.body, ctx, 'body', 1);
    } catch (err) {
      within(err, 'body');
    }
  }
  const droppedAttributesCount = jU32(pick(l, 'droppedAttributesCount', 'dropped_attributes_count'), 'droppedAttributesCount');
  const flags = jU32(l.flags, 'flags');
  let traceId = jId(pick(l, 'traceId', 'trace_id'));
  let spanId = jId(pick(l, 'spanId', 'span_id'));
  if (traceId === null) {
    ctx.rejectId('invalid trace id: not a string');
    traceId = '';
  }
  if (spanId === null) {
    ctx.rejectId('invalid span id: not a string');
    spanId = '';
  }
  return logRecordJson(ctx, timeUnixNano, observedTimeUnixNano, severityNumber, severityText, eventName, attributes, body, droppedAttributesCount, flags, traceId, spanId);
}

/**
 * Decodes an OTLP/JSON ExportLogsServiceRequest into exactly what decodeLogsRequest gives for the
 * same data in protobuf. JSON rules and errors as decodeTraceRequestJson.
 */
export function decodeLogsRequestJson(body: Uint8Array, limits?: Partial<DecodeLimits>): DecodeResult<LogRecordReceivedData> {
  const resolved = resolveLimits(limits);
  const request = parseJsonBody(body, NAME);
  return walkJson(NAME, () => {
    const ctx = new ItemContext(resolved);
    const result: DecodeResult<LogRecordReceivedData> = { items: [], rejected: [] };
    const resourceLogs = jArray(pick(request, 'resourceLogs', 'resource_logs'), 'resourceLogs');
    for (let r = 0; r < resourceLogs.length; r++) {
      try {
        const rl = jObject(resourceLogs[r], '') ?? {};
        const scopeLogs = jArray(pick(rl, 'scopeLogs', 'scope_logs'), 'scopeLogs');
        if (!scopeLogs.length) continue;
        const resource = jResourceOf(rl.resource, jString(pick(rl, 'schemaUrl', 'schema_url'), 'schemaUrl'), ctx);
        for (let s = 0; s < scopeLogs.length; s++) {
          try {
            const sl = jObject(scopeLogs[s], '') ?? {};
            const records = jArray(pick(sl, 'logRecords', 'log_records'), 'logRecords');
            if (!records.length) continue;
            const scope = jScopeOf(sl.scope, jString(pick(sl, 'schemaUrl', 'schema_url'), 'schemaUrl'), ctx);
            const shared = sharedReason(resource, scope);
            for (let i = 0; i < records.length; i++) {
              ctx.reset();
              let logRecord: RawLogRecord;
              try {
                logRecord = logRecordOf(jObject(records[i], '') ?? {}, ctx);
              } catch (err) {
                within(err, `logRecords[${i}]`);
              }
              finishLogRecord(logRecord, ctx, resource, scope, shared, result);
            }
          } catch (err) {
            within(err, `scopeLogs[${s}]`);
          }
        }
      } catch (err) {
        within(err, `resourceLogs[${r}]`);
      }
    }
    return result;
  });
}
