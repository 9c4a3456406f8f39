import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { MongoClient } from 'mongodb';
import { sendAgentTrace } from '../support/send-spans';
import { eventually, getJson, startServer, type RunningServer } from '../support/temps-server';

/**
 * `temps serve` with TEMPS_READ_STORE=mongo against a real MongoDB-wire server (CI: FerretDB from
 * scripts/ferretdb.mjs; locally: `eval "$(node scripts/ferretdb.mjs start)"`). Each run uses its own database.
 */
const mongoUrl = process.env.MONGO_URL;

/** The server's URL with this run's own database as its path (the default database temps uses). */
function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

if (!mongoUrl) {
  if (process.env.TEMPS_REQUIRE_MONGO === '1') {
    describe('temps serve on the MongoDB read store', () => {
      it('needs MONGO_URL (TEMPS_REQUIRE_MONGO=1)', () => {
        throw new Error('TEMPS_REQUIRE_MONGO=1 but MONGO_URL is not set: eval "$(node scripts/ferretdb.mjs start)"');
      });
    });
  } else {
    describe.skip('temps serve on the MongoDB read store (skipped: MONGO_URL not set)', () => {
      it('ingests a trace through the real OTel exporter and reads it back from MongoDB', () => undefined);
    });
  }
} else {
  describe('temps serve on the MongoDB read store (TEMPS_READ_STORE=mongo)', () => {
    const database = `temps_e2e_${randomBytes(4).toString('hex')}`;
    const admin = new MongoClient(mongoUrl);
    let server: RunningServer;

    beforeAll(async () => {
      server = await startServer({ env: { TEMPS_READ_STORE: 'mongo', MONGO_URL: withDatabase(mongoUrl, database) } });
    });
    afterAll(async () => {
      await server?.stop();
      await admin.db(database).dropDatabase().catch(() => undefined);
      await admin.close();
    });

    it('ingests the agent trace through the real OTel exporter and reads it back through the query API, from MongoDB', async () => {
      const { traceId, rootSpanId } = await sendAgentTrace(server.url, server.apiKey, '1');
      const item = await eventually(async () => {
        const { body } = await getJson(server, '/api/projects/1/ai/traces');
        return body.items?.find((t: any) => t.traceId === traceId && t.spanCount === 4);
      }, 20_000, `trace ${traceId} in the list`);
      expect(item).toMatchObject({ rootSpanName: 'invoke_agent research-assistant', status: 'ok', providers: ['openai'], inputTokens: 560, outputTokens: 128 });

      const { status, body } = await getJson(server, `/api/projects/1/ai/traces/${traceId}`);
      expect(status).toBe(200);
      expect(body.spans).toHaveLength(4);
      expect(body.spans.find((s: any) => s.spanId === rootSpanId)).toMatchObject({ parentSpanId: null, kind: 'agent' });

      // The read models live in MongoDB, not in a read.db beside the events.
      expect(existsSync(join(server.dataDir, 'read.db'))).toBe(false);
      expect(existsSync(join(server.dataDir, 'events.db'))).toBe(true);
      const collections = await admin.db(database).listCollections({}, { nameOnly: true }).toArray();
      const counts = await Promise.all(collections.map((c) => admin.db(database).collection(c.name).countDocuments()));
      expect(counts.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
      expect(server.output()).toContain(`MongoDB ${withDatabase(mongoUrl, database)}`);
    });

    it('answers /healthz', async () => {
      const res = await fetch(`${server.url}/healthz`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ status: 'ok', role: 'all' });
    });
  });
}
