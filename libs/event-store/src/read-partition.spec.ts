import { randomBytes } from 'node:crypto';
import { DatabaseSync } from 'node:sqlite';
import { streamPartition } from './read-partition';
import { SQL_STREAM_PARTITION } from './sqlite/sql-stream-partition';

describe('streamPartition', () => {
  it('gives in JS what SQLite computes in SQL, for ASCII, non-BMP and short stream names', () => {
    const db = new DatabaseSync(':memory:');
    const sql = db.prepare(`SELECT ${SQL_STREAM_PARTITION.replaceAll('stream', '?1').replace('% ?', '% ?2')} AS p`);
    const names = ['', 'a', 'ab', 'pricing', 'metrics-1', 'metrics-1-2026120620', 'retention-1', 'retentio', 'trace-1-0af3', 'x😀', '😀y😀', 'ab😀', 'é', 'trace-7-ffffffffffffffffffffffffffffffff'];
    for (const count of [1, 2, 3, 4, 7]) {
      for (const name of names) expect([name, count, streamPartition(name, count)]).toEqual([name, count, (sql.get(name, count) as { p: number }).p]);
    }
    db.close();
  });

  it('puts every metric stream and retention marker in partition 0, whatever the count (folded in log order)', () => {
    for (const count of [1, 2, 3, 4, 7]) for (const name of ['metrics-1-2026120620', 'metrics-1-2026120621', 'metrics-22-2026120607', 'retention-1', 'retention-9']) expect(streamPartition(name, count)).toBe(0);
    expect(new Set(['trace-1-2026120620', 'trace-1-2026120621', 'trace-1-2026120607'].map((name) => streamPartition(name, 4))).size).toBeGreaterThan(1);
  });

  it('spreads trace streams (random hex ids) evenly', () => {
    for (const count of [2, 3, 4]) {
      const sizes = new Array<number>(count).fill(0);
      for (let i = 0; i < 20_000; i++) sizes[streamPartition(`trace-1-${randomBytes(16).toString('hex')}`, count)]!++;
      for (const n of sizes) expect(Math.abs(n - 20_000 / count) / (20_000 / count)).toBeLessThan(0.1);
    }
  });
});
