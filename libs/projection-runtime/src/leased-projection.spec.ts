import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteTraceReadStore } from '@temps/read-store/sqlite';
import { isDeadLocalHolder, LeasedProjection, leaseHolderId } from './leased-projection';
import type { ProjectionStatus } from './projection-runner';

/** The projection under the lease is a recorder (what runs under it is tested elsewhere); the leases are a real SQLite read store's. */
describe('LeasedProjection over a real SQLite read store (the projection under it: a recorder)', () => {
  let dir: string;
  const stores: SqliteTraceReadStore[] = [];
  const running: LeasedProjection[] = [];
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'temps-leased-'))));
  afterEach(async () => {
    for (const p of running.splice(0)) await p.stop();
    for (const s of stores.splice(0)) await s.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const status = (state: ProjectionStatus['state']): ProjectionStatus => ({ name: 'traces', position: null, head: -1n, lagEvents: 0, lagSeconds: 0, state, lastError: null });
  function projector(holder: string, ttlMs = 400) {
    const store = SqliteTraceReadStore.open(join(dir, 'read.db'));
    stores.push(store);
    const log: string[] = [];
    const p = new LeasedProjection({
      name: 'traces',
      leases: store,
      holder,
      ttlMs,
      intervalMs: 50,
      create: (fence) => {
        log.push(`create ${fence.epoch}`);
        return { start: async () => void log.push('start'), stop: async () => void log.push('stop'), notify: () => undefined, status: async () => status('running') };
      },
      standbyStatus: async () => status('standby'),
    });
    running.push(p);
    return { p, log, store };
  }
  const until = async (check: () => boolean | Promise<boolean>, ms = 3000) => {
    const deadline = Date.now() + ms;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error('timed out');
      await new Promise((r) => setTimeout(r, 10));
    }
  };

  it('runs the projection in one holder only; the standby takes over as soon as the holder stops (it releases the lease)', async () => {
    const a = projector('a');
    const b = projector('b');
    await a.p.start();
    await b.p.start();
    expect(a.log).toEqual(['create 1', 'start']);
    expect(b.log).toEqual([]);
    expect(await b.p.status()).toMatchObject({ state: 'standby', lease: { role: 'standby', heldBy: 'a', epoch: 1 } });
    expect(await a.p.status()).toMatchObject({ state: 'running', lease: { role: 'holder', epoch: 1, acquisitions: 1 } });
    // renewed while alive: still a's well past one lease length
    await new Promise((r) => setTimeout(r, 900));
    expect(b.log).toEqual([]);
    const stoppedAt = Date.now();
    await a.p.stop();
    expect(a.log).toEqual(['create 1', 'start', 'stop']);
    await until(() => b.log.includes('start'));
    expect(Date.now() - stoppedAt).toBeLessThan(400); // not a lease length: released
    expect(b.log).toEqual(['create 2', 'start']);
    expect((await b.store.currentLease('traces'))).toMatchObject({ holder: 'b', epoch: 2 });
  });

  it('a holder whose lease was taken over stops its projection at its next renewal and stands by', async () => {
    const a = projector('a', 60_000);
    await a.p.start();
    expect(a.log).toEqual(['create 1', 'start']);
    // another process took it over (as after a pause past the lease): the lease row now has epoch 2
    const other = SqliteTraceReadStore.open(join(dir, 'read.db'));
    stores.push(other);
    expect(await other.acquireLease('traces', 'c', 60_000, { now: Date.now() + 120_000 })).toMatchObject({ epoch: 2 });
    await until(() => a.log.includes('stop'));
    expect(await a.p.status()).toMatchObject({ state: 'standby', lease: { role: 'standby' } });
  });

  it('replaces a dead process of this host at once, never a live one or another host\'s', () => {
    const self = leaseHolderId('self');
    expect(isDeadLocalHolder(self, self)).toBe(false);
    expect(isDeadLocalHolder(`${self.split(':')[0]}:${process.ppid}:x`, self)).toBe(false); // alive
    expect(isDeadLocalHolder(`${self.split(':')[0]}:${2 ** 22 + 12345}:x`, self)).toBe(true); // above pid_max: no such process
    expect(isDeadLocalHolder(`${self.split(':')[0]}:${process.pid}:before`, self)).toBe(true); // this pid, another start: a restarted container
    expect(isDeadLocalHolder(`another-host:${2 ** 22 + 12345}:x`, self)).toBe(false);
  });
});
