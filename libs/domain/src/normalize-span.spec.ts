import fc from 'fast-check';
import { msToIso, nanosToIso } from './normalize-span';

describe('msToIso / nanosToIso', () => {
  it('equal Date#toISOString for any time, including day boundaries, the epoch and the years past 9999', () => {
    const edges = [0, 1, 999, 86_399_999, 86_400_000, 951_782_400_000 /* 2000-02-29 */, 253_402_300_799_999, 253_402_300_800_000, -1, -86_400_001];
    for (const ms of edges) expect(msToIso(ms)).toBe(new Date(ms).toISOString());
    fc.assert(
      fc.property(fc.integer({ min: -8_640_000_000_000_000, max: 8_640_000_000_000_000 }), (ms) => msToIso(ms) === new Date(ms).toISOString()),
      { numRuns: 20_000 },
    );
    // Runs of nearby times (the day cache) interleaved with far ones.
    fc.assert(fc.property(fc.array(fc.integer({ min: 1_700_000_000_000, max: 1_700_000_000_000 + 5 * 86_400_000 }), { maxLength: 50 }), (list) => list.every((ms) => msToIso(ms) === new Date(ms).toISOString())));
  });

  it('reads nanosecond strings (truncating to the millisecond) and refuses what is not a time', () => {
    expect(nanosToIso('1780000000123999999')).toBe('2026-05-28T20:26:40.123Z');
    expect(nanosToIso('999')).toBe('1970-01-01T00:00:00.000Z');
    expect(() => nanosToIso('12x4567890123')).toThrow(RangeError);
  });
});
