import { spanIdTimeMs } from './span-id-time';

describe('spanIdTimeMs', () => {
  it('is the end in ms, or the start when the span has no end', () => {
    expect(spanIdTimeMs({ startTimeUnixNano: '1780000000000000000', endTimeUnixNano: '1780000000500999999' })).toBe(1780000000500);
    expect(spanIdTimeMs({ startTimeUnixNano: '1780000000000000000', endTimeUnixNano: '0' })).toBe(1780000000000);
  });

  it('is 0 for times under a millisecond', () => {
    expect(spanIdTimeMs({ startTimeUnixNano: '0', endTimeUnixNano: '999999' })).toBe(0);
  });
});
