import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EVENT_SCHEMA_VERSION, rollupUsage, traceOf, usageRowIdPrefix, type IngestMetadata } from '@temps/domain';
import type { RecordedEvent } from '@temps/event-store';
import { SqliteEventStore } from '@temps/event-store/sqlite';
import { DEFAULT_DECODE_LIMITS } from '@temps/otlp';
import type { TraceReadStore } from '@temps/read-store';
import { MongoTraceReadStore, type MongoCommitStep } from '@temps/read-store/mongo';
import { SIGNAL_CODECS } from '../../apps/ingest/src/otlp-signals';
import { TraceProjectionHandler } from '../../apps/projector/src/trace-projection.handler';
import { readRecordedFixtures } from '../support/recorded-fixtures';
import { hex, traceWrite } from '../support/span-events';

/**
 * The trace projection on a real MongoDB-wire server (FerretDB v1: no transactions) through the real
 * handler: a crash in the middle of a commit, then a new process replaying from its checkpoint in other
 * batch boundaries, ends with the same counters, sessions and traces as a clean build.
 */
const url = process.env.MONGO_URL;

if (!url) {
  describe('trace projection on MongoDB: crash and replay (skipped: MONGO_URL not set)', () => {
    it.skip('needs MONGO_URL (eval "$(node scripts/ferretdb.mjs start)")', () => undefined);
  });
} else {
  describe('trace projection on MongoDB (FerretDB: no transactions): crash and replay', () => {
    const database = process.env.MONGO_DATABASE ?? 'temps_test';
    const prefix = `r${randomBytes(4).toString('hex')}_`;
    let dir: string;
    let events: SqliteEventStore;
    let log: RecordedEvent[];

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'temps-mongo-replay-'));
      events = SqliteEventStore.open(join(dir, 'events.db'));
      // Agent traces in conversations, several models; some traces re-sent later with other usage (their counters move).
      for (let i = 1; i <= 8; i++) await events.appendMany([traceWrite(hex(i), 3, { model: i % 2 ? 'gpt-4o' : 'gpt-4o-mini', conversationId: i % 3 ? `conv-${i % 3}` : undefined, startMs: 1_780_000_000_000 + i * 60_000 })]);
      for (const i of [2, 5]) await events.appendMany([traceWrite(hex(i), 3, { model: 'gpt-4o', conversationId: 'conv-9', inputTokensPlus: 40, resend: 1, startMs: 1_780_000_000_000 + i * 60_000 })]);
      // One API response traced twice (recorded from the real clients): usage counts it once.
      const twice = readRecordedFixtures().find((s) => s.client === 'otel-instrumentation-anthropic-py' && s.scenario === 'seed-capture-true')!;
      for (const [i, request] of twice.requests.entries()) {
        const codec = SIGNAL_CODECS[request.signal];
        const metadata: IngestMetadata = { projectId: '1', receivedAt: '2026-11-27T00:00:00.000Z', requestId: `recorded-${i}`, encoding: request.encoding, schemaVersion: EVENT_SCHEMA_VERSION };
        for (const item of codec.decode(request.encoding, request.body, DEFAULT_DECODE_LIMITS).items) {
          const { stream, event } = (codec.toEvent as (item: unknown, m: IngestMetadata) => ReturnType<typeof codec.toEvent>)(item, metadata);
          await events.appendMany([{ stream, events: [event] }]);
        }
      }
      log = await events.readAll({ limit: 10_000 });
    });
    afterAll(async () => {
      await events.close();
      rmSync(dir, { recursive: true, force: true });
      const admin = await MongoTraceReadStore.open(url, { database, collectionPrefix: prefix });
      await admin.drop();
      await admin.close();
    });

    const open = (namespace: string, failpoint?: (step: MongoCommitStep) => void) => MongoTraceReadStore.open(url, { database, collectionPrefix: prefix, namespace, ...(failpoint ? { failpoint } : {}) });
    /** Applies the log after the build's checkpoint in batches of `size`, as a runner would. */
    const project = async (store: TraceReadStore, name: string, size: number) => {
      const handler = new TraceProjectionHandler(store, events, () => undefined, { name });
      const after = await handler.checkpoint();
      for (const batch of chunks(log.filter((e) => after === null || e.position > after), size)) await handler.apply(batch, batch[batch.length - 1]!.position);
    };
    const readModel = async (store: TraceReadStore) => ({
      counters: await store.counterRows({ from: '', to: '\uffff' }),
      sessions: (await store.listSessions('1', { limit: 100 })).items,
      traces: (await store.listTraces('1', { limit: 100 })).items,
    });

    it.each(['spans', 'counters', 'sessions', 'checkpoint'] as MongoCommitStep[])('a crash at %s in the third commit (batches of 7), then a replay in batches of 3, counts like a clean build (batches of 5)', async (step) => {
      const cleanName = `traces_vclean_${step}`;
      const crashName = `traces_vcrash_${step}`;
      const clean = await open(cleanName);
      await project(clean, cleanName, 5);
      const expected = await readModel(clean);
      await clean.close();
      const usage = rollupUsage(expected.counters.filter((r) => r.id.startsWith(usageRowIdPrefix('1'))), { bucket: 'day', groupBy: 'model' }).totals;
      expect(usage.calls).toBe(8 * 2 + 1); // two chat spans per agent trace; the response traced twice counts once
      expect(expected.sessions.map((s) => s.sessionId).sort()).toEqual(['conv-1', 'conv-2', 'conv-9']);

      let commits = 0;
      const crashing = await open(crashName, (at) => {
        if (at === 'journal') commits++;
        if (commits === 3 && at === step) throw new Error(`crash at ${at} (test)`);
      });
      await expect(project(crashing, crashName, 7)).rejects.toThrow(`crash at ${step} (test)`);
      // Mid-commit: the third batch's first trace is stored (for a crash after its spans), the checkpoint is that of the second.
      const third = traceOf(log[14]!)!;
      expect(await crashing.checkpoint(crashName)).toBe(log[13]!.position);
      expect(await crashing.pendingBatchEnd(crashName)).toBe(log[20]!.position); // the recorded plan's end: a runner replays up to there
      if (step !== 'spans') expect(await crashing.getTrace('1', third.traceId)).not.toBeNull();
      await crashing.close();

      const recovered = await open(crashName);
      try {
        await project(recovered, crashName, 3);
        expect(await recovered.checkpoint(crashName)).toBe(log[log.length - 1]!.position);
        expect(await readModel(recovered)).toEqual(expected);
      } finally {
        await recovered.close();
      }
    });
  });
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
