import { hostname } from 'node:os';
import type { ProjectionStatus } from './projection-runner';
import type { ProjectionProcess } from './projection-thread-host';

/** The lease as the read store keeps it (ProjectionLeases in @temps/read-store: the runtime names only what it uses). */
export interface LeaseRecord {
  holder: string;
  epoch: number;
  expiresAt: number;
}

export interface LeaseStore {
  acquireLease(name: string, holder: string, ttlMs: number, options?: { replacing?: { holder: string; epoch: number } }): Promise<LeaseRecord | null>;
  renewLease(name: string, holder: string, epoch: number, ttlMs: number): Promise<boolean>;
  releaseLease(name: string, holder: string, epoch: number): Promise<void>;
  currentLease(name: string): Promise<LeaseRecord | null>;
}

/** What /readyz and /metrics say of the lease: whether this projector writes (holder) or waits (standby). */
export interface LeaseStatus {
  /** observer: a process that does not project (an api instance) reporting the lease it read. */
  role: 'holder' | 'standby' | 'observer';
  holder: string;
  /** This projector's epoch while it holds the lease; the holder's otherwise (null: nobody holds it yet). */
  epoch: number | null;
  /** The lease's current holder (null: none). */
  heldBy: string | null;
  expiresAt: number | null;
  /** How many times this process took the lease. */
  acquisitions: number;
}

export interface LeasedProjectionOptions {
  /** The lease's name: the projection's. */
  name: string;
  leases: LeaseStore;
  /** Unique per process start (see leaseHolderId). */
  holder: string;
  /** How long a lease lasts without renewal: a standby takes over this long after the holder died at most. */
  ttlMs: number;
  /** How often the holder renews and a standby tries (default ttlMs / 4). */
  intervalMs?: number;
  /**
   * Makes the projection to run while the lease is held, fenced by its epoch (every write it makes must
   * check it: ProjectionLeases.fenceWrites). Called again at each new acquisition.
   */
  create(fence: { name: string; epoch: number }): ProjectionProcess & { whenCaughtUp?(timeoutMs?: number): Promise<void> };
  /** The status while standing by: where the holder's build stands (the read store's checkpoint). */
  standbyStatus(): Promise<ProjectionStatus>;
  /** Whether a holder is known to be dead although its lease has not expired (e.g. a crashed process of this host). */
  holderIsDead?(holder: string): boolean;
  onError?(err: unknown): void;
  log?(message: string): void;
}

/**
 * Runs a projection only while this process holds its lease in the read store: one projector writes at a
 * time, any number stand by. The holder renews the lease every intervalMs; a standby tries to take it
 * every intervalMs and gets it once it has expired (ttlMs after the holder's last renewal) or was released.
 * A holder that cannot renew (paused, cut off) stops its projection once its lease has expired by its
 * own clock; and since every write is fenced by the epoch, a holder that wakes after a takeover writes
 * nothing even before it notices.
 */
export class LeasedProjection implements ProjectionProcess {
  private inner: ReturnType<LeasedProjectionOptions['create']> | null = null;
  private held: { epoch: number; expiresAt: number } | null = null;
  private lastSeen: LeaseRecord | null = null;
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> = Promise.resolve();
  private stopped = true;
  private acquisitions = 0;
  /** Why the last try to take or renew the lease failed (e.g. a full disk), until one succeeds. */
  private lastError: string | null = null;

  constructor(private readonly o: LeasedProjectionOptions) {}

  private get intervalMs(): number {
    return this.o.intervalMs ?? Math.max(50, Math.floor(this.o.ttlMs / 4));
  }

  /** Tries the lease once (a projector that gets it starts its projection before this resolves), then keeps at it. */
  async start(): Promise<void> {
    if (!this.stopped) return;
    this.stopped = false;
    await this.tick();
    this.timer = setInterval(() => {
      this.ticking = this.ticking.then(() => this.tick());
    }, this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.ticking;
    const held = this.held;
    await this.stopInner();
    // Let it go: a standby takes over at its next try, not a lease length later.
    if (held) await this.o.leases.releaseLease(this.o.name, this.o.holder, held.epoch).catch((err: unknown) => this.o.onError?.(err));
  }

  notify(): void {
    this.inner?.notify();
  }

  async whenCaughtUp(timeoutMs = 30_000): Promise<void> {
    if (!this.inner?.whenCaughtUp) throw new Error(`projection ${this.o.name}: this projector stands by (another holds the lease)`);
    return this.inner.whenCaughtUp(timeoutMs);
  }

  leaseStatus(): LeaseStatus {
    const seen = this.lastSeen;
    return {
      role: this.held ? 'holder' : 'standby',
      holder: this.o.holder,
      epoch: this.held?.epoch ?? seen?.epoch ?? null,
      heldBy: this.held ? this.o.holder : seen && seen.expiresAt > Date.now() ? seen.holder : null,
      expiresAt: this.held?.expiresAt ?? seen?.expiresAt ?? null,
      acquisitions: this.acquisitions,
    };
  }

  async status(): Promise<ProjectionStatus> {
    const base = this.inner ? await this.inner.status() : await this.o.standbyStatus();
    // Not standing by of its own will: the lease could not be taken or renewed (the store failing).
    const failed = !this.inner && this.lastError !== null ? { state: 'failed' as const, lastError: this.lastError } : {};
    return { ...base, ...failed, lease: this.leaseStatus() };
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    try {
      if (this.held) await this.renew();
      else await this.acquire();
    } catch (err) {
      this.lastError = err instanceof Error ? err.message : String(err);
      this.o.onError?.(err);
      // Cut off from the store: past its lease by its own clock, the holder stops (a standby may have taken over).
      if (this.held && Date.now() >= this.held.expiresAt) await this.lose('could not renew the lease before it expired');
    }
  }

  private async renew(): Promise<void> {
    const held = this.held!;
    const expiresAt = Date.now() + this.o.ttlMs;
    if (await this.o.leases.renewLease(this.o.name, this.o.holder, held.epoch, this.o.ttlMs)) {
      held.expiresAt = expiresAt;
      this.lastError = null;
      return;
    }
    this.lastError = null;
    await this.lose('another projector took the lease over');
  }

  private async acquire(): Promise<void> {
    let lease = await this.o.leases.acquireLease(this.o.name, this.o.holder, this.o.ttlMs);
    this.lastError = null;
    if (!lease) {
      const current = await this.o.leases.currentLease(this.o.name);
      this.lastSeen = current;
      if (current && this.o.holderIsDead?.(current.holder)) {
        lease = await this.o.leases.acquireLease(this.o.name, this.o.holder, this.o.ttlMs, { replacing: { holder: current.holder, epoch: current.epoch } });
        if (lease) this.o.log?.(`projection ${this.o.name}: the lease's holder ${current.holder} is dead (its process is gone); taken over without waiting for expiry`);
      }
    }
    if (!lease || this.stopped) return;
    this.held = { epoch: lease.epoch, expiresAt: lease.expiresAt };
    this.lastSeen = lease;
    this.acquisitions++;
    this.o.log?.(`projection ${this.o.name}: lease taken by ${this.o.holder} (epoch ${lease.epoch}); projecting from the checkpoint`);
    const inner = this.o.create({ name: this.o.name, epoch: lease.epoch });
    this.inner = inner;
    try {
      await inner.start();
    } catch (err) {
      await this.lose(`the projection did not start: ${(err as Error).message}`);
      throw err;
    }
  }

  private async lose(why: string): Promise<void> {
    if (!this.held) return;
    this.o.log?.(`projection ${this.o.name}: lease of epoch ${this.held.epoch} lost (${why}); standing by`);
    this.held = null;
    await this.stopInner();
  }

  private async stopInner(): Promise<void> {
    const inner = this.inner;
    this.inner = null;
    this.held = null;
    await inner?.stop().catch((err: unknown) => this.o.onError?.(err));
  }
}

/** A lease holder id unique per process start: host, pid, and a random part (pids are reused). */
export function leaseHolderId(random: string): string {
  return `${hostname()}:${process.pid}:${random}`;
}

/**
 * Whether a holder id names a process of this host that is gone: same host name, and its pid is not a
 * live process (or is this very process: a container restarted under the same name and pid, e.g. pid 1).
 * Then its lease can be taken at once. Only a dead process on this host is ever judged: another host's
 * holder waits for its lease to expire.
 */
export function isDeadLocalHolder(holder: string, self: string): boolean {
  const [host, pidText] = holder.split(':');
  if (host !== hostname() || holder === self) return false;
  const pid = Number(pidText);
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
