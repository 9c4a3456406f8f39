import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EventStore, RecordedEvent } from '@temps/event-store';
import { ProjectionRunner } from '@temps/projection-runtime';
import { SqliteTraceReadStore } from '@temps/read-store/sqlite';
import { TraceProjectionHandler } from '../../apps/projector/src/trace-projection.handler';
import { readModel } from './read-model-snapshot';

/** Every event of the store's log, paged. */
export async function readWholeLog(events: EventStore, pageSize = 100): Promise<RecordedEvent[]> {
  const out: RecordedEvent[] = [];
  for (;;) {
    const page = await events.readAll({ ...(out.length > 0 ? { after: out[out.length - 1]!.position } : {}), limit: pageSize });
    if (page.length === 0) return out;
    out.push(...page);
  }
}

/**
 * A clean build of the trace projection from the store's whole log: the real runtime (ProjectionRunner),
 * the real trace handler, a fresh SQLite read store, in small batches. The read model comes back with
 * each event position replaced by the event's stream and revision, so that two stores holding the same
 * events at other positions (a server's positions are its own) give equal models.
 */
export async function traceReadModelOf(events: EventStore, options: { batchSize?: number } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'temps-rebuild-'));
  const reads = SqliteTraceReadStore.open(join(dir, 'read.db'));
  const runner = new ProjectionRunner(events, new TraceProjectionHandler(reads, events, () => undefined), { batchSize: options.batchSize ?? 5 });
  try {
    await runner.start();
    await runner.whenCaughtUp(20_000);
    const model = await readModel(reads);
    const where = new Map((await readWholeLog(events)).map((e) => [e.position.toString(), `${e.stream}@${e.revision}`]));
    return renamePositions(model, where);
  } finally {
    await runner.stop();
    await reads.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const POSITION_KEYS = new Set(['position', 'updatedPosition']);

function renamePositions<T>(value: T, where: Map<string, string>): T {
  if (Array.isArray(value)) return value.map((v) => renamePositions(v, where)) as T;
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [k, POSITION_KEYS.has(k) && (typeof v === 'string' || typeof v === 'bigint') ? (where.get(v.toString()) ?? `unknown position ${String(v)}`) : renamePositions(v, where)]),
  ) as T;
}
