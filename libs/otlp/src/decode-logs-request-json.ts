import type { AnyValue, LogRecordReceivedData, RawLogRecord } from '@temps/domain';
import { opentelemetry } from './generated/otlp';
import type { ItemContext } from './item-context';
import { decodeJsonRequest } from './decode-json-request';
import type { DecodeLimits, DecodeResult, Rejection } from './limits';
import { finishLogRecord } from './finish-item';
import { logRecordJson } from './log-shapes';
import {
  enumNames,
  jAnyValue,
  jEnum,
  jId,
  jKeyValues,
  jString,
  jU32,
  jU64,
  pick,
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
  return decodeJsonRequest<RawLogRecord, LogRecordReceivedData, Rejection>(body, limits, {
    name: NAME,
    resources: ['resourceLogs', 'resource_logs'],
    scopes: ['scopeLogs', 'scope_logs'],
    items: ['logRecords', 'log_records'],
    itemOf: logRecordOf,
    finish: finishLogRecord,
  });
}
