import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { operationsConfigFromEnv } from '../../apps/cli/src/operations-config';
import { configFromEnv, roleFromEnv } from '../../apps/cli/src/temps-config';
import { caddyAdapt, caddyValidate, describeWithCaddy, jsonObjects } from '../support/caddy';
import { COMPOSE_VARS, dockerfileEnv, dockerfileInstructions, loadCompose, localServiceEnv, runHealthcheck, serviceEnv, tempsServices } from '../support/compose-file';
import { repoRoot, startServer, type RunningServer } from '../support/temps-server';

/**
 * docker-compose.yml, the Dockerfile and deploy/Caddyfile held against the real thing, short of Docker (none
 * here): each temps service's environment against the variables a `temps serve` of that service really reads
 * (recorded in the running process by test/support/env-reads.mjs), its health check run as a command against
 * that process, the Dockerfile's commands against package.json and the CLI, the Caddyfile through Caddy itself.
 * The whole topology run as local processes behind Caddy: compose-topology.e2e.spec.ts.
 */
jest.setTimeout(120_000);

const { safeLoad: safeLoadYaml } = require('js-yaml') as { safeLoad(text: string): unknown };
const compose = loadCompose();
const temps = tempsServices(compose);
const CONTAINER_ADDRESS = '127.0.0.1:8080'; // where a service's own health check finds it inside its container
const CANARY = 'TEMPS_COMPOSE_SPEC_NEVER_READ';

/** The variables a config function reads from an env (a recording proxy around it). */
function readsOf(fn: (env: NodeJS.ProcessEnv) => unknown, env: Record<string, string>): Set<string> {
  const read = new Set<string>();
  fn(new Proxy(env, { get: (t, k) => (typeof k === 'string' && read.add(k), Reflect.get(t, k)), has: (t, k) => (typeof k === 'string' && read.add(k), Reflect.has(t, k)) }));
  return read;
}

describe('the compose file\'s temps services, each run as a local `temps serve` with its environment (no Docker here)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'temps-compose-file-'));
  const running = new Map<string, { server: RunningServer; readsFile: string; modulesFile: string; composed: Record<string, string>; swapped: Set<string> }>();

  beforeAll(async () => {
    expect(temps.sort()).toEqual(['api', 'ingest', 'projector']);
    // one after the other: the first makes project 1, the key and the prices on the shared store
    for (const name of temps) {
      const { env, composed, swapped } = localServiceEnv(compose.services[name]!, { dataDir, host: '127.0.0.1', port: 0 });
      const readsFile = join(dataDir, `env-reads-${name}.txt`);
      const modulesFile = join(dataDir, `module-loads-${name}.txt`);
      const preload = (file: string) => `--import=${pathToFileURL(join(repoRoot, 'test/support', file)).href}`;
      const recorders = { NODE_OPTIONS: `${preload('env-reads.mjs')} ${preload('module-loads.mjs')}`, TEMPS_ENV_READS_FILE: readsFile, TEMPS_MODULE_LOADS_FILE: modulesFile };
      const server = await startServer({ dataDir, env: { ...env, ...recorders, [CANARY]: '1' } });
      running.set(name, { server, readsFile, modulesFile, composed, swapped });
    }
  });
  afterAll(async () => {
    await Promise.all([...running.values()].map((r) => r.server.stop()));
    rmSync(dataDir, { recursive: true, force: true });
  });

  it.each(['ingest', 'api', 'projector'])('%s: every variable its container gets (the image\'s ENV and the service\'s environment) is one the server reads', (name) => {
    const { readsFile, composed, swapped } = running.get(name)!;
    const read = new Set(readFileSync(readsFile, 'utf8').split('\n').filter(Boolean));
    // the recorder tells reads from copies: a variable nobody reads is not recorded
    expect(read.has(CANARY)).toBe(false);
    expect(read.has('TEMPS_ROLE')).toBe(true);
    // A swapped store's keys are read only when that store is configured (EventStoreDB's URL with esdb): those
    // are held against the same config parser given the compose values.
    const parserReads = readsOf(configFromEnv, composed);
    const unread = Object.keys(composed).filter((k) => !read.has(k) && !(swapped.has(k) && parserReads.has(k)));
    expect(unread).toEqual([]);
    // and the values parse: compose's stores are EventStoreDB and MongoDB, the role is the service's
    expect(configFromEnv(composed)).toMatchObject({ role: name, port: 8080, host: '0.0.0.0', stores: { events: { kind: 'esdb' }, reads: { kind: 'mongo' } } });
  });

  it.each(['ingest', 'api', 'projector'])('%s: TEMPS_ROLE is a valid role, the one the process runs and reports', async (name) => {
    const { server, composed } = running.get(name)!;
    expect(roleFromEnv(composed)).toBe(name);
    expect(server.output()).toContain(`role:            ${name} (TEMPS_ROLE)`);
    expect(await (await fetch(`${server.url}/healthz`)).json()).toEqual({ status: 'ok', role: name });
  });

  it.each(['ingest', 'api', 'projector'])('%s: its compose health check, run as a command, passes against the running server and fails where none listens', async (name) => {
    const { server } = running.get(name)!;
    const test = compose.services[name]!.healthcheck!.test;
    // the address the check uses is the one the service listens on in its container: the image's PORT, no override
    expect(test.join(' ')).toContain(`http://${CONTAINER_ADDRESS}/`);
    expect(dockerfileEnv().PORT).toBe('8080');
    expect(compose.services[name]!.environment!.PORT).toBeUndefined();
    const ok = await runHealthcheck(test, CONTAINER_ADDRESS, `127.0.0.1:${server.port}`);
    expect([ok.code, ok.output]).toEqual([0, '']);
    const gone = await runHealthcheck(test, CONTAINER_ADDRESS, `127.0.0.1:${await closedPort()}`);
    expect(gone.code).not.toBe(0);
  });

  it.each(['ingest', 'api', 'projector'])('%s: its stop_grace_period outlasts the drain the server allows itself (SIGTERM drains, SIGKILL after the grace period)', (name) => {
    const { composed } = running.get(name)!;
    const grace = /^(\d+)s$/.exec(compose.services[name]!.stop_grace_period ?? '10s')![1]!;
    expect(operationsConfigFromEnv(composed).shutdownTimeoutMs).toBeLessThan(Number(grace) * 1000);
  });

  it('deploy/kubernetes.md: its probes hit endpoints every role answers with 200, and every variable it names is one a role reads', async () => {
    const note = readFileSync(join(repoRoot, 'deploy/kubernetes.md'), 'utf8');
    const probes = safeLoadYaml(/```yaml\n([\s\S]*?)```/.exec(note)![1]!) as Record<string, { httpGet: { path: string; port: number } }>;
    expect(Object.keys(probes).sort()).toEqual(['livenessProbe', 'readinessProbe', 'startupProbe']);
    for (const [probe, { httpGet }] of Object.entries(probes)) {
      expect(String(httpGet.port)).toBe(dockerfileEnv().PORT);
      for (const [name, { server }] of running) expect([probe, name, (await fetch(`${server.url}${httpGet.path}`)).status]).toEqual([probe, name, 200]);
    }
    const read = new Set([...running.values()].flatMap((r) => readFileSync(r.readsFile, 'utf8').split('\n').filter(Boolean)));
    for (const k of readsOf(configFromEnv, running.get('api')!.composed)) read.add(k);
    const named = [...new Set(note.match(/\b(TEMPS_[A-Z0-9_]+|EVENTSTORE_URL|MONGO_URL)\b/g))];
    expect(named.length).toBeGreaterThan(5);
    expect(named.filter((k) => !read.has(k))).toEqual([]);
  });

  it('the image\'s own HEALTHCHECK (PORT from the environment) passes against a running server', async () => {
    const line = dockerfileInstructions().stages.at(-1)!.lines.find((l) => l.op === 'HEALTHCHECK')!.args;
    const argv = JSON.parse(/\bCMD (\[.*\])\s*$/.exec(line)![1]!) as string[];
    const { server } = running.get('api')!;
    expect((await runHealthcheck(['CMD', ...argv], '', '', { PORT: String(server.port) })).code).toBe(0);
    expect((await runHealthcheck(['CMD', ...argv], '', '', { PORT: String(await closedPort()) })).code).not.toBe(0);
  });

  // Last: it stops the servers (the modules are written at exit).
  it('after `npm prune --omit=dev` the image still has every package a role loads (each is a production dependency)', async () => {
    const production = new Set(
      spawnSync('npm', ['ls', '--omit=dev', '--all', '--parseable'], { cwd: repoRoot, encoding: 'utf8', env: { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH}` } })
        .stdout.split('\n')
        .filter((p) => p.includes('node_modules/'))
        .map(packageOf),
    );
    expect(production.has('@nestjs/core')).toBe(true);
    // debug (express's) tries supports-color (and so has-flag) inside a try/catch: loaded when present, not needed
    expect(readFileSync(join(repoRoot, 'node_modules/debug/src/node.js'), 'utf8')).toMatch(/try \{[^}]*require\('supports-color'\)/);
    for (const optional of ['supports-color', 'has-flag']) production.add(optional);
    await Promise.all([...running.values()].map((r) => r.server.stop()));
    for (const [name, { modulesFile }] of running) {
      const loaded = [...new Set(readFileSync(modulesFile, 'utf8').split('\n').filter((p) => p.includes('/node_modules/')).map(packageOf))];
      expect(loaded).toContain('@nestjs/core');
      expect([name, loaded.filter((p) => !production.has(p))]).toEqual([name, []]);
    }
  });
});

describe('docker-compose.yml\'s required variables', () => {
  it.each(['ingest', 'api', 'projector'])('%s: compose refuses to start without the shared admin key (and, for api, the secrets key)', (name) => {
    const service = compose.services[name]!;
    expect(() => serviceEnv(service, { TEMPS_SECRETS_KEY: COMPOSE_VARS.TEMPS_SECRETS_KEY })).toThrow(/TEMPS_BOOTSTRAP_API_KEY: set TEMPS_BOOTSTRAP_API_KEY=tk_/);
    const withoutSecrets = () => serviceEnv(service, { TEMPS_BOOTSTRAP_API_KEY: COMPOSE_VARS.TEMPS_BOOTSTRAP_API_KEY });
    if (name === 'api') expect(withoutSecrets).toThrow(/TEMPS_SECRETS_KEY: set TEMPS_SECRETS_KEY=/);
    else expect(withoutSecrets()).toMatchObject({ TEMPS_BOOTSTRAP_API_KEY: COMPOSE_VARS.TEMPS_BOOTSTRAP_API_KEY, TEMPS_ROLE: name });
  });
});

describe('Dockerfile: its commands are this repository\'s', () => {
  const { stages } = dockerfileInstructions();
  const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string>; bin: Record<string, string> };

  it('every npm command it runs exists (npm run X: a package.json script), and the files it copies before `COPY . .` are there', () => {
    const runs = stages.flatMap((s) => s.lines.filter((l) => l.op === 'RUN').map((l) => l.args));
    const npmRuns = runs.flatMap((r) => r.split('&&').map((c) => c.trim())).filter((c) => c.startsWith('npm '));
    expect(npmRuns).toEqual(expect.arrayContaining(['npm ci', 'npm run build']));
    for (const c of npmRuns) {
      const script = /^npm run (\S+)/.exec(c)?.[1];
      if (script) expect([c, pkg.scripts[script] !== undefined]).toEqual([c, true]);
      else expect(c).toMatch(/^npm (ci|prune --omit=dev)$/);
    }
    // npm ci runs the postinstall: what it needs is copied first
    expect(pkg.scripts.postinstall).toContain('scripts/node24.cjs');
    const copied = stages[0]!.lines.filter((l) => l.op === 'COPY').flatMap((l) => l.args.split(/\s+/).slice(0, -1));
    for (const f of copied.filter((f) => f !== '.')) expect([f, existsSync(join(repoRoot, f))]).toEqual([f, true]);
    expect(copied).toContain('scripts/node24.cjs');
  });

  it('`COPY . .` leaves out what git leaves out (.dockerignore covers every .gitignore entry: installs, builds, data, secrets)', () => {
    const entries = (file: string) => readFileSync(join(repoRoot, file), 'utf8').split('\n').map((l) => l.trim().replace(/\/$/, '')).filter((l) => l && !l.startsWith('#'));
    const ignored = new Set(entries('.dockerignore'));
    expect(entries('.gitignore').filter((e) => !ignored.has(e))).toEqual([]);
    for (const e of ['.git', 'node_modules', 'data', '.env']) expect(ignored.has(e)).toBe(true);
  });

  it('the runtime image copies what `npm run build` makes and the CLI needs; its CMD starts that CLI\'s serve command', () => {
    const runtime = stages.at(-1)!;
    const fromBuild = runtime.lines.filter((l) => l.op === 'COPY' && l.args.startsWith('--from=build')).map((l) => l.args.split(/\s+/)[1]!.replace(/^\/app\//, ''));
    expect(fromBuild).toEqual(expect.arrayContaining(['package.json', 'node_modules', 'bin', 'dist', 'apps/web/build']));
    // build:server writes dist/ (swc -d dist), build:web the dashboard that serve looks for in apps/web/build
    expect(pkg.scripts['build:server']).toMatch(/-d dist\b/);
    expect(pkg.scripts.build).toBe('npm run build:server && npm run build:web');
    const cmd = JSON.parse(/^\s*(\[.*\])\s*$/.exec(runtime.lines.find((l) => l.op === 'CMD')!.args)![1]!) as string[];
    expect(cmd).toEqual(['node', 'bin/temps.js', 'serve']);
    expect(pkg.bin.temps).toBe('bin/temps.js');
    const help = spawnSync(process.execPath, [join(repoRoot, cmd[1]!), '--help'], { encoding: 'utf8', cwd: repoRoot });
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^\s+temps serve\b/m);
    // the image's data dir is where TEMPS_DATA_DIR points, owned by the user that runs
    expect(dockerfileEnv().TEMPS_DATA_DIR).toBe('/data');
    expect(runtime.lines.map((l) => `${l.op} ${l.args}`)).toEqual(expect.arrayContaining(['RUN mkdir -p /data && chown node:node /data', 'USER node']));
  });
});

describeWithCaddy('deploy/Caddyfile read by Caddy itself (caddy validate, caddy adapt)', () => {
  const caddyfile = join(repoRoot, 'deploy/Caddyfile');

  it('validates', () => {
    const r = caddyValidate(caddyfile);
    expect([r.status, r.stdout.trim()]).toEqual([0, 'Valid configuration']);
  });

  it('adapts to one server on the port compose publishes, with reverse proxies to the temps services on their port', () => {
    const config = caddyAdapt(caddyfile);
    const servers = Object.values(config.apps.http.servers);
    expect(servers).toHaveLength(1);
    expect(servers[0]!.listen).toEqual([`:${compose.services.proxy!.ports![0]!.split(':')[1]}`]);
    const upstreams = [...jsonObjects(servers[0]!.routes)].filter((o) => o.handler === 'reverse_proxy');
    expect(upstreams.map((u) => u.dynamic_upstreams)).toEqual([
      { source: 'a', name: 'ingest', port: dockerfileEnv().PORT, refresh: 5e9 },
      { source: 'a', name: 'api', port: dockerfileEnv().PORT, refresh: 5e9 },
    ]);
    expect(upstreams.map((u) => u.load_balancing.selection_policy)).toEqual([{ policy: 'round_robin' }, { policy: 'cookie', name: 'temps_api' }]);
    for (const u of upstreams) expect(temps).toContain(u.dynamic_upstreams.name);
  });
});

/** The package a path under node_modules belongs to (its last node_modules segment: `@scope/name` or `name`). */
function packageOf(path: string): string {
  const rest = path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length).split('/');
  return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
}

/** A loopback port nothing listens on (just released). */
function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}
