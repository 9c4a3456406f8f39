import { existsSync } from 'node:fs';
import { TRACE_PROJECTION } from '@temps/domain';
import type { EventStore } from '@temps/event-store';
import { buildThreadsFromEnv, bulkLoadProgress, createLeasedTraceProjection, leaseFromEnv, dialectMapperRefsFromEnv, loadDialectMappers, loadReadModelExtensions, moduleExportRefsFromEnv, openStores } from '@temps/projector';
import type { TraceReadStore } from '@temps/read-store';
import { configFromEnv } from './temps-config';

const PROJECTIONS = [TRACE_PROJECTION.name];
const USAGE = `usage: temps projections status | temps projections rebuild ${PROJECTIONS.join('|')}`;
/** How long `rebuild` waits for a running server to pick its request up before building here. */
const PICK_UP_MS = 3_000;

/** `temps projections status|rebuild`: reads and requests only, safe while `temps serve` runs on the same stores. */
export async function projectionsCommand(args: string[]): Promise<void> {
  if (args[0] === 'status') return status();
  if (args[0] === 'rebuild') {
    const name = args[1];
    if (!name || !PROJECTIONS.includes(name as (typeof PROJECTIONS)[number])) throw new Error(`${name ? `no projection "${name}"` : 'which projection?'}\n${USAGE}`);
    return rebuild();
  }
  throw new Error(USAGE);
}

async function open() {
  const config = configFromEnv();
  if (config.stores.events.kind === 'sqlite' && !existsSync(config.stores.events.path)) {
    throw new Error(`no event store in ${config.dataDir}: run "temps serve" first (or set TEMPS_DATA_DIR)`);
  }
  const stores = await openStores(config.stores, { reads: true, readOnlyEvents: true });
  return { events: stores.events, reads: stores.reads!, close: stores.close, config: config.stores };
}

/** Events after `position`, counted up to a cap (the status must stay quick on a big log), and when the oldest was stored. */
async function behind(events: EventStore, position: bigint | null): Promise<{ count: number; capped: boolean; oldest: string | null }> {
  const CAP = 100_000;
  let count = 0;
  let oldest: string | null = null;
  for (let after = position ?? undefined; count < CAP; ) {
    const batch = await events.readAll({ after, limit: 5_000 });
    if (!batch.length) break;
    oldest ??= batch[0]!.created;
    count += batch.length;
    after = batch[batch.length - 1]!.position;
  }
  return { count, capped: count >= CAP, oldest };
}

async function status(): Promise<void> {
  const { events, reads, close } = await open();
  try {
    const head = await events.headPosition();
    const rows = [['PROJECTION', 'VERSION', 'BUILD', 'POSITION', 'HEAD', 'BEHIND (events)', 'LAG', 'STATE']];
    for (const name of PROJECTIONS) {
      const entry = await reads.catalogEntry(name);
      const builds = [
        ...(entry.active ? [{ ...entry.active, role: 'serving' }] : []),
        ...(entry.building ? [{ ...entry.building, role: 'building' }] : []),
      ];
      if (!builds.length) rows.push([name, String(TRACE_PROJECTION.version), '-', '-', head < 0n ? '-' : String(head), '-', '-', 'not started']);
      for (const b of builds) {
        const checkpointName = b.namespace || `${name}_v1`;
        const bulk = await bulkLoadProgress(reads, checkpointName);
        const position = bulk ? bulk.position : await reads.checkpoint(checkpointName);
        const left = await behind(events, position);
        const lag = left.oldest ? Math.max(0, (Date.now() - Date.parse(left.oldest)) / 1000) : 0;
        let state = position === null && head >= 0n ? 'not started' : left.count ? 'catching up' : 'caught up';
        if (bulk) state = `bulk loading up to ${bulk.plan.target} in ${bulk.plan.partitions} partition${bulk.plan.partitions === 1 ? '' : 's'}`;
        else if (b.role === 'building') state = 'building (serves when caught up)';
        else if (b.version !== TRACE_PROJECTION.version) state = `serving, frozen: version ${TRACE_PROJECTION.version} replaces it`;
        rows.push([
          name,
          String(b.version),
          b.namespace || '(version 1 tables)',
          position === null ? '-' : String(position),
          head < 0n ? '-' : String(head),
          left.capped ? `>${left.count}` : String(left.count),
          left.count ? `${lag.toFixed(1)} s` : '0 s',
          state,
        ]);
      }
      if (entry.rebuildRequestedAt && !entry.building) rows.push([name, '', '', '', '', '', '', `rebuild requested ${entry.rebuildRequestedAt}`]);
    }
    const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
    for (const r of rows) console.log(r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd());
    // Which projector writes (the lease; README "Scaling out").
    for (const name of PROJECTIONS) {
      const lease = await reads.currentLease(name);
      const left = lease ? (lease.expiresAt - Date.now()) / 1000 : 0;
      console.log(`${name} lease: ${!lease ? 'never taken' : left > 0 ? `held by ${lease.holder} (epoch ${lease.epoch}, expires in ${left.toFixed(1)} s unless renewed)` : `free (epoch ${lease.epoch}, last held by ${lease.holder})`}`);
    }
  } finally {
    await close();
  }
}

/**
 * Asks for a fresh build of the trace projection (the catalog's rebuild request). A running server picks
 * it up and builds beside the serving build while ingest goes on; without one, this process builds it.
 * Either way this command follows the build with a progress bar until the switch.
 */
async function rebuild(): Promise<void> {
  const name = TRACE_PROJECTION.name;
  const { events, reads, close, config } = await open();
  let local: ReturnType<typeof createLeasedTraceProjection> | null = null;
  try {
    const before = await reads.catalogEntry(name);
    if (!before.building) await reads.requestRebuild(name);
    let building = before.building;
    const asked = Date.now();
    while (!building && Date.now() - asked < PICK_UP_MS) {
      await sleep(200);
      building = (await reads.catalogEntry(name)).building;
    }
    if (!building) {
      console.error(`no running server picked the request up within ${PICK_UP_MS / 1000} s: building here`);
      const dialects = dialectMapperRefsFromEnv();
      const readModels = moduleExportRefsFromEnv('TEMPS_READ_MODELS', process.env);
      const threads = buildThreadsFromEnv();
      // Under the projection's lease like a server's projector: never beside a running one.
      local = createLeasedTraceProjection({
        lease: leaseFromEnv(),
        events,
        reads,
        extraMappers: loadDialectMappers(dialects),
        extensions: loadReadModelExtensions(readModels),
        bulkLoad: threads > 1 ? { threads: { stores: config, count: threads, dialects, readModels } } : {},
        onCommitted: () => undefined,
        onError: (err) => console.error(`temps: ${(err as Error).message ?? String(err)}`),
        pollMs: 200,
      });
      await local.start();
      if (local.leaseStatus().role !== 'holder') console.error('a projector holds the projection\'s lease: waiting for it to build');
      const waitFrom = Date.now();
      while (!(building = (await reads.catalogEntry(name)).building) && Date.now() - waitFrom < 60_000) await sleep(200);
      if (!building) throw new Error('the build did not start');
    } else {
      console.error(`the running server is building ${building.namespace}`);
    }
    await follow(events, reads, name, building.namespace);
  } finally {
    await local?.stop();
    await close();
  }
}

async function follow(events: EventStore, reads: TraceReadStore, name: string, namespace: string): Promise<void> {
  const tty = process.stderr.isTTY;
  const samples: { at: number; position: number }[] = [];
  let lastLine = 0;
  const started = Date.now();
  for (;;) {
    const entry = await reads.catalogEntry(name);
    // A bulk load's partitions commit under their own checkpoints: its progress is the slowest one's.
    const bulk = await bulkLoadProgress(reads, namespace);
    const position = Number((bulk ? bulk.position : await reads.checkpoint(namespace)) ?? 0n);
    const head = Math.max(0, Number(await events.headPosition()));
    samples.push({ at: Date.now(), position });
    while (samples.length > 10) samples.shift();
    const first = samples[0]!;
    const rate = samples.length > 1 && Date.now() > first.at ? ((position - first.position) * 1000) / (Date.now() - first.at) : 0;
    if (entry.active?.namespace === namespace) {
      if (tty) process.stderr.write('\n');
      const seconds = (Date.now() - started) / 1000;
      console.log(`${name}: ${namespace} built (${position.toLocaleString('en-US')} events in ${seconds.toFixed(1)} s) and now serves; the previous build was dropped`);
      return;
    }
    if (entry.building?.namespace !== namespace) throw new Error(`the build ${namespace} was abandoned (the catalog now builds ${entry.building?.namespace ?? 'nothing'})`);
    const line = progressLine(position, head, rate);
    if (tty) process.stderr.write(`\r${line}\x1b[K`);
    else if (Date.now() - lastLine >= 5_000) {
      console.error(line);
      lastLine = Date.now();
    }
    await sleep(250);
  }
}

/** `[##########----------]  52%  520,000 / 1,000,000 events  21,430 events/s  ETA 22 s` */
export function progressLine(position: number, head: number, eventsPerSecond: number): string {
  const fraction = head > 0 ? Math.min(1, position / head) : 1;
  const width = 30;
  const filled = Math.round(fraction * width);
  const eta = eventsPerSecond > 0 ? `ETA ${Math.ceil(Math.max(0, head - position) / eventsPerSecond)} s` : 'ETA -';
  const n = (x: number) => Math.round(x).toLocaleString('en-US');
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(Math.floor(fraction * 100)).padStart(3)}%  ${n(position)} / ${n(head)} events  ${n(eventsPerSecond)} events/s  ${eta}`;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
