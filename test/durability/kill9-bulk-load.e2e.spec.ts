import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { apiSnapshot } from '../support/api-snapshot';
import { buildAgentRequests } from '../support/otlp-bodies';
import { temps } from '../support/server-inspect';
import { eventually, getJson, startServer, TEST_API_KEY, type RunningServer } from '../support/temps-server';

type Rebuild = { position: string | null; head: string } | null;
const projection = async (server: RunningServer) => (await getJson(server, '/api/projections')).body.items[0] as { lagEvents: number; state: string; rebuild: Rebuild };

/**
 * Durability of a bulk load: a server started on a log without its read model loads it in partitions on
 * threads (each committing with its own checkpoint). `kill -9` in the middle, restart: the load resumes
 * where each partition stopped and the read model equals the one the log had before.
 */
describe('crash: kill -9 during the bulk load of a read model', () => {
  it('resumes from the partitions after a restart and ends with the same read model', async () => {
    const first = await startServer({ keepData: true });
    const dataDir = first.dataDir;
    try {
      // ~100k spans: loading them takes seconds on these machines, time enough to kill the server part way.
      const requests = buildAgentRequests(1600, 16);
      let next = 0;
      await Promise.all(
        Array.from({ length: 4 }, async () => {
          while (next < requests.length) {
            const res = await fetch(`${first.url}/api/otel/v1/traces`, {
              method: 'POST',
              body: requests[next++]!.body,
              headers: { 'Content-Type': 'application/x-protobuf', Authorization: `Bearer ${TEST_API_KEY}`, 'X-Temps-Project-Id': '1' },
            });
            await res.arrayBuffer();
            expect(res.status).toBe(200);
          }
        }),
      );
      await eventually(async () => ((await projection(first)).lagEvents === 0 ? true : undefined), 120_000, 'the projector to catch up');
      const before = await apiSnapshot(first);
      expect(before.traces.length).toBe(1600 * 16);
      await first.stop();
      for (const f of ['read.db', 'read.db-wal', 'read.db-shm']) rmSync(join(dataDir, f), { force: true });

      // No read model: the server loads it in bulk (2 partitions); kill it once every partition has committed some.
      const second = await startServer({ dataDir, env: { TEMPS_BUILD_THREADS: '2' } });
      const partWay = await eventually(
        async () => {
          const r = (await projection(second)).rebuild;
          return r && r.position !== null && BigInt(r.position) < BigInt(r.head) ? r : undefined;
        },
        60_000,
        'the bulk load to be part way',
      );
      second.process.kill('SIGKILL');
      await second.stop();
      const db = new DatabaseSync(join(dataDir, 'read.db'));
      const plan = db.prepare('SELECT namespace, target, partitions FROM bulk_loads').all() as { partitions: number }[];
      const partitions = db.prepare("SELECT name, position FROM checkpoints WHERE name LIKE '%#p%'").all() as { position: string }[];
      db.close();
      expect(plan).toMatchObject([{ partitions: 2 }]);
      expect(partitions.length).toBe(2);
      expect(partitions.every((p) => BigInt(p.position) >= BigInt(partWay.position!))).toBe(true);
      // The CLI tells where the interrupted load stands: the slowest partition's position.
      const slowest = partitions.map((p) => BigInt(p.position)).reduce((a, b) => (a < b ? a : b));
      const { stdout } = await temps(dataDir, ['projections', 'status']);
      expect(stdout).toMatch(new RegExp(`^traces\\s+3\\s+traces_v3\\s+${slowest}\\s+\\d+\\s+>?\\d+\\s+[\\d.]+ s\\s+bulk loading up to \\d+ in 2 partitions$`, 'm'));

      const third = await startServer({ dataDir });
      try {
        await eventually(
          async () => {
            const p = await projection(third);
            return p.rebuild === null && p.lagEvents === 0 ? true : undefined;
          },
          120_000,
          'the resumed load to finish and serve',
        );
        expect(await apiSnapshot(third)).toEqual(before);
        // It finished as a bulk load (a runner carrying on over the half-loaded build would leave it in bulk mode).
        const after = new DatabaseSync(join(dataDir, 'read.db'), { readOnly: true });
        try {
          expect(after.prepare('SELECT COUNT(*) AS n FROM bulk_loads').get()).toEqual({ n: 0 });
          expect(after.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name = 'traces_v3__traces_by_start'").get()).toBeDefined();
        } finally {
          after.close();
        }
      } finally {
        await third.stop();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 300_000);
});
