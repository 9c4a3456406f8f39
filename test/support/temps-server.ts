import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const repoRoot = resolve(__dirname, '../..');
export const TEST_API_KEY = 'tk_test_0123456789abcdefghijklmnopqrstuv';

export interface RunningServer {
  url: string;
  port: number;
  apiKey: string;
  projectId: string;
  dataDir: string;
  process: ChildProcess;
  output: () => string;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * Starts the real built server (`node bin/temps.js serve`, as `npm start` does) on a free port with
 * a fresh data dir. `npm test` builds first (pretest); run `npm run build` before running jest directly.
 */
export async function startServer(options: { dataDir?: string; env?: Record<string, string>; keepData?: boolean } = {}): Promise<RunningServer> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'temps-test-'));
  const child = spawn(process.execPath, [join(repoRoot, 'bin/temps.js'), 'serve'], {
    cwd: repoRoot,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', TEMPS_DATA_DIR: dataDir, TEMPS_BOOTSTRAP_API_KEY: TEST_API_KEY, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolveExit) => child.once('exit', () => resolveExit()));

  const started = Date.now();
  const port = await new Promise<number>((resolvePort, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start within 30 s (${cpuSeconds(child.pid)} of CPU used; load average ${loadavg()[0]!.toFixed(1)}):\n${out}`)), 30_000);
    const check = () => {
      const m = /listening on http:\/\/localhost:(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolvePort(Number(m[1]));
      }
    };
    child.stdout!.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before listening (after ${Date.now() - started} ms):\n${out}`));
    });
  }).catch(async (err: unknown) => {
    // The caller gets no handle to stop it: a server left running would load the machine for every later test.
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
    if (!options.keepData && !options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    throw err;
  });

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    apiKey: TEST_API_KEY,
    projectId: '1',
    dataDir,
    process: child,
    output: () => out,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
      if (!options.keepData && !options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** CPU time (user + system, all threads) a process has used so far, from /proc, as "1.7 s". */
function cpuSeconds(pid: number | undefined): string {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return `${((Number(fields[11]) + Number(fields[12])) / 100).toFixed(1)} s`;
  } catch {
    return 'unknown';
  }
}

/** GET a JSON API path with the key; returns status and parsed body. */
export async function getJson(server: Pick<RunningServer, 'url' | 'apiKey'>, path: string, apiKey = server.apiKey): Promise<{ status: number; body: any }> {
  const res = await fetch(`${server.url}${path}`, { headers: { Authorization: `Bearer ${apiKey}` } });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.status, body };
}

/** Polls until `check` returns a value (not undefined); projections are asynchronous by design. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 15_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Waits until the projector has applied every event in the log (GET /api/projections: lagEvents 0). Call it after
 * the sends were acknowledged and before asserting on what the query API or a page shows, so that a timeout says
 * the projection fell short (with its lag), not that the page or the data did.
 */
export async function projectorCaughtUp(server: Pick<RunningServer, 'url' | 'apiKey'>, timeoutMs = 60_000): Promise<void> {
  let lag: unknown;
  await eventually(async () => {
    const { status, body } = await getJson(server, '/api/projections');
    const item = body.items?.[0];
    lag = item ? { lagEvents: item.lagEvents, position: item.position, head: item.head, state: item.state } : { status, body };
    return item?.lagEvents === 0 ? true : undefined;
  }, timeoutMs, 'the projector to catch up').catch((err: unknown) => {
    throw new Error(`${(err as Error).message}: ${JSON.stringify(lag)}`);
  });
}
