import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { buildAgentRequests } from '../support/otlp-bodies';
import { apiSnapshot } from '../support/api-snapshot';
import { temps } from '../support/server-inspect';
import { eventually, getJson, startServer, TEST_API_KEY } from '../support/temps-server';

/**
 * Durability: under sustained load, `kill -9` the server. After a restart on the same data dir,
 * every span that was answered 200 is in the event store exactly once and in the read model, and
 * the read models the projector recovered equal a clean rebuild.
 */
describe('crash: kill -9 under load loses no acknowledged span', () => {
  it('keeps every acked span exactly once in the event store and the read model', async () => {
    const requests = buildAgentRequests(400, 8); // 32 spans per request, 12,800 spans available
    const first = await startServer({ keepData: true });
    const dataDir = first.dataDir;
    const acked: typeof requests = [];
    let sent = 0;
    let stop = false;
    const senders = Array.from({ length: 4 }, async () => {
      while (!stop && sent < requests.length) {
        const req = requests[sent++]!;
        try {
          const res = await fetch(`${first.url}/api/otel/v1/traces`, {
            method: 'POST',
            body: req.body,
            headers: { 'Content-Type': 'application/x-protobuf', Authorization: `Bearer ${TEST_API_KEY}`, 'X-Temps-Project-Id': '1' },
          });
          await res.arrayBuffer();
          if (res.status === 200) acked.push(req);
        } catch {
          // the connection died with the server: not acked, so no promise was made
        }
      }
    });
    // Let load build up, then kill without warning.
    await eventually(async () => (acked.length >= 40 ? true : undefined), 30_000, '40 acked requests');
    first.process.kill('SIGKILL');
    stop = true;
    await Promise.all(senders);
    await first.stop();
    expect(acked.length).toBeGreaterThanOrEqual(40);

    // Event store: each acked span exactly once (read the file directly, the server is dead).
    const eventsDb = join(dataDir, 'events.db');
    expect(existsSync(eventsDb)).toBe(true);
    const db = new DatabaseSync(eventsDb);
    const rows = db.prepare("SELECT json_extract(data, '$.span.traceId') AS t, json_extract(data, '$.span.spanId') AS s, COUNT(*) AS n FROM events WHERE type = 'SpanReceived' GROUP BY t, s").all() as { t: string; s: string; n: number }[];
    db.close();
    const stored = new Map(rows.map((r) => [`${r.t}/${r.s}`, r.n]));
    const ackedSpans = acked.flatMap((r) => r.spans);
    const missing = ackedSpans.filter((k) => !stored.has(k));
    expect(missing).toEqual([]);
    expect([...stored.values()].every((n) => n === 1)).toBe(true);

    // Read model: after restart the projector catches up and every acked trace is complete.
    const second = await startServer({ dataDir });
    try {
      const ackedTraces = [...new Set(acked.flatMap((r) => r.traceIds))];
      // Page through the whole list: every acked trace is there, complete (4 spans, none twice).
      const listAll = async () => {
        const seen = new Map<string, number>();
        let cursor = '';
        do {
          const { body } = await getJson(second, `/api/projects/1/ai/traces?limit=500${cursor ? `&cursor=${cursor}` : ''}`);
          for (const t of body.items) seen.set(t.traceId, t.spanCount);
          cursor = body.nextCursor ?? '';
        } while (cursor);
        return seen;
      };
      const listed = await eventually(
        async () => {
          const seen = await listAll();
          return ackedTraces.every((t) => seen.get(t) === 4) ? seen : undefined;
        },
        60_000,
        'every acked trace to be in the read model with its 4 spans',
      );
      expect(ackedTraces.filter((t) => listed.get(t) !== 4)).toEqual([]);
      for (const traceId of ackedTraces.slice(-20)) {
        const { status, body } = await getJson(second, `/api/projects/1/ai/traces/${traceId}`);
        expect(status).toBe(200);
        expect(new Set(body.spans.map((s: { spanId: string }) => s.spanId)).size).toBe(4);
      }

      // The projector died mid-batch with the server: the read models it finished after the restart
      // (traces, usage, sessions, mapping report) equal a clean rebuild from the log.
      const caughtUp = await eventually(async () => {
        const { stdout } = await temps(dataDir, ['projections', 'status']);
        return /\scaught up$/m.test(stdout) ? stdout : undefined;
      }, 60_000, 'the projector to catch up with the log');
      expect(caughtUp).toMatch(/^traces\s+3\s+traces_v3\s/m);
      const recovered = await apiSnapshot(second);
      expect(recovered.usage.totals.calls).toBeGreaterThan(0);
      const { stdout } = await temps(dataDir, ['projections', 'rebuild', 'traces']);
      expect(stdout).toMatch(/now serves/);
      expect(await apiSnapshot(second)).toEqual(recovered);
    } finally {
      await second.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 120_000);
});
