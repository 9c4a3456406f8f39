import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { EventTypes, otlpLogRecordData, otlpSpanData } from '@temps/domain';
import { repoRoot } from './temps-server';

/** Looking at a running `temps serve` from outside: its event store file, its CLI, its memory. */

export interface StoredEvent {
  position: number;
  id: string;
  stream: string;
  revision: number;
  type: string;
  /** As stored: spans and log records with attribute maps from event schema version 2 on. */
  data: any;
  /** The data as the OTLP/JSON it was received as (otlpSpanData, otlpLogRecordData; other events: as stored). */
  otlp: any;
  metadata: any;
}

/**
 * Events in `<dataDir>/events.db`, in commit order, optionally only one stream / stream prefix /
 * type. Opens the SQLite file (WAL) next to the server for each call: readers never block it.
 */
export function readEvents(dataDir: string, where: { stream?: string; streamPrefix?: string; type?: string } = {}): StoredEvent[] {
  const db = new DatabaseSync(join(dataDir, 'events.db'), { readOnly: true, timeout: 5_000 });
  try {
    const clauses: string[] = [];
    const params: string[] = [];
    if (where.stream !== undefined) (clauses.push('stream = ?'), params.push(where.stream));
    if (where.streamPrefix !== undefined) (clauses.push('substr(stream, 1, ?) = ?'), params.push(String(where.streamPrefix.length), where.streamPrefix));
    if (where.type !== undefined) (clauses.push('type = ?'), params.push(where.type));
    const sql = `SELECT position, id, stream, revision, type, data, metadata FROM events${clauses.length ? ` WHERE ${clauses.join(' AND ')}` : ''} ORDER BY position`;
    const rows = db.prepare(sql).all(...params) as { position: number; id: string; stream: string; revision: number; type: string; data: string; metadata: string }[];
    return rows.map((r) => {
      const data = JSON.parse(r.data);
      const otlp = r.type === EventTypes.SpanReceived ? otlpSpanData(data) : r.type === EventTypes.LogRecordReceived ? otlpLogRecordData(data) : data;
      return { ...r, position: Number(r.position), revision: Number(r.revision), data, otlp, metadata: JSON.parse(r.metadata) };
    });
  } finally {
    db.close();
  }
}

/** Number of telemetry events (everything but the `access` stream). */
export function countTelemetryEvents(dataDir: string): number {
  const db = new DatabaseSync(join(dataDir, 'events.db'), { readOnly: true, timeout: 5_000 });
  try {
    return Number((db.prepare("SELECT COUNT(*) AS n FROM events WHERE stream <> 'access'").get() as { n: number }).n);
  } finally {
    db.close();
  }
}

/** How many SpanReceived events each `${traceId}/${spanId}` has in the store. */
export function storedSpanCounts(dataDir: string): Map<string, number> {
  const db = new DatabaseSync(join(dataDir, 'events.db'), { readOnly: true, timeout: 5_000 });
  try {
    const rows = db
      .prepare("SELECT json_extract(data, '$.span.traceId') AS t, json_extract(data, '$.span.spanId') AS s, COUNT(*) AS n FROM events WHERE type = 'SpanReceived' GROUP BY t, s")
      .all() as { t: string; s: string; n: number }[];
    return new Map(rows.map((r) => [`${r.t}/${r.s}`, Number(r.n)]));
  } finally {
    db.close();
  }
}

/** Runs the real CLI (`node bin/temps.js ...`) against a server's data dir. */
export function temps(dataDir: string, args: string[]): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [join(repoRoot, 'bin/temps.js'), ...args], { cwd: repoRoot, env: { ...process.env, TEMPS_DATA_DIR: dataDir }, timeout: 30_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`temps ${args.join(' ')} failed: ${err.message}\n${stdout}\n${stderr}`));
      else resolve({ stdout, stderr });
    });
  });
}

/** Creates an API key with the CLI; returns its secret (stdout) and id (from the stderr notice). */
export async function createApiKey(dataDir: string, name: string, role: 'admin' | 'member' | 'viewer', project?: string): Promise<{ secret: string; keyId: string }> {
  const { stdout, stderr } = await temps(dataDir, ['api-key', '--name', name, '--role', role, ...(project ? ['--project', project] : [])]);
  const keyId = /created API key (\S+)/.exec(stderr)?.[1];
  if (!keyId) throw new Error(`no key id in: ${stderr}`);
  return { secret: stdout.trim(), keyId };
}

/** Creates a deployment token with the CLI; returns its secret. */
export async function createDeploymentToken(dataDir: string, project: string, environment: string, deployment: string): Promise<string> {
  const { stdout } = await temps(dataDir, ['deployment-token', '--project', project, '--environment', environment, '--deployment', deployment]);
  return stdout.trim();
}

/** Resident and peak resident memory of a process (Linux /proc), in bytes. */
export function processMemory(pid: number): { rss: number; peakRss: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
  return { rss: kb('VmRSS'), peakRss: kb('VmHWM') };
}
