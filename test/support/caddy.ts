import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { connect } from 'node:net';
import { join } from 'node:path';

/**
 * Caddy (Debian's `caddy` package, 2.6) for the deployment tests: `caddy validate` and `caddy adapt` read
 * deploy/Caddyfile as the proxy service would, and `caddy run` serves the adapted config in front of local
 * processes. TEMPS_CADDY points at another binary; TEMPS_REQUIRE_CADDY=1 (CI) makes a missing one a failure.
 */
export const CADDY = process.env.TEMPS_CADDY ?? 'caddy';
export const haveCaddy = spawnSync(CADDY, ['version'], { stdio: 'ignore' }).status === 0;

/** `describe(title, body)` where Caddy is installed (or required), otherwise one skipped test saying why. */
export function describeWithCaddy(title: string, body: () => void): void {
  if (!haveCaddy && process.env.TEMPS_REQUIRE_CADDY !== '1') {
    describe(title, () => {
      it.skip(`skipped: caddy not installed (apt-get install caddy, or set TEMPS_CADDY; TEMPS_REQUIRE_CADDY=1 makes this a failure)`, () => undefined);
    });
  } else {
    describe(title, () => {
      beforeAll(() => {
        if (!haveCaddy) throw new Error(`TEMPS_REQUIRE_CADDY=1 but "${CADDY} version" does not run: apt-get install -y caddy, or point TEMPS_CADDY at one`);
      });
      body();
    });
  }
}

/** `caddy version`'s number, e.g. [2, 6, 2]. */
export function caddyVersion(): number[] {
  const out = spawnSync(CADDY, ['version'], { encoding: 'utf8' }).stdout ?? '';
  return (/v?(\d+)\.(\d+)\.(\d+)/.exec(out) ?? []).slice(1).map(Number);
}

/**
 * Caddy before 2.11.4 (the image docker-compose.yml pins) closes a request's body when the first upstream it
 * tries cannot be dialled, so the retry on another replica sends nothing (502 "invalid Read on closed Body", and
 * the passive health check then marks the healthy replica down): caddyserver/caddy#7546, fixed by PRs 7547 and 7715
 * (2026). On such a Caddy, 2.6's `buffer_requests` stands in for the fix.
 */
export const caddyClosesBodyOnDialRetry = (() => {
  const [major = 0, minor = 0, patch = 0] = haveCaddy ? caddyVersion() : [];
  return major * 1e6 + minor * 1e3 + patch < 2_011_004;
})();

/** Caddy's own state (certificates, autosave) in a temp dir, never the user's. */
function caddyEnv(home: string): NodeJS.ProcessEnv {
  return { ...process.env, HOME: home, XDG_DATA_HOME: join(home, 'data'), XDG_CONFIG_HOME: join(home, 'config') };
}

function caddy(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const home = mkdtempSync(join(tmpdir(), 'temps-caddy-'));
  try {
    const r = spawnSync(CADDY, args, { encoding: 'utf8', env: caddyEnv(home), timeout: 30_000 });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

/** `caddy validate` of a Caddyfile: adapts it and provisions every module, without serving. */
export function caddyValidate(caddyfile: string) {
  return caddy(['validate', '--config', caddyfile, '--adapter', 'caddyfile']);
}

/** `caddy adapt`: the Caddyfile as Caddy's JSON config, exactly what `caddy run` would load. */
export function caddyAdapt(caddyfile: string): CaddyConfig {
  const r = caddy(['adapt', '--config', caddyfile, '--adapter', 'caddyfile']);
  if (r.status !== 0) throw new Error(`caddy adapt ${caddyfile} failed (${r.status}):\n${r.stderr}`);
  return JSON.parse(r.stdout) as CaddyConfig;
}

export type CaddyConfig = { admin?: unknown; apps: { http: { servers: Record<string, { listen: string[]; routes: unknown[] }> } } };

/** Every object in a JSON value, depth first (to find the reverse proxies' dynamic upstreams). */
export function* jsonObjects(value: unknown): Generator<Record<string, any>> {
  if (Array.isArray(value)) for (const v of value) yield* jsonObjects(v);
  else if (value && typeof value === 'object') {
    yield value as Record<string, any>;
    for (const v of Object.values(value)) yield* jsonObjects(v);
  }
}

/**
 * The adapted config with only what differs on one machine changed: the listen address, the upstreams'
 * port, and the resolver that answers the service names (compose's embedded DNS there, a test DNS here).
 * No admin endpoint (it would take :2019, which other processes here may hold).
 */
export function localizeCaddyConfig(config: CaddyConfig, local: { listen: string; upstreamPort: number; resolver: string; bufferRequests?: boolean }): CaddyConfig {
  const copy = JSON.parse(JSON.stringify(config)) as CaddyConfig;
  copy.admin = { disabled: true };
  for (const server of Object.values(copy.apps.http.servers)) server.listen = [local.listen];
  for (const o of jsonObjects(copy.apps.http.servers)) {
    if (o.dynamic_upstreams) {
      o.dynamic_upstreams.port = String(local.upstreamPort);
      o.dynamic_upstreams.resolver = { addresses: [local.resolver] };
      if (local.bufferRequests) o.buffer_requests = true;
    }
  }
  return copy;
}

export interface RunningCaddy {
  url: string;
  output: () => string;
  stop(): Promise<void>;
}

/** `caddy run` with a JSON config; resolves once it answers HTTP on `listen` (host:port). */
export async function startCaddy(config: CaddyConfig, listen: string): Promise<RunningCaddy> {
  const home = mkdtempSync(join(tmpdir(), 'temps-caddy-'));
  const file = join(home, 'caddy.json');
  writeFileSync(file, JSON.stringify(config));
  const child = spawn(CADDY, ['run', '--config', file], { env: caddyEnv(home), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://${listen}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`caddy exited with ${child.exitCode}:\n${out}`);
    // listening is enough (a request would wait for upstreams)
    const [host, port] = [listen.slice(0, listen.lastIndexOf(':')), Number(listen.slice(listen.lastIndexOf(':') + 1))];
    const open = await new Promise<boolean>((resolve) => {
      const c = connect(port, host, () => (c.end(), resolve(true)));
      c.once('error', () => resolve(false));
    });
    if (open) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`caddy did not listen on ${listen} within 20 s:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    output: () => out,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
      rmSync(home, { recursive: true, force: true });
    },
  };
}
