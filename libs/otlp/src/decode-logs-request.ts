import type { AnyValue, LogRecordReceivedData, RawLogRecord } from '@temps/domain';
import { opentelemetry } from './generated/otlp';
import { unsignedToString } from './int64';
import { ItemContext, sharedReason } from './item-context';
import { resolveLimits, type DecodeLimits, type DecodeResult } from './limits';
import { finishLogRecord } from './finish-item';
import { anyValue, decodeMessage, hex, keyValues, resourceOf, scopeOf } from './protobuf-common';
import { logRecordJson } from './log-shapes';

const { ExportLogsServiceRequest } = opentelemetry.proto.collector.logs.v1;
type PbLogRecord = opentelemetry.proto.logs.v1.LogRecord.$Properties;

function logRecordOf(l: PbLogRecord, ctx: ItemContext): RawLogRecord {
  ctx.at('', '');
  const attributes = keyValues(l.attributes, ctx);
  let body: AnyValue | undefined;
  if (l.body) {
    ctx.at('body', '');
    body = anyValue(l.body, ctx, 'body', 1);
  }
  return logRecordJson(
    ctx,
    unsignedToString(l.timeUnixNano),
    unsignedToString(l.observedTimeUnixNano),
    l.severityNumber ?? 0,
    l.severityText ?? '',
    l.eventName ?? '',
    attributes,
    body,
    l.droppedAttributesCount ?? 0,
    l.flags ?? 0,
    hex(l.traceId),
    hex(l.spanId),
  );
}

/**
 * Decodes an OTLP ExportLogsServiceRequest (protobuf) into one LogRecordReceivedData per log
 * record, in request order, and the records it rejects with their reasons. Raw stays raw: the
 * event name is LogRecord field 12 only (no `event.name` attribute fallback here). Trace and span
 * ids become lowercase hex when present; an id of the wrong length rejects the record, an all-zero
 * one counts as absent. An empty body (no value) is omitted. Limits and shapes as decodeTraceRequest.
 *
 * Throws OtlpDecodeError when the bytes are not a well-formed message.
 */
export function decodeLogsRequest(body: Uint8Array, limits?: Partial<DecodeLimits>): DecodeResult<LogRecordReceivedData> {
  const request = decodeMessage(ExportLogsServiceRequest, 'ExportLogsServiceRequest', body);
  const ctx = new ItemContext(resolveLimits(limits));
  const result: DecodeResult<LogRecordReceivedData> = { items: [], rejected: [] };
  const resourceLogs = request.resourceLogs ?? [];
  for (let r = 0; r < resourceLogs.length; r++) {
    const rl = resourceLogs[r]!;
    const scopeLogs = rl.scopeLogs;
    if (!scopeLogs || !scopeLogs.length) continue;
    const resource = resourceOf(rl.resource, rl.schemaUrl, ctx);
    for (let s = 0; s < scopeLogs.length; s++) {
      const sl = scopeLogs[s]!;
      const records = sl.logRecords;
      if (!records || !records.length) continue;
      const scope = scopeOf(sl.scope, sl.schemaUrl, ctx);
      const shared = sharedReason(resource, scope);
      for (let i = 0; i < records.length; i++) {
        ctx.reset();
        const logRecord = logRecordOf(records[i]!, ctx);
        finishLogRecord(logRecord, ctx, resource, scope, shared, result);
      }
    }
  }
  return result;
}
