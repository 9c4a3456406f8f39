import type { EventStore, RecordedEvent } from '@temps/event-store';
import { ProjectionRunner, type ProjectionHandler, type ProjectionRunnerOptions, type ProjectionStatus } from './projection-runner';

/** A build of a projection: its code version and the namespace (tables, collections) its documents live in. */
export interface BuildRef {
  namespace: string;
  version: number;
  /** What else the build's code depends on (e.g. registered read model extensions); '' or absent: nothing. */
  variant?: string;
}

/** Which build serves, and which one is being built beside it: kept by the read store (ProjectionCatalog). */
export interface BuildCatalog {
  catalogEntry(name: string): Promise<{ active: BuildRef | null; building: (BuildRef & { startedAt: string }) | null; rebuildRequestedAt: string | null }>;
  beginBuild(name: string, build: BuildRef): Promise<void>;
  activate(name: string, build: BuildRef): Promise<void>;
  dropNamespace(namespace: string): Promise<void>;
}

export interface OpenedBuild {
  handler: ProjectionHandler;
  close(): Promise<void>;
}

export interface BlueGreenProjectionOptions {
  name: string;
  /** The code's version: a catalog whose active build has another one gets a new build beside it. */
  version: number;
  /** See BuildRef.variant: a catalog whose active build has another variant gets a new build too. */
  variant?: string;
  events: EventStore;
  catalog: BuildCatalog;
  /**
   * Opens the handler of one build. `serving()` tells, at each commit, whether that build serves
   * queries now (a build in progress should not publish live updates: nobody reads it yet).
   */
  openBuild(namespace: string, serving: () => boolean): Promise<OpenedBuild>;
  runner?: Omit<ProjectionRunnerOptions, 'onError'>;
  /**
   * Runner options of a build made beside the serving one (a new version, a forced rebuild), over `runner`'s.
   * A build replays the whole log while nobody reads it: bigger batches suit it (fewer commits, fewer
   * re-reads of traces split across batches).
   */
  buildRunner?: Omit<ProjectionRunnerOptions, 'onError'>;
  /**
   * Optional: loads a fresh build in bulk before its runner starts (e.g. in parallel partitions of the log),
   * reporting the position it is complete up to; the runner then carries on from the build's checkpoint.
   * Resolves 'stopped' when `signal` stopped it (it resumes at the next start), 'not-applicable' when the
   * build is not for it (the runner does all the work). A rejection is reported and the load retried.
   * `then`: 'serve' for the first build (it serves once loaded), 'build' for one made beside the serving build.
   */
  bulkLoad?(build: BuildRef, onProgress: (position: bigint | null) => void, signal: AbortSignal, purpose: { then: 'serve' | 'build' }): Promise<'loaded' | 'not-applicable' | 'stopped'>;
  /** Whether a bulk load of this build was begun and not finished (then it must resume before a runner takes over). */
  bulkLoadInProgress?(build: BuildRef): Promise<boolean>;
  /** How long after a failed bulk load it is tried again (default 5000 ms). */
  bulkLoadRetryMs?: number;
  /** How often the catalog is checked for a rebuild request and a build for having caught up (default 500 ms). */
  pollMs?: number;
  /** A batch of the serving build was applied up to this position. */
  onApplied?: (position: bigint) => void;
  onError?: (err: unknown) => void;
  log?: (message: string) => void;
}

export interface BuildProgress extends BuildRef {
  startedAt: string;
  position: bigint | null;
  head: bigint;
  /** Recent speed of the build (positions per second: events, on the embedded store). */
  eventsPerSecond: number;
  /** At that speed; null until it is known. */
  etaSeconds: number | null;
}

export interface VersionedProjectionStatus extends ProjectionStatus {
  /** The code's version. */
  version: number;
  /** The build serving queries (it may be of an older version while the new one builds). */
  serving: BuildRef | null;
  rebuild: BuildProgress | null;
}

interface Slot {
  build: BuildRef;
  startedAt: string;
  opened: OpenedBuild;
  runner: ProjectionRunner;
}

/** A build in its bulk load (before its runner starts). */
interface Loading {
  build: BuildRef;
  startedAt: string;
  /** What its runner does once loaded: serve (the first build) or follow the log beside the serving build. */
  then: 'serve' | 'build';
  position: bigint | null;
  stop: AbortController;
  done: Promise<void>;
  /** When it failed: a later tick starts it again (it resumes from its checkpoints). */
  failedAt: number | null;
}

/**
 * Blue/green builds of one projection. At start, a catalog whose active build has this code's
 * version is served and kept up to date. Otherwise (a new version) the old build keeps serving,
 * frozen, while a new build runs from the first event beside it; once it has caught up, the catalog
 * switches every reader to it in one write and the old build is dropped. A rebuild of the same
 * version (`temps projections rebuild`, seen through the catalog) builds a fresh namespace the same
 * way while the current build keeps serving AND keeps up with live events.
 */
export class BlueGreenProjection {
  private serving: Slot | null = null;
  private servingBuild: BuildRef | null = null;
  private building: Slot | null = null;
  private loading: Loading | null = null;
  private timer: NodeJS.Timeout | undefined;
  private ticking = false;
  private stopped = false;
  private samples: { at: number; position: bigint }[] = [];
  private switched: (() => void)[] = [];

  constructor(private readonly o: BlueGreenProjectionOptions) {}

  async start(): Promise<void> {
    this.stopped = false;
    const { name, version, catalog } = this.o;
    const entry = await catalog.catalogEntry(name);
    const first = this.firstBuild();
    if (entry.building && !this.isCurrent(entry.building) && entry.building.namespace !== entry.active?.namespace) {
      this.o.log?.(`projection ${name}: dropping the unfinished build ${entry.building.namespace} of version ${entry.building.version}`);
      await catalog.dropNamespace(entry.building.namespace);
    }
    if (!entry.active) {
      await catalog.activate(name, first);
      this.servingBuild = first; // before open(): its first batches are the serving build's
      // No read model yet (a first start, or its file was deleted): it serves while it loads.
      if (this.o.bulkLoad) this.startBulkLoad(first, new Date().toISOString(), 'serve');
      else this.serving = await this.open(first);
    } else if (this.isCurrent(entry.active) && (await this.o.bulkLoadInProgress?.(entry.active))) {
      // The first load was interrupted (a stop, a crash): it resumes; a runner over a half-loaded build would not finish it.
      this.servingBuild = entry.active;
      this.startBulkLoad(entry.active, new Date().toISOString(), 'serve');
    } else if (this.isCurrent(entry.active)) {
      this.servingBuild = entry.active;
      this.serving = await this.open(entry.active);
      // Where it resumes: a projector thread that took the lease over with nothing new to apply is caught up (whenCaughtUp) from here.
      const resumed = await this.serving.runner.status();
      if (resumed.position !== null) this.o.onApplied?.(resumed.position);
      if (entry.building && this.isCurrent(entry.building) && entry.building.namespace !== entry.active.namespace) await this.startBuild(entry.building);
      else if (entry.rebuildRequestedAt) await this.startBuild(this.freshBuild());
    } else {
      // New code, old documents: they serve as they are (old code cannot extend them) until the new build is ready.
      this.servingBuild = entry.active;
      const what = entry.active.version !== version ? `version ${version} replaces version ${entry.active.version}` : `the registered read models changed (${entry.active.variant || 'none'} -> ${this.o.variant || 'none'})`;
      this.o.log?.(`projection ${name}: ${what}; building it beside the old one, which serves meanwhile`);
      await this.startBuild(entry.building && this.isCurrent(entry.building) ? entry.building : first.namespace === entry.active.namespace ? this.freshBuild() : first);
    }
    this.timer = setInterval(() => void this.tick(), this.o.pollMs ?? 500);
    this.timer.unref();
  }

  /** Wake-up hint: events were appended. */
  notify(): void {
    this.serving?.runner.notify();
    this.building?.runner.notify();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    while (this.ticking) await new Promise((r) => setTimeout(r, 10));
    if (this.loading) {
      this.loading.stop.abort();
      await this.loading.done;
      this.loading = null;
    }
    for (const slot of [this.building, this.serving]) {
      if (!slot) continue;
      await slot.runner.stop();
      await slot.opened.close();
    }
    this.building = null;
    this.serving = null;
  }

  /** Resolves once the serving build has applied every event committed before this call (after a switch, if one is due). */
  async whenCaughtUp(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    if (!this.serving) {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`projection ${this.o.name}: the new build did not take over within ${timeoutMs} ms`)), timeoutMs);
        this.switched.push(() => (clearTimeout(timer), resolve()));
      });
    }
    await this.serving!.runner.whenCaughtUp(Math.max(1, deadline - Date.now()));
  }

  async status(): Promise<VersionedProjectionStatus> {
    const head = await this.o.events.headPosition();
    const base: ProjectionStatus = this.serving ? await this.serving.runner.status() : await this.statusWhileBuilding(head);
    let rebuild: BuildProgress | null = null;
    if (this.loading) rebuild = this.progress(this.loading.build, this.loading.startedAt, this.loading.position, head);
    else if (this.building) rebuild = this.progress(this.building.build, this.building.startedAt, (await this.building.runner.status()).position, head);
    return { ...base, name: this.o.name, version: this.o.version, serving: this.servingBuild, rebuild };
  }

  private progress(build: BuildRef, startedAt: string, position: bigint | null, head: bigint): BuildProgress {
    const speed = this.speed();
    const left = Math.max(0, Number(head - (position ?? -1n)));
    return { ...build, startedAt, position, head, eventsPerSecond: speed, etaSeconds: speed > 0 ? left / speed : null };
  }

  /** No runner serves yet (a first build loading, or a new version building while the old one serves frozen): the lag is the coming build's. */
  private async statusWhileBuilding(head: bigint): Promise<ProjectionStatus> {
    const position = this.loading ? this.loading.position : this.building ? (await this.building.runner.status()).position : null;
    const [next] = await this.o.events.readAll(position === null ? { limit: 1 } : { after: position, limit: 1 });
    return {
      name: this.o.name,
      position,
      head,
      lagEvents: Number(head - (position ?? -1n)),
      lagSeconds: next ? Math.max(0, (Date.now() - Date.parse(next.created)) / 1000) : 0,
      state: this.stopped ? 'stopped' : 'rebuilding',
      lastError: null,
    };
  }

  /** The build this code makes first: `traces_v2`, or `traces_v2_x<variant>` with extensions. */
  private firstBuild(): BuildRef {
    const variant = this.o.variant ?? '';
    return { namespace: `${this.o.name}_v${this.o.version}${variant ? `_x${variant}` : ''}`, version: this.o.version, ...(variant ? { variant } : {}) };
  }

  /** A fresh build of the same code (a forced rebuild). */
  private freshBuild(): BuildRef {
    const first = this.firstBuild();
    return { ...first, namespace: `${first.namespace}_r${Date.now().toString(36)}` };
  }

  private isCurrent(build: BuildRef): boolean {
    return build.version === this.o.version && (build.variant ?? '') === (this.o.variant ?? '');
  }

  private async open(build: BuildRef, runnerOptions: Omit<ProjectionRunnerOptions, 'onError'> = this.o.runner ?? {}): Promise<Slot> {
    const isServing = () => this.servingBuild?.namespace === build.namespace;
    const opened = await this.o.openBuild(build.namespace, isServing);
    const inner = opened.handler;
    // Reports the serving build's progress (the thread host turns it into whenCaughtUp answers).
    const handler: ProjectionHandler = {
      name: inner.name,
      checkpoint: () => inner.checkpoint(),
      ...(inner.pendingBatchEnd ? { pendingBatchEnd: () => inner.pendingBatchEnd!() } : {}),
      apply: async (events: RecordedEvent[], lastPosition: bigint) => {
        await inner.apply(events, lastPosition);
        if (isServing()) this.o.onApplied?.(lastPosition);
      },
    };
    const runner = new ProjectionRunner(this.o.events, handler, { ...runnerOptions, onError: this.o.onError });
    await runner.start();
    return { build, opened, runner, startedAt: new Date().toISOString() };
  }

  private async startBuild(build: BuildRef): Promise<void> {
    await this.o.catalog.beginBuild(this.o.name, build);
    this.samples = [];
    if (this.o.bulkLoad) return this.startBulkLoad(build, new Date().toISOString(), 'build');
    this.building = await this.open(build, { ...this.o.runner, ...this.o.buildRunner });
    this.o.log?.(`projection ${this.o.name}: building ${build.namespace} from the first event`);
  }

  /** Runs the bulk load in the background; the build's runner opens when it is done (as the serving build's, or beside it). */
  private startBulkLoad(build: BuildRef, startedAt: string, then: 'serve' | 'build'): void {
    const stop = new AbortController();
    const loading: Loading = { build, startedAt, then, position: null, stop, failedAt: null, done: Promise.resolve() };
    this.loading = loading;
    this.o.log?.(`projection ${this.o.name}: building ${build.namespace} from the first event`);
    loading.done = (async () => {
      try {
        const outcome = await this.o.bulkLoad!(build, (position) => (loading.position = position), stop.signal, { then });
        if (outcome === 'stopped' || this.stopped || this.loading !== loading) return;
        if (then === 'serve') this.serving = await this.open(build);
        else this.building = await this.open(build, { ...this.o.runner, ...this.o.buildRunner });
        this.loading = null;
        if (then === 'serve') {
          const s = await this.serving!.runner.status();
          if (s.position !== null) this.o.onApplied?.(s.position);
          for (const resolve of this.switched.splice(0)) resolve();
        }
        if (outcome === 'loaded') this.o.log?.(`projection ${this.o.name}: ${build.namespace} loaded in bulk; following the log from there`);
      } catch (err) {
        loading.failedAt = Date.now();
        this.o.onError?.(err);
      }
    })();
  }

  private sample(position: bigint): void {
    this.samples.push({ at: Date.now(), position });
    while (this.samples.length > 20) this.samples.shift();
  }

  private speed(): number {
    const first = this.samples[0];
    const last = this.samples[this.samples.length - 1];
    if (!first || !last || last.at <= first.at) return 0;
    return Number(last.position - first.position) / ((last.at - first.at) / 1000);
  }

  private async tick(): Promise<void> {
    if (this.ticking || this.stopped) return;
    this.ticking = true;
    try {
      if (this.loading) {
        if (this.loading.failedAt !== null && Date.now() - this.loading.failedAt >= (this.o.bulkLoadRetryMs ?? 5000)) this.startBulkLoad(this.loading.build, this.loading.startedAt, this.loading.then);
        else if (this.loading.position !== null) this.sample(this.loading.position);
      } else if (this.building) {
        const s = await this.building.runner.status();
        if (s.position !== null) this.sample(s.position);
        // 'caught-up': its last read reached the head (under steady ingest "zero behind" may never be observed at a status call).
        if (s.state === 'caught-up') await this.switchOver();
      } else {
        const entry = await this.o.catalog.catalogEntry(this.o.name);
        if (entry.rebuildRequestedAt) await this.startBuild(this.freshBuild());
      }
    } catch (err) {
      this.o.onError?.(err);
    } finally {
      this.ticking = false;
    }
  }

  private async switchOver(): Promise<void> {
    const next = this.building!;
    await this.o.catalog.activate(this.o.name, next.build);
    const old = this.serving;
    const oldBuild = this.servingBuild;
    this.serving = next;
    this.servingBuild = next.build;
    this.building = null;
    if (old) {
      await old.runner.stop();
      await old.opened.close();
    }
    if (oldBuild && oldBuild.namespace !== next.build.namespace) await this.o.catalog.dropNamespace(oldBuild.namespace);
    this.o.log?.(`projection ${this.o.name}: ${next.build.namespace} caught up and now serves${oldBuild ? `; ${oldBuild.namespace || 'the version 1 tables'} dropped` : ''}`);
    const s = await next.runner.status();
    if (s.position !== null) this.o.onApplied?.(s.position);
    for (const resolve of this.switched.splice(0)) resolve();
  }
}
