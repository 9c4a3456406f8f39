import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MongoClient } from 'mongodb';
import { io, type Socket } from 'socket.io-client';
import { hexId, str, traceRequestJson } from '../support/otlp-raw';
import { describeMongoMissing } from '../support/mongo-database';
import { createApiKey, temps } from '../support/server-inspect';
import { eventually, startServer, type RunningServer } from '../support/temps-server';

const TRACES = 50;

const percentile = (values: number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
};

const mongoUrl = process.env.MONGO_URL;
/** The read stores the channel lives in: the SQLite file always; MongoDB (FerretDB here) when MONGO_URL is set. */
/** Each case: its name, and how it sets up its store; `boundMs`: a loose bound on p99 from the ack on the loaded shared host. */
type ReadStoreCase = () => { env: Record<string, string>; drop(): Promise<void>; boundMs: number; hopBoundMs: number };
const readStores: [string, ReadStoreCase][] = [
  ['read store on SQLite (the outbox is a table of read.db)', () => ({ env: {}, drop: async () => undefined, boundMs: 1000, hopBoundMs: 250 })],
  ...(mongoUrl
    ? [
        [
          'read store on MongoDB (MONGO_URL; the outbox is a collection)',
          () => {
            const database = `temps_fanout_${randomBytes(4).toString('hex')}`;
            const u = new URL(mongoUrl);
            u.pathname = `/${database}`;
            return {
              // FerretDB's commits (the projector's, not the outbox's) take most of the time here
              boundMs: 5000,
              // each poll of the outbox is two _id lookups (FerretDB pushes down only _id equality: a range was a scan
              // of the outbox, and the publisher's prune, a scan too, used to hold up the next publish)
              hopBoundMs: 1000,
              env: { TEMPS_READ_STORE: 'mongo', MONGO_URL: u.toString() },
              async drop() {
                const admin = new MongoClient(mongoUrl);
                await admin.db(database).dropDatabase().catch(() => undefined);
                await admin.close();
              },
            };
          },
        ] as [string, ReadStoreCase],
      ]
    : []),
];

if (!mongoUrl) describeMongoMissing('live updates reach every API instance (two processes, one data dir, one projector): read store on MongoDB', ['a socket on each instance gets trace.updated for traces sent to either, exactly once each; p99 from the ack is measured']);

/**
 * Two `temps serve` processes on one data dir: A projects (TEMPS_ROLE=all), B does not (TEMPS_PROJECTOR=off,
 * what the `api` role is). A real socket.io client on each hears trace.updated for traces sent to either,
 * once each, through the shared channel in the read store (B never projects, so everything B's sockets get
 * came from A's projector through the outbox); rooms and per-socket authorization hold on B as on A.
 */
describe.each(readStores)('live updates reach every API instance (two processes, one data dir, one projector): %s', (_name, store) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'temps-fanout-'));
  const { env, drop, boundMs, hopBoundMs } = store();
  let a: RunningServer;
  let b: RunningServer;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    // A's projector looks for B's appends every 50 ms (default 250: most of the ack-to-event time of a trace sent to B).
    // One after the other: two processes creating a fresh read.db at the same instant can trip on its lock
    // (SqliteTraceReadStore sets its busy timeout after journal_mode).
    a = await startServer({ dataDir, env: { ...env, TEMPS_PROJECTOR_IDLE_POLL_MS: '50' } });
    b = await startServer({ dataDir, env: { ...env, TEMPS_PROJECTOR: 'off' } });
    await temps(dataDir, ['project', 'create', '--id', '2', '--name', 'other']);
  }, 90_000);
  afterAll(async () => {
    for (const s of sockets) s.close();
    await Promise.all([a?.stop(), b?.stop()]);
    await drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  function connect(server: RunningServer, token: string, projectId: string): Promise<Socket> {
    const socket = io(server.url, { auth: { token, projectId }, transports: ['websocket'], reconnection: false });
    sockets.push(socket);
    return new Promise((resolve, reject) => (socket.once('connect', () => resolve(socket)), socket.once('connect_error', reject)));
  }

  /** Every trace.updated a socket gets: trace id -> arrival times (performance.now()). */
  function record(socket: Socket): Map<string, number[]> {
    const seen = new Map<string, number[]>();
    socket.on('trace.updated', (item: { traceId: string }) => seen.set(item.traceId, [...(seen.get(item.traceId) ?? []), performance.now()]));
    return seen;
  }

  /** One single-span trace, posted raw; resolves with its id and the moment the 200 came back. */
  async function send(server: RunningServer, projectId: string): Promise<{ traceId: string; ackedAt: number }> {
    const traceId = hexId(16);
    const res = await fetch(`${server.url}/api/otel/v1/traces`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${server.apiKey}`, 'X-Temps-Project-Id': projectId, 'Content-Type': 'application/json' },
      body: traceRequestJson([{ traceId, spanId: hexId(8), name: 'chat gpt-4o', attributes: [str('gen_ai.operation.name', 'chat'), str('gen_ai.system', 'openai'), str('gen_ai.request.model', 'gpt-4o')] }], 'fanout-e2e'),
    });
    const ackedAt = performance.now();
    expect(res.status).toBe(200);
    return { traceId, ackedAt };
  }

  it('a socket on each instance gets trace.updated for traces sent to either, exactly once each; p99 from the ack is measured', async () => {
    const onA = record(await connect(a, a.apiKey, '1'));
    const onB = record(await connect(b, b.apiKey, '1'));
    const sent: { traceId: string; ackedAt: number; to: 'A' | 'B' }[] = [];
    for (let i = 0; i < TRACES; i++) {
      const to = i % 2 === 0 ? 'A' : 'B';
      const s = await send(to === 'A' ? a : b, '1');
      sent.push({ ...s, to });
      await eventually(async () => (onA.has(s.traceId) && onB.has(s.traceId) ? true : undefined), 15_000, `trace ${i} (sent to ${to}) on both sockets`);
    }
    await new Promise((r) => setTimeout(r, 500)); // a duplicate would have arrived by now

    const latency = { A: { onA: [] as number[], onB: [] as number[] }, B: { onA: [] as number[], onB: [] as number[] } };
    for (const s of sent) {
      expect([s.traceId, onA.get(s.traceId)?.length]).toEqual([s.traceId, 1]);
      expect([s.traceId, onB.get(s.traceId)?.length]).toEqual([s.traceId, 1]);
      latency[s.to].onA.push(onA.get(s.traceId)![0]! - s.ackedAt);
      latency[s.to].onB.push(onB.get(s.traceId)![0]! - s.ackedAt);
    }
    expect(onA.size).toBe(TRACES);
    expect(onB.size).toBe(TRACES);
    const all = { onA: [...latency.A.onA, ...latency.B.onA], onB: [...latency.A.onB, ...latency.B.onB] };
    const figures = Object.fromEntries(
      Object.entries({ 'sent to A (projects), heard on A': latency.A.onA, 'sent to A, heard on B': latency.A.onB, 'sent to B, heard on A': latency.B.onA, 'sent to B, heard on B': latency.B.onB, 'all, heard on A': all.onA, 'all, heard on B': all.onB }).map(([k, v]) => [k, { p50: Math.round(percentile(v, 50)), p99: Math.round(percentile(v, 99)), max: Math.round(Math.max(...v)) }]),
    );
    // The channel's own share: a commit of A's projector reaches B's socket soon after A's own (the goal is p99 < 250 ms from the ack;
    // the loaded shared host gets a margin here, the figures above are what was measured).
    const extra = latency.A.onB.map((v, i) => v - latency.A.onA[i]!);
    const hop = { p50: Math.round(percentile(extra, 50)), p99: Math.round(percentile(extra, 99)), max: Math.round(Math.max(...extra)) };
    console.log(`${_name}: live update latency from the 200 ack, ms (${TRACES} traces, half to each instance):\n${JSON.stringify({ ...figures, 'the outbox hop (sent to A: heard on B minus heard on A)': hop }, null, 2)}`);
    expect(percentile(extra, 99)).toBeLessThan(hopBoundMs);
    expect(percentile(all.onB, 99)).toBeLessThan(boundMs);
  }, 180_000);

  it('nothing leaks across projects: a project 2 socket on B hears project 2 only, project 1 sockets do not hear it', async () => {
    const p1 = record(await connect(b, b.apiKey, '1'));
    const p2 = record(await connect(b, b.apiKey, '2'));
    const one = await send(a, '1');
    const two = await send(a, '2');
    await eventually(async () => (p1.has(one.traceId) && p2.has(two.traceId) ? true : undefined), 15_000, 'both projects\' traces on B');
    await new Promise((r) => setTimeout(r, 300));
    expect([...p1.keys()]).toEqual([one.traceId]);
    expect([...p2.keys()]).toEqual([two.traceId]);
    // A key of project 1 only is refused for project 2 on B, as on A.
    const member = await createApiKey(dataDir, 'p1 member', 'member', '1');
    await expect(connect(b, member.secret, '2')).rejects.toThrow(/unauthorized/);
  }, 60_000);

  it('a key revoked by the CLI drops its socket on B (which does not project) within a second, and it hears nothing more', async () => {
    const viewer = await createApiKey(dataDir, 'b viewer', 'viewer', '1');
    const socket = await connect(b, viewer.secret, '1');
    const seen = record(socket);
    const before = await send(a, '1');
    await eventually(async () => (seen.has(before.traceId) ? true : undefined), 15_000, 'trace.updated before the revocation');
    let disconnectedAt = 0;
    socket.on('disconnect', () => (disconnectedAt = Date.now()));
    await temps(dataDir, ['api-key', 'revoke', viewer.keyId]);
    const revokedAt = Date.now();
    await eventually(async () => (disconnectedAt ? true : undefined), 5_000, 'the revoked socket to be disconnected');
    expect(disconnectedAt - revokedAt).toBeLessThan(1_000);
    const control = record(await connect(b, b.apiKey, '1'));
    const after = await send(a, '1');
    await eventually(async () => (control.has(after.traceId) ? true : undefined), 15_000, 'trace.updated on the control socket');
    expect(seen.has(after.traceId)).toBe(false);
  }, 60_000);

  it('B says it does not project; A does', () => {
    expect(b.output()).toContain('projection off (TEMPS_PROJECTOR=off)');
    expect(a.output()).not.toContain('projection off');
  });
});
