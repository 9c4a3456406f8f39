import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { LiveUpdate, LiveUpdateBatch, LiveUpdateChannel } from '@temps/realtime';

const TABLE = 'live_updates';

interface Row {
  id: number;
  origin: string;
  at: number;
  body: string;
}

/**
 * A row as a batch whose updates are parsed when first read: a process's tail skips the batches it
 * published itself (its own projector thread's commits, one per projection batch while ingest is busy)
 * without parsing them on the ingest thread.
 */
function batchOf(r: Row): LiveUpdateBatch {
  let updates: LiveUpdate[] | undefined;
  return {
    cursor: r.id,
    origin: r.origin,
    at: r.at,
    get updates() {
      return (updates ??= JSON.parse(r.body) as LiveUpdate[]);
    },
  };
}

/**
 * The live update outbox (the port is in @temps/realtime) as a table of the read store's SQLite file, on a connection of its own. The id
 * is AUTOINCREMENT: writes to the file are serialized, so ids become visible in order and are never
 * reused after a prune. A tail first asks PRAGMA data_version (has any other connection committed since?)
 * and reads the table only then, so an idle poll costs next to nothing.
 */
export class SqliteLiveUpdateChannel implements LiveUpdateChannel {
  private readonly insert;
  private readonly after;
  private readonly dataVersion;
  private lastDataVersion = -1;
  private lastRead: LiveUpdateBatch[] | null = null;
  private lastReadCursor = -1;

  private constructor(private readonly db: DatabaseSync) {
    this.insert = db.prepare(`INSERT INTO ${TABLE} (origin, at, body) VALUES (?, ?, ?)`);
    this.after = db.prepare(`SELECT id, origin, at, body FROM ${TABLE} WHERE id > ? ORDER BY id LIMIT ?`);
    this.dataVersion = db.prepare('PRAGMA data_version'); // asked on every poll (25 ms)
  }

  static open(path: string): SqliteLiveUpdateChannel {
    mkdirSync(dirname(path), { recursive: true });
    const db = new DatabaseSync(path);
    try {
      db.exec(`
        PRAGMA busy_timeout = 5000;
        PRAGMA journal_mode = WAL;
        CREATE TABLE IF NOT EXISTS ${TABLE} (id INTEGER PRIMARY KEY AUTOINCREMENT, origin TEXT NOT NULL, at INTEGER NOT NULL, body TEXT NOT NULL);
      `);
    } catch (err) {
      db.close();
      throw err;
    }
    return new SqliteLiveUpdateChannel(db);
  }

  publish(origin: string, updates: LiveUpdate[]): Promise<void> {
    this.insert.run(origin, Date.now(), JSON.stringify(updates));
    this.lastRead = null; // this connection's own commits do not change its data_version
    return Promise.resolve();
  }

  head(): Promise<number> {
    const row = this.db.prepare(`SELECT max(id) AS id FROM ${TABLE}`).get() as { id: number | null };
    return Promise.resolve(row.id ?? 0);
  }

  readAfter(cursor: number, limit: number): Promise<LiveUpdateBatch[]> {
    // Nothing committed by another connection since the last read of the same cursor: the answer is the same.
    const version = (this.dataVersion.get() as { data_version: number }).data_version;
    if (version === this.lastDataVersion && cursor === this.lastReadCursor && this.lastRead?.length === 0) return Promise.resolve([]);
    const rows = this.after.all(cursor, limit) as unknown as Row[];
    const batches = rows.map(batchOf);
    this.lastDataVersion = version;
    this.lastReadCursor = cursor;
    this.lastRead = batches;
    return Promise.resolve(batches);
  }

  prune(limits: { maxAgeMs: number; keep: number }): Promise<number> {
    const head = (this.db.prepare(`SELECT max(id) AS id FROM ${TABLE}`).get() as { id: number | null }).id ?? 0;
    // The head stays however old it is (as on MongoDB, where the publisher continues the sequence from it).
    const result = this.db.prepare(`DELETE FROM ${TABLE} WHERE id < ? AND (id <= ? OR at < ?)`).run(head, head - limits.keep, Date.now() - limits.maxAgeMs);
    return Promise.resolve(Number(result.changes));
  }

  close(): Promise<void> {
    if (this.db.isOpen) this.db.close();
    return Promise.resolve();
  }
}
