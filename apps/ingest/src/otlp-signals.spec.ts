import { createHash } from 'node:crypto';
import { compactSpanData, EVENT_SCHEMA_VERSION, Streams, type IngestMetadata, type SpanReceivedData } from '@temps/domain';
import { decodeTraceRequest, decodeTraceRequestJson, DEFAULT_DECODE_LIMITS, rejectImplausibleSpanTimes } from '@temps/otlp';
import { buildAgentRequests } from '../../../test/support/otlp-bodies';
import { readRecordedFixtures } from '../../../test/support/recorded-fixtures';
import { SIGNAL_CODECS, type Encoding } from './otlp-signals';

/** The event id scheme as first shipped: incremental SHA-256 of the parts, separated by NUL. */
function firstReleaseId(...parts: string[]): string {
  const h = createHash('sha256');
  parts.forEach((part, i) => (i ? h.update('\0').update(part) : h.update(part)));
  const x = h.digest('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-8${x.slice(13, 16)}-${((parseInt(x[16]!, 16) & 0x3) | 0x8).toString(16)}${x.slice(17, 20)}-${x.slice(20, 32)}`;
}

const metadata: IngestMetadata = { projectId: '7', receivedAt: '2026-01-01T00:00:00.000Z', requestId: 'r', encoding: 'protobuf', schemaVersion: EVENT_SCHEMA_VERSION };
const traces = SIGNAL_CODECS.traces;

function decodedSpans(encoding: Encoding, body: Buffer): unknown[] {
  return traces.decode(encoding, body, DEFAULT_DECODE_LIMITS).items;
}

/** The same request by the plain decoders (OTLP/JSON-shaped spans): what the stored JSON must be made of. */
function plainSpans(encoding: Encoding, body: Buffer): SpanReceivedData[] {
  const decoded = encoding === 'json' ? decodeTraceRequestJson(body, DEFAULT_DECODE_LIMITS) : decodeTraceRequest(body, DEFAULT_DECODE_LIMITS);
  return rejectImplausibleSpanTimes(decoded, Date.now()).items;
}

/**
 * The id of a span's event: its end in ms (48 bits, so ids of spans that ended together sort together
 * in the store's id index), then the first release's hash of project, trace, span and stored JSON.
 */
function spanEventId(span: SpanReceivedData['span'], dataJson: string): string {
  const t = BigInt(span.endTimeUnixNano !== '0' ? span.endTimeUnixNano : span.startTimeUnixNano) / 1_000_000n;
  const hex = t.toString(16).padStart(12, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${firstReleaseId('7', span.traceId, span.spanId, dataJson).slice(14)}`;
}

/**
 * Ingest builds a span's stored JSON with the request's resource and scope serialized once: the
 * stored bytes and so the deterministic ids must stay those of JSON.stringify(compactSpanData(span)),
 * or a retried export sent to a newer release would be stored twice. (The ids' time prefix came in
 * with the time-ordered ids: a retry that spans that upgrade is stored twice, and read once, as spans
 * received twice are.)
 */
describe('traces codec toEvent', () => {
  const requests = [
    ...readRecordedFixtures().flatMap((s) => s.requests.filter((r) => r.signal === 'traces').map((r) => ({ name: `${s.client}/${s.scenario}`, encoding: r.encoding, body: r.body }))),
    ...buildAgentRequests(2, 8).map((r, i) => ({ name: `sdk ${i}`, encoding: 'protobuf' as const, body: r.body })),
  ];

  it('has recorded requests of both encodings to check', () => {
    expect(requests.filter((r) => r.encoding === 'json').length).toBeGreaterThan(0);
    expect(requests.filter((r) => r.encoding === 'protobuf').length).toBeGreaterThan(2);
  });

  it('stores JSON.stringify(compactSpanData(span)) and keeps the id (end time, then the first release hash), for every recorded span', () => {
    let checked = 0;
    for (const r of requests) {
      const items = decodedSpans(r.encoding, r.body);
      const plain = plainSpans(r.encoding, r.body);
      expect(items.length).toBe(plain.length);
      for (const [i, item] of plain.entries()) {
        const { stream, event } = traces.toEvent(items[i], metadata) as { stream: string; event: { id: string; data: unknown; dataJson: string } };
        const expected = JSON.stringify(compactSpanData(item));
        expect({ name: r.name, json: event.dataJson }).toEqual({ name: r.name, json: expected });
        expect(event.data).toStrictEqual(compactSpanData(item));
        expect(event.id).toBe(spanEventId(item.span, expected));
        expect(stream).toBe(Streams.trace('7', item.span.traceId));
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(40);
  });

  it('gives the same event for the same span decoded twice (a retried export), and different ones for different spans', () => {
    const [request] = buildAgentRequests(1, 4);
    const first = decodedSpans('protobuf', request!.body).map((item) => traces.toEvent(item, metadata).event.id);
    const again = decodedSpans('protobuf', request!.body).map((item) => traces.toEvent(item, metadata).event.id);
    expect(again).toEqual(first);
    expect(new Set(first).size).toBe(first.length);
  });
});

/**
 * Untraced log records and metrics go to hourly streams named by what the client sent (the item's own
 * time), not by the clock: a retry received in a later hour must name the stream of its first attempt,
 * where EventStoreDB's per-stream idempotency recognises it.
 */
describe('logs and metrics codecs: hourly stream of the item own time', () => {
  const json = (o: unknown) => Buffer.from(JSON.stringify(o));
  const ns = (iso: string) => `${Date.parse(iso)}000000`;
  const at = (receivedAt: string): IngestMetadata => ({ ...metadata, receivedAt });
  const nowIso = new Date().toISOString();
  const hourAgo = new Date(Date.now() - 3_600_000).toISOString();

  const logsBody = (records: Record<string, unknown>[]) => json({ resourceLogs: [{ resource: { attributes: [] }, scopeLogs: [{ scope: { name: 's' }, logRecords: records }] }] });
  const metricsBody = (points: Record<string, unknown>[][]) =>
    json({ resourceMetrics: [{ resource: { attributes: [] }, scopeMetrics: [{ scope: { name: 's' }, metrics: points.map((dataPoints, i) => ({ name: `m${i}`, sum: { aggregationTemporality: 1, isMonotonic: true, dataPoints } })) }] }] });

  it('given an untraced log record, then its stream is the hour of its time (else observed time), whatever hour it is received in; the event id does not change', () => {
    const logs = SIGNAL_CODECS.logs;
    const { items, rejected } = logs.decode('json', logsBody([{ timeUnixNano: ns(hourAgo), body: { stringValue: 'a' } }, { observedTimeUnixNano: ns(nowIso), body: { stringValue: 'b' } }, { body: { stringValue: 'c' } }]), DEFAULT_DECODE_LIMITS);
    expect(rejected).toEqual([]);
    const first = items.map((item) => logs.toEvent(item, at('2026-01-01T00:59:59.000Z')));
    const retried = items.map((item) => logs.toEvent(item, at('2026-01-01T01:00:01.000Z')));
    expect(first.map((e) => e.stream)).toEqual([Streams.logs('7', hourAgo), Streams.logs('7', nowIso), 'logs-7-2026010100']);
    // A record with no time at all takes the hour received: the one item whose retry can change hour.
    expect(retried.map((e) => e.stream)).toEqual([Streams.logs('7', hourAgo), Streams.logs('7', nowIso), 'logs-7-2026010101']);
    expect(retried.map((e) => e.event.id)).toEqual(first.map((e) => e.event.id));
  });

  it('given a metric, then its stream is the hour of its latest point, whatever hour it is received in', () => {
    const metrics = SIGNAL_CODECS.metrics;
    const points = [[{ timeUnixNano: ns(hourAgo), asInt: '1' }, { timeUnixNano: ns(nowIso), asInt: '2' }], [{ startTimeUnixNano: ns(hourAgo), timeUnixNano: '0', asInt: '3' }], [{ asInt: '4' }]];
    const { items, rejected } = metrics.decode('json', metricsBody(points), DEFAULT_DECODE_LIMITS);
    expect(rejected).toEqual([]);
    const first = items.map((item) => metrics.toEvent(item, at('2026-01-01T00:59:59.000Z')));
    const retried = items.map((item) => metrics.toEvent(item, at('2026-01-01T01:00:01.000Z')));
    expect(first.map((e) => e.stream)).toEqual([Streams.metrics('7', nowIso), Streams.metrics('7', hourAgo), 'metrics-7-2026010100']);
    expect(retried.map((e) => e.stream)).toEqual([Streams.metrics('7', nowIso), Streams.metrics('7', hourAgo), 'metrics-7-2026010101']);
    expect(retried.map((e) => e.event.id)).toEqual(first.map((e) => e.event.id));
  });

  it('given times before 2000 or more than a day ahead, then the log record, or the whole metric (counting its points), is rejected; an item with no time is kept', () => {
    const ahead = new Date(Date.now() + 25 * 3_600_000).toISOString();
    const logs = SIGNAL_CODECS.logs.decode('json', logsBody([{ timeUnixNano: '1765000000' }, { observedTimeUnixNano: ns(ahead) }, { timeUnixNano: ns(nowIso), observedTimeUnixNano: '1' }, {}]), DEFAULT_DECODE_LIMITS);
    expect(logs.items).toHaveLength(2);
    expect(logs.rejected).toEqual([{ reason: 'invalid time: before 2000-01-01' }, { reason: 'invalid time: more than a day in the future' }]);
    const metrics = SIGNAL_CODECS.metrics.decode('json', metricsBody([[{ timeUnixNano: ns(nowIso), asInt: '1' }, { timeUnixNano: ns(ahead), asInt: '2' }], [{ timeUnixNano: '0', startTimeUnixNano: '1765000000', asInt: '3' }], [{ timeUnixNano: ns(nowIso), asInt: '4' }]]), DEFAULT_DECODE_LIMITS);
    expect(metrics.items.map((m) => (m as { metric: { name: string } }).metric.name)).toEqual(['m2']);
    expect(metrics.rejected).toEqual([
      { reason: 'invalid time: more than a day in the future', count: 2 },
      { reason: 'invalid time: before 2000-01-01', count: 1 },
    ]);
  });
});
