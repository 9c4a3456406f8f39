// Starts `temps serve` (bin/temps.js, as built) for a bench: port 0 on 127.0.0.1, a fresh data dir, the bench's
// bootstrap API key; resolves once the server prints where it listens.
import { spawn } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..');

/** Node flags for the server process from BENCH_SERVER_NODE_ARGS (e.g. `--cpu-prof`), space-separated. */
export const benchServerNodeArgs = () => (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean);

export function startTempsServer({ dataDir, apiKey, env = {}, nodeArgs = [] }) {
  const child = spawn(process.execPath, [...nodeArgs, join(root, 'bin/temps.js'), 'serve'], {
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', TEMPS_DATA_DIR: dataDir, TEMPS_BOOTSTRAP_API_KEY: apiKey, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    const copy = process.env.BENCH_SERVER_STDOUT;
    child.stdout.on('data', (d) => {
      if (copy) appendFileSync(copy, d);
      out += d;
      const m = /listening on http:\/\/localhost:(\d+)/.exec(out);
      if (m) resolve({ child, url: `http://127.0.0.1:${m[1]}` });
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}: ${out}`)));
  });
}
