import { createHash } from 'node:crypto';
import { deterministicEventId } from './deterministic-event-id';

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
