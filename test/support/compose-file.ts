import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { repoRoot, TEST_API_KEY } from './temps-server';

// js-yaml is a devDependency (jest brings it too): the compose file is read by a real YAML parser, merge keys included.
const { safeLoad } = require('js-yaml') as { safeLoad(text: string): unknown };

export type ComposeService = {
  image?: string;
  build?: unknown;
  command?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }> | string[];
  healthcheck?: { test: string[]; interval?: string };
  ports?: string[];
  volumes?: string[];
  deploy?: { replicas?: number };
  stop_grace_period?: string;
};
export type ComposeFile = { services: Record<string, ComposeService>; volumes: Record<string, unknown> };

/** docker-compose.yml as `docker compose` reads it (before interpolation). */
export function loadCompose(): ComposeFile {
  return safeLoad(readFileSync(join(repoRoot, 'docker-compose.yml'), 'utf8')) as ComposeFile;
}

/** The services built from this repository's Dockerfile: the temps roles. */
export function tempsServices(compose: ComposeFile): string[] {
  return Object.entries(compose.services)
    .filter(([, s]) => s.build === '.')
    .map(([name]) => name);
}

/**
 * Compose's interpolation of one value: `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?error}`,
 * `${VAR?error}`, `${VAR:+alt}` and `$$` (not nested: this repository's compose file nests none), from `vars` (what the shell that runs `docker compose up` exports).
 */
export function interpolate(value: string, vars: Record<string, string | undefined>): string {
  return value.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?)([-?+])((?:[^}])*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (whole, braced, colon, op, arg, bare) => {
    if (whole === '$$') return '$';
    const name = (braced ?? bare) as string;
    const v = vars[name];
    const unset = v === undefined || (colon === ':' && v === '');
    if (op === '-') return unset ? arg : v!;
    if (op === '+') return unset ? '' : arg;
    if (op === '?') {
      if (unset) throw new Error(`compose would refuse to start: ${name}: ${arg}`);
      return v!;
    }
    return v ?? '';
  });
}

/** A service's environment after interpolation. */
export function serviceEnv(service: ComposeService, vars: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(service.environment ?? {}).map(([k, v]) => [k, interpolate(String(v), vars)]));
}

/** The Dockerfile's instructions of its last stage (the image that runs), with line continuations joined. */
export function dockerfileInstructions(): { stages: { from: string; lines: { op: string; args: string }[] }[] } {
  const text = readFileSync(join(repoRoot, 'Dockerfile'), 'utf8').replace(/\\\n/g, ' ');
  const stages: { from: string; lines: { op: string; args: string }[] }[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const m = /^([A-Z]+)\s+(.*)$/.exec(line);
    if (!m) throw new Error(`Dockerfile line not understood: ${line}`);
    if (m[1] === 'FROM') stages.push({ from: m[2]!, lines: [] });
    else stages.at(-1)!.lines.push({ op: m[1]!, args: m[2]! });
  }
  return { stages };
}

/** The runtime image's ENV (KEY=VALUE pairs; values without spaces, as this Dockerfile writes them). */
export function dockerfileEnv(): Record<string, string> {
  const last = dockerfileInstructions().stages.at(-1)!;
  return Object.fromEntries(
    last.lines
      .filter((l) => l.op === 'ENV')
      .flatMap((l) => l.args.split(/\s+/))
      .map((pair) => {
        const i = pair.indexOf('=');
        return [pair.slice(0, i), pair.slice(i + 1)];
      }),
  );
}

/** What `docker compose up` is told in the shell (compose refuses to start without them). */
export const COMPOSE_VARS = {
  TEMPS_BOOTSTRAP_API_KEY: TEST_API_KEY,
  TEMPS_SECRETS_KEY: '5f'.repeat(32),
};

/**
 * A temps service's environment as its container has it (the image's ENV, then the service's), for a
 * process on this machine: the stores swapped for local ones (no KurrentDB or MongoDB here: the embedded SQLite
 * event store on `dataDir`, shared by every process as the one event store is; the read store on `mongoUrl`
 * when given, FerretDB here, else SQLite), and its own address (`host`, `port`) instead of 0.0.0.0:8080.
 * `swapped`: the keys whose values were changed or dropped for that.
 */
export function localServiceEnv(service: ComposeService, local: { dataDir: string; host: string; port: number; mongoUrl?: string }) {
  const composed = { ...dockerfileEnv(), ...serviceEnv(service, COMPOSE_VARS) };
  const env: Record<string, string> = { ...composed, TEMPS_DATA_DIR: local.dataDir, HOST: local.host, PORT: String(local.port) };
  env.TEMPS_EVENT_STORE = 'sqlite';
  delete env.EVENTSTORE_URL;
  // Several processes on one SQLite log on a loaded 2-core host: appends may wait for the writer lock beyond 2 s.
  env.TEMPS_EVENT_STORE_WRITE_TIMEOUT_MS = '15000';
  if (local.mongoUrl) {
    env.TEMPS_READ_STORE = 'mongo';
    env.MONGO_URL = local.mongoUrl;
  } else {
    env.TEMPS_READ_STORE = 'sqlite';
    delete env.MONGO_URL;
  }
  const swapped = new Set(['TEMPS_DATA_DIR', 'HOST', 'PORT', 'TEMPS_EVENT_STORE', 'EVENTSTORE_URL', 'TEMPS_EVENT_STORE_WRITE_TIMEOUT_MS', 'TEMPS_READ_STORE', 'MONGO_URL']);
  return { composed, env, swapped };
}

/**
 * Runs a compose/Dockerfile health check's command (`CMD` argv or `CMD-SHELL` line) on this machine, with
 * the container's address `from` (e.g. 127.0.0.1:8080) replaced by where the process listens here; `node` is
 * the Node 24 running the tests (the image's is node:24). Resolves with the exit code.
 */
export function runHealthcheck(test: string[], from: string, to: string, env: Record<string, string> = {}): Promise<{ code: number | null; output: string }> {
  const kind = test[0];
  const args = test.slice(1).map((a) => a.replaceAll(from, to));
  const [cmd, ...rest] = kind === 'CMD-SHELL' ? ['sh', '-c', args.join(' ')] : args;
  return new Promise((resolve, reject) => {
    const child = spawn(cmd!, rest, { env: { ...process.env, ...env, PATH: `${dirname(process.execPath)}:${process.env.PATH}` }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000); // the checks' own timeout is 5 s
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}
