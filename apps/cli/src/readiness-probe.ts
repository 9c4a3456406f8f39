import { open, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { EventStore } from '@temps/event-store';
import type { StoresConfig } from '@temps/projector';
import type { TraceReadStore } from '@temps/read-store';
import type { DrainState } from './request-operations.middleware';
import type { ProjectionStatusSource } from './temps-metrics';

export interface ReadinessCheck {
  name: string;
  ok: boolean;
  detail?: string;
}

export interface Readiness {
  ready: boolean;
  checks: ReadinessCheck[];
}

/** A check that does not answer within this long fails (a hung store must not hang the probe). */
const CHECK_TIMEOUT_MS = 2000;

function within<T>(what: Promise<T>, ms = CHECK_TIMEOUT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)));
  return Promise.race([what, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Writes, syncs and removes a small file beside the database: what fails on a full disk, a read-only
 * mount or a directory the process may no longer write (SQLite needs it for its journal and WAL files).
 */
async function writeProbe(dir: string): Promise<void> {
  const file = join(dir, `.temps-ready-probe-${process.pid}`);
  const handle = await open(file, 'w');
  try {
    await handle.writeFile('ready\n');
    await handle.sync();
  } finally {
    await handle.close();
    await unlink(file).catch(() => undefined);
  }
}

/**
 * What /readyz asks: the event store answers and (embedded) its directory takes writes; the read store
 * likewise where this process serves queries; the projector runs (not failing, stopped or starting) and
 * is less than maxLagSeconds behind; the process is not draining. EventStoreDB and MongoDB are checked
 * for answering only: a write probe there would add data to the log or the read model.
 */
export class ReadinessProbe {
  constructor(
    private readonly o: {
      events: EventStore;
      reads: TraceReadStore | null;
      stores: StoresConfig;
      projection: () => ProjectionStatusSource | null;
      maxLagSeconds: number;
      drain: DrainState;
    },
  ) {}

  async check(): Promise<Readiness> {
    const { events, reads, stores } = this.o;
    const checks = await Promise.all([
      this.run('event store reachable', () => events.headPosition()),
      ...(stores.events.kind === 'sqlite' ? [this.run('event store writable', () => writeProbe(dirname((stores.events as { path: string }).path)))] : []),
      ...(reads ? [this.run('read store reachable', () => reads.checkpoint('traces'))] : []),
      ...(reads && stores.reads.kind === 'sqlite' ? [this.run('read store writable', () => writeProbe(dirname((stores.reads as { path: string }).path)))] : []),
      ...(this.o.projection() ? [this.projector(), this.lease()] : []),
    ]);
    if (this.o.drain.draining) checks.push({ name: 'accepting requests', ok: false, detail: 'shutting down' });
    return { ready: checks.every((c) => c.ok), checks };
  }

  private async run(name: string, probe: () => Promise<unknown>): Promise<ReadinessCheck> {
    try {
      await within(probe());
      return { name, ok: true };
    } catch (err) {
      return { name, ok: false, detail: (err as Error).message };
    }
  }

  /** Whether this projector holds the projection's lease (it writes) or follows it (a standby, ready to take over). */
  private async lease(): Promise<ReadinessCheck> {
    // Named 'projector …': /readyz shows the detail of these (no holder ids there: they name hosts).
    const name = 'projector lease held or followed';
    try {
      const { lease } = await within(this.o.projection()!(), 6000);
      if (!lease) return { name, ok: true, detail: 'no lease (unleased projection)' };
      if (lease.role === 'holder') return { name, ok: true, detail: `holder: this projector writes (epoch ${lease.epoch})` };
      return { name, ok: true, detail: `standby: ${lease.heldBy ? 'another projector holds the lease' : 'the lease is free or expired, taking it over'} (epoch ${lease.epoch ?? 'none'})` };
    } catch (err) {
      return { name, ok: false, detail: (err as Error).message };
    }
  }

  private async projector(): Promise<ReadinessCheck> {
    const name = 'projector running and caught up';
    try {
      const s = await within(this.o.projection()!(), 6000);
      // A standby is ready: it follows the lease (its lag is the holder's, reported by the lease check).
      if (s.state === 'standby') return { name, ok: true, detail: `standby, the holder is ${s.lagSeconds.toFixed(1)} s behind` };
      if (s.state === 'failed' || s.state === 'stopped' || s.state === 'starting') return { name, ok: false, detail: `state ${s.state}${s.lastError ? `: ${s.lastError}` : ''}` };
      if (s.lagSeconds > this.o.maxLagSeconds) return { name, ok: false, detail: `${s.lagSeconds.toFixed(1)} s behind (TEMPS_READY_MAX_LAG_SECONDS=${this.o.maxLagSeconds})` };
      return { name, ok: true, detail: `${s.state}, ${s.lagSeconds.toFixed(1)} s behind` };
    } catch (err) {
      return { name, ok: false, detail: (err as Error).message };
    }
  }
}
