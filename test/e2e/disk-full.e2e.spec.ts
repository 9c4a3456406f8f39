import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, statfsSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hexId, PROTOBUF, postOtlp, RpcCode, str, traceRequest } from '../support/otlp-raw';
import { countTelemetryEvents } from '../support/server-inspect';
import { eventually, getJson, startServer, type RunningServer } from '../support/temps-server';

/**
 * A full disk, for real: the data dir is a small tmpfs (mounting one needs root) filled up with a file
 * until the kernel says ENOSPC, so SQLite meets SQLITE_FULL on its own. Writes answer 503 (exporters
 * retry), /healthz fails with the cause, and the projector's state says "disk full", not the
 * "cannot rollback - no transaction is active" that hid it; once there is room, all of it recovers.
 */

const MiB = 1024 * 1024;
const TRACES = '/api/otel/v1/traces';
const isRoot = process.getuid?.() === 0;

/** One trace of `spans` spans carrying ~60 KiB of text each. */
function bulkyTrace(spans: number): { body: Buffer; traceId: string } {
  const traceId = hexId(16);
  const text = (i: number) => `${i} `.padEnd(60 * 1024, 'lorem ipsum dolor sit amet ');
  const body = traceRequest(
    Array.from({ length: spans }, (_, i) => ({ traceId, spanId: hexId(8), name: `step ${i}`, attributes: [str('app.output', text(i))] })),
    'disk-full-app',
  );
  return { body, traceId };
}

/** Writes zeros to `path` until the file system refuses (ENOSPC). */
function fillUp(path: string): void {
  const fd = openSync(path, 'w');
  try {
    for (const size of [MiB, 4096]) {
      const chunk = Buffer.alloc(size);
      for (;;) {
        try {
          writeSync(fd, chunk);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'ENOSPC') break;
          throw err;
        }
      }
    }
  } finally {
    closeSync(fd);
  }
}

(isRoot ? describe : describe.skip)('with the disk full (a 48 MiB tmpfs filled up: real ENOSPC, SQLITE_FULL; needs root to mount)', () => {
  let dataDir: string;
  let server: RunningServer | undefined;
  const filler = () => join(dataDir, 'filler');
  const headers = () => ({ Authorization: `Bearer ${server!.apiKey}`, 'X-Temps-Project-Id': '1', 'Content-Type': PROTOBUF });
  const start = async (env: Record<string, string> = {}) => (server = await startServer({ dataDir, env }));
  const stop = async () => {
    await server?.stop();
    server = undefined;
  };

  let pending: { body: Buffer; traceId: string };

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'temps-disk-full-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=48m', 'tmpfs', dataDir]);
    // 1. A normal start (both databases made), one trace projected.
    await start();
    const first = bulkyTrace(4);
    expect((await postOtlp(`${server!.url}${TRACES}`, first.body, headers())).status).toBe(200);
    await eventually(async () => ((await getJson(server!, `/api/projects/1/ai/traces/${first.traceId}`)).status === 200 ? true : undefined), 20_000, 'the first trace');
    await stop();
    // 2. Ingest only: a bulky trace is committed to the log but not projected yet.
    await start({ TEMPS_ROLE: 'ingest' });
    pending = bulkyTrace(64); // ~4 MiB of spans: the projector will need room for them
    expect((await postOtlp(`${server!.url}${TRACES}`, pending.body, headers())).status).toBe(200);
    await stop();
    // 3. The disk fills up (leaving a little, so files can still be opened).
    const reserve = join(dataDir, 'reserve');
    const fd = openSync(reserve, 'w');
    writeSync(fd, Buffer.alloc(256 * 1024));
    closeSync(fd);
    fillUp(filler());
    rmSync(reserve);
    const fs = statfsSync(dataDir);
    expect(fs.bavail * fs.bsize).toBeLessThan(1 * MiB);
    await start();
  }, 120_000);

  afterAll(async () => {
    await stop();
    if (dataDir) {
      try {
        execFileSync('umount', ['-l', dataDir]);
      } finally {
        rmSync(dataDir, { recursive: true, force: true });
      }
    }
  });

  it('an export answers 503 + Retry-After with the cause (disk full), stores nothing, and says so again on retry', async () => {
    const { body } = bulkyTrace(16);
    const before = countTelemetryEvents(dataDir);
    for (let attempt = 0; attempt < 2; attempt++) {
      const reply = await postOtlp(`${server!.url}${TRACES}`, body, headers());
      expect(reply.status).toBe(503);
      expect(reply.headers.get('retry-after')).not.toBeNull();
      expect(reply.rpc).toMatchObject({ code: RpcCode.UNAVAILABLE, message: expect.stringMatching(/disk full \(SQLITE_FULL\)/) });
    }
    expect(countTelemetryEvents(dataDir)).toBe(before);
  });

  it('/healthz fails (503) and names the cause', async () => {
    const res = await fetch(`${server!.url}/healthz`);
    expect(res.status).toBe(503);
    const body = await res.json();
    expect(body).toMatchObject({ status: 'unavailable', reason: expect.stringMatching(/disk full/) });
  });

  it('the projector, unable to write the pending trace, reports "disk full" (SQLITE_FULL), not "cannot rollback"', async () => {
    const status = await eventually(async () => {
      const { body } = await getJson(server!, '/api/projections');
      const p = body.items?.[0];
      return p?.state === 'failed' && p.lastError ? p : undefined;
    }, 20_000, 'the projector failing');
    expect(status.lastError).toMatch(/disk full \(SQLITE_FULL\)/);
    expect(status.lastError).not.toMatch(/cannot rollback/);
    expect((await getJson(server!, `/api/projects/1/ai/traces/${pending.traceId}`)).status).toBe(404);
  });

  it('once there is room again: exports are accepted (the retry an exporter makes), /healthz is ok, and the projector catches up with the pending trace', async () => {
    rmSync(filler());
    const { body, traceId } = bulkyTrace(4);
    expect((await postOtlp(`${server!.url}${TRACES}`, body, headers())).status).toBe(200);
    expect((await fetch(`${server!.url}/healthz`)).status).toBe(200);
    for (const id of [pending.traceId, traceId]) {
      await eventually(async () => ((await getJson(server!, `/api/projects/1/ai/traces/${id}`)).status === 200 ? true : undefined), 30_000, `trace ${id} projected`);
    }
    const { body: projections } = await getJson(server!, '/api/projections');
    expect(projections.items[0]).toMatchObject({ lastError: null });
  }, 90_000);
});
