import type { SpanReceivedData } from '@temps/domain';
import { implausibleSpanTimeReason, rejectImplausibleSpanTimes } from './plausible-span-times';

const NOW_MS = Date.UTC(2026, 11, 6, 20, 0, 0);
const ns = (ms: number) => `${ms}000000`;
const DAY = 86_400_000;
const span = (start: string, end = start) => ({ startTimeUnixNano: start, endTimeUnixNano: end });

describe('implausible span times', () => {
  it('accepts spans from 2000-01-01 up to a day ahead of the clock', () => {
    expect(implausibleSpanTimeReason(span(ns(NOW_MS - 1000), ns(NOW_MS)), NOW_MS)).toBeNull();
    expect(implausibleSpanTimeReason(span('946684800000000000'), NOW_MS)).toBeNull();
    expect(implausibleSpanTimeReason(span(ns(NOW_MS + DAY)), NOW_MS)).toBeNull();
    expect(implausibleSpanTimeReason(span('0000946684800000000000'.slice(-20)), NOW_MS)).toBeNull(); // leading zeros
  });

  it('rejects a start before 2000-01-01 (zero, seconds sent as ns) and anything more than a day ahead (u64 max)', () => {
    for (const start of ['0', '1', '946684799999999999', String(Math.floor(NOW_MS / 1000))]) {
      expect(implausibleSpanTimeReason(span(start, ns(NOW_MS)), NOW_MS)).toBe('invalid time: start before 2000-01-01');
    }
    expect(implausibleSpanTimeReason(span('18446744073709551615'), NOW_MS)).toBe('invalid time: more than a day in the future');
    expect(implausibleSpanTimeReason(span(ns(NOW_MS + DAY + 1)), NOW_MS)).toBe('invalid time: more than a day in the future');
    expect(implausibleSpanTimeReason(span(ns(NOW_MS), '18446744073709551615'), NOW_MS)).toBe('invalid time: more than a day in the future');
  });

  it('moves only the implausible spans to rejected, keeping the others in order', () => {
    const item = (id: string, start: string) => ({ span: { spanId: id, ...span(start) } }) as unknown as SpanReceivedData;
    const result = { items: [item('a', ns(NOW_MS)), item('b', '18446744073709551615'), item('c', ns(NOW_MS - 5)), item('d', '5')], rejected: [{ reason: 'earlier' }] };
    rejectImplausibleSpanTimes(result, NOW_MS);
    expect(result.items.map((i) => i.span.spanId)).toEqual(['a', 'c']);
    expect(result.rejected).toEqual([{ reason: 'earlier' }, { reason: 'invalid time: more than a day in the future' }, { reason: 'invalid time: start before 2000-01-01' }]);
  });
});
