import { createHash } from 'node:crypto';
import { deterministicEventId, timeOrderedEventId } from './deterministic-event-id';

/** The scheme as first shipped (incremental SHA-256, parts separated by NUL): stored ids must never change. */
function incrementalId(...parts: string[]): string {
  const h = createHash('sha256');
  parts.forEach((part, i) => (i ? h.update('\0').update(part) : h.update(part)));
  const hex = h.digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16)}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

describe('deterministicEventId', () => {
  it('gives the ids of the incremental scheme, for one part, several, empty and non-ASCII parts', () => {
    const cases: string[][] = [
      ['price-default', '{"model":"gpt-4o"}'],
      ['1', '0af7651916cd43dd8448eb211c80319c', 'b7ad6b7169203331', '{"span":{"name":"chat é 🚀"}}'],
      ['only'],
      ['', ''],
      ['log', '7', 'x'.repeat(100_000)],
    ];
    for (const parts of cases) expect(deterministicEventId(...parts)).toBe(incrementalId(...parts));
  });

  it('is a UUID with version 8 and the RFC 4122 variant, and parts are not just concatenated', () => {
    const id = deterministicEventId('a', 'b');
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(id).not.toBe(deterministicEventId('ab'));
    expect(id).toBe(deterministicEventId('a', 'b'));
  });

  it('pins one id computed by the first release (a stored event keeps its id across releases)', () => {
    expect(deterministicEventId('1', 'abc', 'def', '{}')).toBe('4d61faa4-f948-8d49-a000-e236f15ec422');
  });
});

describe('timeOrderedEventId', () => {
  it('starts with the time (48 bits, as UUIDv7) and ends with the parts hash, as a version 8 UUID', () => {
    const t = Date.UTC(2026, 11, 7, 2, 0, 0, 123);
    const id = timeOrderedEventId(t, '1', 'abc', 'def', '{}');
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(parseInt(id.slice(0, 8) + id.slice(9, 13), 16)).toBe(t);
    // the hash part is deterministicEventId's, so both schemes agree on what is the same content
    expect(id.slice(14)).toBe(deterministicEventId('1', 'abc', 'def', '{}').slice(14));
    expect(id).toBe(timeOrderedEventId(t, '1', 'abc', 'def', '{}'));
    expect(id).not.toBe(timeOrderedEventId(t, '1', 'abc', 'def', '{ }'));
  });

  it('sorts by time: ids of later events compare greater whatever their content', () => {
    const ids = [0, 1, 999, 1_000_000, Date.UTC(2000, 0, 1), Date.UTC(2026, 0, 1)].map((t, i) => timeOrderedEventId(t, String(100 - i)));
    expect([...ids].sort()).toEqual(ids);
  });

  it('clamps a time outside 0..2^48-1 (or not a number) instead of giving a malformed id', () => {
    expect(timeOrderedEventId(-5, 'a').slice(0, 13)).toBe('00000000-0000');
    expect(timeOrderedEventId(Number.NaN, 'a').slice(0, 13)).toBe('00000000-0000');
    expect(timeOrderedEventId(2 ** 60, 'a').slice(0, 13)).toBe('ffffffff-ffff');
  });
});
