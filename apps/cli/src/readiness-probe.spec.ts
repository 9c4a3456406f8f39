import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProjectionRunner, type ProjectionHandler } from '@temps/projection-runtime';
import { openStores, type OpenedStores, type StoresConfig } from '@temps/projector';
import { ReadinessProbe } from './readiness-probe';

describe('ReadinessProbe on the embedded stores with a real projection runner', () => {
  let dir: string;
  let stores: OpenedStores;
  let config: StoresConfig;
  let release: () => void = () => undefined;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'temps-ready-'));
    config = { events: { kind: 'sqlite', path: join(dir, 'events.db') }, reads: { kind: 'sqlite', path: join(dir, 'read.db') } };
    stores = await openStores(config, { reads: true });
  });
  afterEach(async () => {
    release();
    await stores.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const append = (n: number) => stores.events.append('test-stream', Array.from({ length: n }, () => ({ id: randomUUID(), type: 'TestEvent', data: {} })));

  it('given a projector stuck on a slow batch, then it turns not ready once the lag passes the threshold, and ready when it catches up', async () => {
    await append(3);
    let position: bigint | null = null;
    let gate: Promise<void> | null = null;
    // A read model that takes as long as the test says (a slow store is a real condition).
    const handler: ProjectionHandler = {
      name: 'traces',
      checkpoint: async () => position,
      apply: async (_events, last) => {
        if (gate) await gate;
        position = last;
      },
    };
    const runner = new ProjectionRunner(stores.events, handler, { idlePollMs: 20 });
    await runner.start();
    await runner.whenCaughtUp(5000);
    const probe = new ReadinessProbe({ events: stores.events, reads: stores.reads, stores: config, projection: () => () => runner.status(), maxLagSeconds: 0.3, drain: { draining: false } });
    try {
      const ready = await probe.check();
      expect(ready.checks.filter((c) => !c.ok)).toEqual([]);
      expect(ready.ready).toBe(true);

      gate = new Promise<void>((resolve) => (release = resolve));
      await append(2);
      await new Promise((r) => setTimeout(r, 500));
      const behind = await probe.check();
      expect(behind.ready).toBe(false);
      expect(behind.checks.find((c) => !c.ok)).toMatchObject({ name: 'projector running and caught up', detail: expect.stringMatching(/s behind \(TEMPS_READY_MAX_LAG_SECONDS=0.3\)$/) });

      gate = null;
      release();
      await runner.whenCaughtUp(5000);
      expect((await probe.check()).ready).toBe(true);
    } finally {
      await runner.stop();
    }
  });

  it('given a runner not started yet, or a draining process, then not ready', async () => {
    const runner = new ProjectionRunner(stores.events, { name: 'traces', checkpoint: async () => null, apply: async () => undefined });
    const drain = { draining: false };
    const probe = new ReadinessProbe({ events: stores.events, reads: stores.reads, stores: config, projection: () => () => runner.status(), maxLagSeconds: 30, drain });
    expect((await probe.check()).checks.find((c) => !c.ok)).toMatchObject({ detail: 'state starting' });
    drain.draining = true;
    expect((await probe.check()).checks.filter((c) => !c.ok).map((c) => c.name)).toEqual(['projector running and caught up', 'accepting requests']);
  });

  it('given an ingest-only process (no read store, no projector), then only the event store is checked', async () => {
    const probe = new ReadinessProbe({ events: stores.events, reads: null, stores: config, projection: () => null, maxLagSeconds: 30, drain: { draining: false } });
    expect(await probe.check()).toEqual({ ready: true, checks: [{ name: 'event store reachable', ok: true }, { name: 'event store writable', ok: true }] });
  });
});
