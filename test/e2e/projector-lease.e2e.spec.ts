import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeMongoMissing, dropDatabase, withDatabase } from '../support/mongo-database';
import { buildAgentRequests, type BuiltRequest } from '../support/otlp-bodies';
import { eventually, getJson, startServer, type RunningServer } from '../support/temps-server';

/**
 * The scaled-out topology on one machine, every process on one SQLite data dir: 2 ingest, 2 api and 2
 * projector processes. One projector holds the projection's lease and writes; the other stands by. The
 * holder is killed (kill -9) under load, then another is paused (SIGSTOP) past its lease and resumed: the
 * standby takes over from the checkpoint each time, and every acked span is projected exactly once
 * (each trace whole, usage equal to a clean rebuild of the same log).
 *
 * Twice: with the read model (and the lease, and the live update outbox) in read.db, and in MongoDB
 * (FerretDB here, MONGO_URL) with the events still in the shared SQLite log (no EventStoreDB runs here).
 * On MongoDB a commit is several writes, each fenced by a read of the lease (no transactions on FerretDB).
 * TEMPS_PROJECTOR_THREAD=0 in the environment runs every process's projector on its main thread instead.
 */
jest.setTimeout(300_000);

const LEASE_TTL_MS = 2000;

interface ReadStoreCase {
  /** The read store's variables for every process of the topology, and for the clean rebuild's server. */
  env: Record<string, string>;
  cleanEnv: Record<string, string>;
  /** How long projecting every acked trace may take (FerretDB commits are slower than SQLite's). */
  projectMs: number;
  /** OTLP requests (5 traces of 4 spans each) sent in the kill -9 test, the SIGSTOP test and after the holder woke. */
  requests: { kill: number; stop: number; after: number };
  drop(): Promise<void>;
}

const TESTS = {
  roles: 'splits the roles: ingest takes OTLP only, api serves the API and dashboard routes, a projector only /healthz, /readyz, /metrics',
  kill: 'kill -9 of the holder under load: the standby takes over within seconds from the checkpoint; every acked span projected once',
  stop: 'SIGSTOP of the holder past its lease (on SQLite between commits: one paused inside a commit holds read.db\'s write lock until it resumes): the standby takes over on expiry; the holder, resumed, writes nothing and stands by',
  rebuild: 'usage equals a clean rebuild of the same log (nothing counted twice or lost across the takeovers)',
};

const mongoUrl = process.env.MONGO_URL;
const readStores: [string, () => ReadStoreCase][] = [
  ['read store on SQLite (read.db in the data dir)', () => ({ env: {}, cleanEnv: {}, projectMs: 60_000, requests: { kill: 60, stop: 40, after: 10 }, drop: async () => undefined })],
  ...(mongoUrl
    ? [
        [
          'read store on MongoDB (MONGO_URL: FerretDB here; events on the shared SQLite log)',
          () => {
            const run = randomBytes(4).toString('hex');
            const database = `temps_lease_${run}`;
            const cleanDatabase = `temps_lease_clean_${run}`;
            return {
              env: { TEMPS_READ_STORE: 'mongo', MONGO_URL: withDatabase(mongoUrl, database) },
              cleanEnv: { TEMPS_READ_STORE: 'mongo', MONGO_URL: withDatabase(mongoUrl, cleanDatabase) },
              projectMs: 120_000,
              // A third of the SQLite case's load: FerretDB v1 finds a trace's spans by a scan of every span (it pushes down
              // only _id equality), so each batch costs in proportion to the read model, and the host is shared.
              requests: { kill: 20, stop: 15, after: 5 },
              drop: async () => {
                await dropDatabase(mongoUrl, database);
                await dropDatabase(mongoUrl, cleanDatabase);
              },
            };
          },
        ] as [string, () => ReadStoreCase],
      ]
    : []),
];
if (!mongoUrl) describeMongoMissing('projector lease: 2 ingest, 2 api, 2 projector processes: read store on MongoDB', Object.values(TESTS));

describe.each(readStores)('projector lease: 2 ingest, 2 api, 2 projector processes on one data dir: %s', (_name, readStore) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'temps-lease-'));
  const store = readStore();
  // Six processes start on one SQLite log on a shared 2-core host: appends (the first start's key and
  // prices) may wait for the writer lock longer than the default 2 s.
  const env = { TEMPS_LEASE_TTL_MS: String(LEASE_TTL_MS), TEMPS_EVENT_STORE_WRITE_TIMEOUT_MS: '15000', ...store.env };
  let ingest: RunningServer[] = [];
  let api: RunningServer[] = [];
  let projectors: RunningServer[] = [];
  const extra: RunningServer[] = [];
  const dirs = [dataDir];
  const acked = new Set<string>();
  const range = `from=${new Date(Date.now() - 86_400_000).toISOString()}&to=${new Date(Date.now() + 7_200_000).toISOString()}`;

  beforeAll(async () => {
    const start = (role: string) => startServer({ dataDir, env: { ...env, TEMPS_ROLE: role } });
    // One first (it makes project 1, the key and the prices), then the other five at once.
    const first = await start('ingest');
    [ingest, api, projectors] = await Promise.all([
      Promise.all([first, start('ingest')]),
      Promise.all([start('api'), start('api')]),
      Promise.all([start('projector'), start('projector')]),
    ]);
  });
  afterAll(async () => {
    for (const p of [...projectors, ...extra]) if (p.process.signalCode === null && p.process.exitCode === null) p.process.kill('SIGCONT');
    await Promise.all([...ingest, ...api, ...projectors, ...extra].map((s) => s.stop()));
    await store.drop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  const readyz = async (s: RunningServer) => (await (await fetch(`${s.url}/readyz`)).json()) as { status: string; checks: { name: string; ok: boolean; detail?: string }[] };
  const leaseDetail = async (s: RunningServer) => (await readyz(s)).checks.find((c) => c.name === 'projector lease held or followed')?.detail ?? '';
  const alive = (s: RunningServer) => s.process.exitCode === null && s.process.signalCode === null;
  /** The one projector whose /readyz says it holds the lease (and that all the others stand by). */
  const holder = (among: RunningServer[], what = 'one lease holder') =>
    eventually(async () => {
      const details = await Promise.all(among.map(leaseDetail));
      const holders = among.filter((_, i) => details[i]!.startsWith('holder'));
      return holders.length === 1 && details.every((d) => d.startsWith('holder') || d.startsWith('standby')) ? holders[0] : undefined;
    }, 20_000, what);
  const epochOf = async (s: RunningServer) => Number(/epoch (\d+)/.exec(await leaseDetail(s))?.[1]);

  let sent = 0;
  const send = async (requests: BuiltRequest[]) => {
    let next = 0;
    await Promise.all(
      [0, 1, 2, 3].map(async (w) => {
        while (next < requests.length) {
          const r = requests[next++]!;
          const target = ingest[(sent++ + w) % ingest.length]!;
          const res = await fetch(`${target.url}/api/otel/v1/traces`, { method: 'POST', headers: { 'Content-Type': 'application/x-protobuf', Authorization: `Bearer ${target.apiKey}`, 'X-Temps-Project-Id': '1' }, body: r.body });
          if (res.status === 200) for (const t of r.traceIds) acked.add(t);
        }
      }),
    );
  };
  /** Every trace in the list, by id: its span count (through one api instance, 500 a page). */
  const listed = async (s: RunningServer): Promise<Map<string, number> | undefined> => {
    const counts = new Map<string, number>();
    let cursor: string | null = null;
    do {
      const { status, body } = await getJson(s, `/api/projects/1/ai/traces?limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      if (status !== 200) return undefined;
      for (const t of body.items) counts.set(t.traceId, t.spanCount);
      cursor = body.nextCursor;
    } while (cursor);
    return counts;
  };
  let tries = 0;
  /**
   * Every acked trace is in the read model whole (4 spans, each once), read through either api instance: the list
   * until it shows them all, then each trace's spans once (on FerretDB a trace's spans are found by a scan: it pushes
   * down only _id equality, so reading every trace on every try would mostly measure that).
   */
  const allProjectedOnce = async (what: string) => {
    const started = Date.now();
    await eventually(async () => {
      const counts = await listed(api[tries++ % 2]!);
      return counts && [...acked].every((id) => counts.get(id) === 4) ? true : undefined;
    }, store.projectMs, 'every acked trace in the list, whole');
    const ids = [...acked];
    for (let i = 0; i < ids.length; i++) {
      const { status, body } = await getJson(api[i % 2]!, `/api/projects/1/ai/traces/${ids[i]}`);
      expect([ids[i], status, body.spans?.length, body.trace?.spanCount]).toEqual([ids[i], 200, 4, 4]);
    }
    process.stdout.write(`projector lease e2e (${_name}): ${ids.length} acked traces projected whole ${what}, ${Date.now() - started} ms after the wait began\n`);
  };

  it(TESTS.roles, async () => {
    const otlpTo = (s: RunningServer) => fetch(`${s.url}/api/otel/v1/traces`, { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${s.apiKey}`, 'X-Temps-Project-Id': '1' }, body: '{}' });
    expect((await otlpTo(ingest[0]!)).status).toBe(200);
    expect((await otlpTo(api[0]!)).status).toBe(404);
    expect((await otlpTo(projectors[0]!)).status).toBe(404);
    expect((await getJson(ingest[0]!, '/api/projects/1/ai/traces')).status).toBe(404);
    expect((await getJson(api[1]!, '/api/projects/1/ai/traces')).status).toBe(200);
    for (const p of projectors) {
      expect((await getJson(p, '/api/projects/1/ai/traces')).status).toBe(404);
      expect((await getJson(p, '/api/projections')).status).toBe(404);
      expect((await fetch(`${p.url}/healthz`)).status).toBe(200);
      // Ready once it holds or follows the lease: a standby's first look at the lease can take a moment (FerretDB, loaded CI).
      let readyz: unknown;
      await eventually(async () => {
        const res = await fetch(`${p.url}/readyz`);
        readyz = [res.status, await res.text()];
        return res.status === 200 ? true : undefined;
      }, 20_000, `${p.url}/readyz to answer 200`).catch((err: unknown) => {
        throw new Error(`${(err as Error).message}: ${JSON.stringify(readyz)}`);
      });
      expect((await getJson(p, '/metrics')).status).toBe(200);
      expect(p.output()).toContain('TEMPS_ROLE=projector runs the projection only');
    }
    // one holder, one standby; the api answers /api/projections from the stores (it runs no projector)
    const h = await holder(projectors);
    const standby = projectors.find((p) => p !== h)!;
    expect(await leaseDetail(standby)).toMatch(/^standby: another projector holds the lease/);
    const metrics = (await getJson(h, '/metrics')).body as string;
    expect(metrics).toMatch(/temps_projection_lease_held\{projection="traces"\} 1/);
    expect((await getJson(standby, '/metrics')).body).toMatch(/temps_projection_lease_held\{projection="traces"\} 0/);
    const { status, body } = await getJson(api[0]!, '/api/projections');
    expect(status).toBe(200);
    expect(body.items[0]).toMatchObject({ name: 'traces', lease: { role: 'observer', heldBy: expect.stringContaining(`:${h.process.pid}:`) } });
  });

  it(TESTS.kill, async () => {
    const first = await holder(projectors);
    const standby = projectors.find((p) => p !== first)!;
    const epoch = await epochOf(first);
    const load = send(buildAgentRequests(store.requests.kill, 5));
    await eventually(async () => (acked.size >= store.requests.kill ? true : undefined), 30_000, 'load under way');
    first.process.kill('SIGKILL');
    const killedAt = Date.now();
    await eventually(async () => ((await leaseDetail(standby)).startsWith('holder') ? true : undefined), 15_000, 'the standby holding the lease');
    const takeoverMs = Date.now() - killedAt;
    await load;
    expect(await epochOf(standby)).toBe(epoch + 1);
    // A dead process of this host is replaced at once (its pid is gone); at most a lease length plus a try otherwise.
    expect(takeoverMs).toBeLessThan(LEASE_TTL_MS + 3000);
    process.stdout.write(`projector lease e2e (${_name}): standby took over ${takeoverMs} ms after kill -9 (${acked.size} acked traces so far)\n`);
    expect(standby.output()).toMatch(/lease taken by .* \(epoch \d+\); projecting from the checkpoint/);
    await allProjectedOnce('after the kill -9 takeover');
  });

  /**
   * SIGSTOP, outside a commit. On the SQLite read store a process paused inside a commit holds read.db's write lock
   * (SQLite's file lock, released only when the process resumes or dies): no one can take the lease until it resumes,
   * and it is fenced then. So the embedded case pauses the holder again until read.db is writable with it paused.
   */
  async function pauseBetweenCommits(p: RunningServer): Promise<void> {
    for (let attempt = 0; attempt < 100; attempt++) {
      p.process.kill('SIGSTOP');
      if (store.env.TEMPS_READ_STORE === 'mongo') return;
      const db = new DatabaseSync(join(dataDir, 'read.db'), { timeout: 0 });
      try {
        db.exec('BEGIN IMMEDIATE');
        db.exec('ROLLBACK');
        return;
      } catch {
        // busy: paused inside a commit
      } finally {
        db.close();
      }
      p.process.kill('SIGCONT');
      await new Promise((r) => setTimeout(r, 10 + attempt));
    }
    throw new Error('the holder was inside a commit at each of 100 pauses');
  }

  it(TESTS.stop, async () => {
    // a new standby in place of the killed projector
    const replacement = await startServer({ dataDir, env: { ...env, TEMPS_ROLE: 'projector' } });
    extra.push(replacement);
    const live = [...projectors.filter(alive), replacement];
    const paused = await holder(live, 'the surviving projector holding the lease');
    const epoch = await epochOf(paused);
    const before = acked.size;
    const load = send(buildAgentRequests(store.requests.stop, 5));
    await eventually(async () => (acked.size >= before + store.requests.stop ? true : undefined), 30_000, 'load under way');
    await pauseBetweenCommits(paused);
    const stoppedAt = Date.now();
    await eventually(async () => ((await leaseDetail(replacement)).startsWith('holder') ? true : undefined), 20_000, 'the standby holding the lease');
    const takeoverMs = Date.now() - stoppedAt;
    await load;
    // A paused process is alive: the standby waits for its lease to expire.
    expect(takeoverMs).toBeGreaterThanOrEqual(LEASE_TTL_MS / 2);
    expect(await epochOf(replacement)).toBe(epoch + 1);
    process.stdout.write(`projector lease e2e (${_name}): standby took over ${takeoverMs} ms after SIGSTOP of the holder\n`);
    await allProjectedOnce('after the SIGSTOP takeover');

    // Every acked trace is in and the new holder is idle: the read model must not change when the paused holder wakes
    // (stopped under load, it was most likely in the middle of a commit: on MongoDB several writes, each fenced).
    const readModelNow = async () => ({
      usage: (await getJson(api[0]!, `/api/projects/1/ai/usage?${range}`)).body,
      position: (await getJson(api[1]!, '/api/projections')).body.items[0].position,
    });
    const quiet = await readModelNow();
    paused.process.kill('SIGCONT');
    await eventually(async () => ((await leaseDetail(paused)).startsWith('standby') ? true : undefined), 15_000, 'the resumed holder standing by');
    // the projector thread's log reaches stdout through the main thread, a moment after /readyz can say standby
    await eventually(async () => (paused.output().includes(`lease of epoch ${epoch} lost`) ? true : undefined), 5_000, `the resumed holder's log of losing epoch ${epoch}`);
    expect(await readModelNow()).toEqual(quiet);
    await send(buildAgentRequests(store.requests.after, 5));
    await allProjectedOnce('after the paused holder woke');
    expect(await leaseDetail(replacement)).toMatch(/^holder/);
  });

  it(TESTS.rebuild, async () => {
    await allProjectedOnce('before the clean rebuild');
    // The log as it stands (every ingest idle now), copied to a fresh data dir; an all-in-one server builds it from scratch.
    const cleanDir = mkdtempSync(join(tmpdir(), 'temps-lease-clean-'));
    dirs.push(cleanDir);
    const db = new DatabaseSync(join(dataDir, 'events.db'));
    try {
      db.exec(`VACUUM INTO '${join(cleanDir, 'events.db').replaceAll("'", "''")}'`);
    } finally {
      db.close();
    }
    const clean = await startServer({ dataDir: cleanDir, env: store.cleanEnv });
    const rebuildStarted = Date.now();
    extra.push(clean);
    const leased = (await getJson(api[0]!, `/api/projects/1/ai/usage?${range}`)).body;
    expect(leased.totals?.calls ?? leased.totals).toBeTruthy();
    const rebuilt = await eventually(async () => {
      const { body } = await getJson(clean, `/api/projects/1/ai/usage?${range}`);
      return JSON.stringify(body) === JSON.stringify(leased) ? body : undefined;
    }, store.projectMs, 'the clean rebuild\'s usage equal to the leased projectors\'');
    expect(rebuilt).toEqual(leased);
    process.stdout.write(`projector lease e2e (${_name}): a clean rebuild of the same log reached the same usage ${Date.now() - rebuildStarted} ms after its server started\n`);
    // and it ends where the leased projectors did (usage can be equal a little before: the last events may add no usage)
    const leasedPosition = (await getJson(api[1]!, '/api/projections')).body.items[0].position;
    const position = async () => (await getJson(clean, '/api/projections')).body.items[0].position;
    await eventually(async () => ((await position()) === leasedPosition ? true : undefined), store.projectMs, `the clean rebuild at position ${leasedPosition}`).catch(async (err: Error) => {
      throw new Error(`${err.message} (it is at ${await position()})`);
    });
  });
});
