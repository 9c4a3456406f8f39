import { int64ToDecimal, signedToString, uint64ToDecimal, unsignedToString } from './int64';

const split = (v: bigint): [number, number] => [Number(v & 0xffffffffn) | 0, Number((v >> 32n) & 0xffffffffn) | 0];

describe('64-bit to decimal', () => {
  const edges = [0n, 1n, 2n ** 32n - 1n, 2n ** 32n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 53n + 1n, 10n ** 15n, 10n ** 16n, 10n ** 17n - 1n, 1_780_000_000_123_456_789n, 2n ** 63n - 1n, 2n ** 63n, 2n ** 64n - 1n];

  it('is exact for unsigned edge values', () => {
    for (const v of edges) expect(uint64ToDecimal(...split(v))).toBe(v.toString());
  });

  it('is exact for signed edge values', () => {
    for (const v of [...edges.filter((e) => e < 2n ** 63n), -1n, -42n, -(2n ** 32n), -(2n ** 53n) - 1n, -(2n ** 63n)]) {
      expect(int64ToDecimal(...split(BigInt.asUintN(64, v)))).toBe(v.toString());
    }
  });

  it('is exact for random values (compared with BigInt)', () => {
    let seed = 0x2545f491n;
    for (let i = 0; i < 20000; i++) {
      seed = (seed * 6364136223846793005n + 1442695040888963407n) & (2n ** 64n - 1n);
      // Mix magnitudes: shift right by 0..63 bits.
      const v = seed >> BigInt(i % 64);
      expect(uint64ToDecimal(...split(v))).toBe(v.toString());
      expect(int64ToDecimal(...split(v))).toBe(BigInt.asIntN(64, v).toString());
    }
  });

  it('reads Long-like objects and numbers', () => {
    expect(unsignedToString({ low: -1, high: -1, unsigned: true })).toBe('18446744073709551615');
    expect(signedToString({ low: -1, high: -1, unsigned: false })).toBe('-1');
    expect(signedToString({ low: -1, high: -1, unsigned: true })).toBe('18446744073709551615');
    expect(unsignedToString(1234)).toBe('1234');
    expect(unsignedToString(null)).toBe('0');
    expect(signedToString(undefined)).toBe('0');
  });
});
