import { hourBucket, Streams } from './events';

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
});
