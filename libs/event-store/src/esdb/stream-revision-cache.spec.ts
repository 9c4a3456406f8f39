import { StreamRevisionCache } from './stream-revision-cache';

describe('StreamRevisionCache', () => {
  it('given appends, then it keeps the last revision and the ids, bounded per stream (oldest ids out first)', () => {
    const cache = new StreamRevisionCache(10, 3);
    cache.record('s', 1n, ['a', 'b']);
    cache.record('s', 3n, ['c', 'd']);
    expect(cache.get('s')?.revision).toBe(3n);
    expect([...cache.get('s')!.ids]).toEqual(['b', 'c', 'd']);
  });

  it('given more streams than the bound, then the least recently used goes', () => {
    const cache = new StreamRevisionCache(2, 10);
    cache.record('a', 0n, []);
    cache.record('b', 0n, []);
    cache.get('a');
    cache.record('c', 0n, []);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBeDefined();
    cache.forget('a');
    expect(cache.get('a')).toBeUndefined();
  });
});
