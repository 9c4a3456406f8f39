import { hourBucket, logRecordStreamTime, metricPointNanos, metricStreamTime, Streams } from './events';

describe('Streams (stream names)', () => {
  it('given a receive time, then logs and metrics streams are per project and UTC hour', () => {
    expect(Streams.logs('1', '2026-12-06T20:15:00.000Z')).toBe('logs-1-2026120620');
    expect(Streams.metrics('7', '2026-01-01T00:59:59.999Z')).toBe('metrics-7-2026010100');
    expect(Streams.metrics('7', '2026-01-01T01:00:00.000Z')).toBe('metrics-7-2026010101');
  });

  it('given a time with an offset, then the bucket is its UTC hour; a time that is not one is refused', () => {
    expect(hourBucket('2026-12-06T23:30:00+02:00')).toBe('2026120621');
    expect(() => hourBucket('yesterday')).toThrow(/not an ISO 8601 time/);
  });

  it('given a trace, then its stream is per project and trace id, unbucketed', () => {
    expect(Streams.trace('1', 'abc')).toBe('trace-1-abc');
    expect(Streams.isTrace('trace-1-abc')).toBe(true);
  });

  it('given a log record, then its stream time is its own time, else its observed time, else none (0 is unknown in OTLP)', () => {
    const at = '1796587200000000000'; // 2026-12-06T20:00:00Z
    expect(logRecordStreamTime({ timeUnixNano: '1796587259999999999', observedTimeUnixNano: '1796590800000000000' })).toBe('2026-12-06T20:00:59.999Z');
    expect(logRecordStreamTime({ timeUnixNano: '0', observedTimeUnixNano: at })).toBe('2026-12-06T20:00:00.000Z');
    expect(logRecordStreamTime({ timeUnixNano: '0', observedTimeUnixNano: '0' })).toBeNull();
    expect(logRecordStreamTime({})).toBeNull();
    expect(Streams.logs('1', logRecordStreamTime({ timeUnixNano: '1796590799999999999' })!)).toBe('logs-1-2026120620');
  });

  it('given a metric, then its stream time is the time of its latest point (else start time), compared as numbers, or none', () => {
    const points = [{ timeUnixNano: '999999999999999999' }, { timeUnixNano: '1796590800000000000' }, { timeUnixNano: '0', startTimeUnixNano: '1796594400000000001' }, {}];
    expect(metricStreamTime({ dataPoints: points })).toBe('2026-12-06T22:00:00.000Z');
    expect(Streams.metrics('7', metricStreamTime({ dataPoints: points })!)).toBe('metrics-7-2026120622');
    expect(metricStreamTime({ dataPoints: [{ timeUnixNano: '0' }, {}] })).toBeNull();
    expect(metricStreamTime({ dataPoints: [] })).toBeNull();
    expect(metricPointNanos({ timeUnixNano: '0', startTimeUnixNano: '5' })).toBe('5');
    expect(metricPointNanos({ timeUnixNano: 5 })).toBeNull(); // stored points hold decimal strings only
  });
});
