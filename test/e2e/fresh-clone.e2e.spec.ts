import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually, repoRoot } from '../support/temps-server';

/**
 * A newcomer's two commands, as the README's "Two commands" section writes them, in a fresh `git clone` of this
 * repository's HEAD, with the machine's Node 20 first on PATH (TEMPS_CLONE_NODE: another old node's folder) and
 * none of the Node 24 that runs this test: `npm install` (no warning), `npm start` (the server answers, its
 * dashboard too), `npx temps --help` and `npx temps demo` against that server (the CLI from the clone, under the
 * same old Node), and `npm test` on one spec file (the full suite is what CI runs). The npm cache is reused
 * (offline-preferred) to keep the time sane: about 3-4 minutes on the shared 2-core machine (measured: install
 * 51-69 s, start 22-33 s, test 22-30 s, removing the clone's ~330 MB about a minute). npm 10: TEMPS_CLONE_NODE set
 * to a folder holding links to Node 20 and npm 10's npm-cli.js / npx-cli.js as node, npm and npx (Node 20.20.2 +
 * npm 10.9.9: 6 passed, install 36 s).
 */
const OLD_NODE_DIR = process.env.TEMPS_CLONE_NODE ?? '/usr/bin';
const oldNode = join(OLD_NODE_DIR, 'node');
const oldMajor = existsSync(oldNode) ? Number(spawnSync(oldNode, ['--version'], { encoding: 'utf8' }).stdout.replace(/^v/, '').split('.')[0]) : NaN;
const skipReason = !existsSync(oldNode)
  ? `no ${oldNode}`
  : !(oldMajor >= 20 && oldMajor < 24)
    ? `${oldNode} is Node ${oldMajor}, not an older Node (20-23) to start from`
    : !existsSync(join(repoRoot, '.git'))
      ? 'not a git checkout'
      : undefined;

/** The commands of the README's "Two commands" block, comments dropped. */
function readmeCommands(): string[] {
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
  const section = readme.split(/^## /m).find((s) => s.startsWith('Two commands'));
  const block = /```sh\n([\s\S]*?)```/.exec(section ?? '')?.[1];
  if (!block) throw new Error('README.md has no ```sh block in its "Two commands" section');
  return block
    .split('\n')
    .map((l) => l.replace(/#.*$/, '').trim())
    .filter(Boolean);
}

/** This process's environment without anything that points at its Node 24 or its npm run. */
function newcomerEnv(dir: string): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(npm_|NODE$|NODE_OPTIONS$|INIT_CWD$|JEST_|TEMPS_)/i.test(k)));
  const node24 = join(process.execPath, '..');
  const path = (process.env.PATH ?? '').split(':').filter((p) => p && p !== node24 && !p.includes('node-linux-') && !p.includes('node_modules/.bin'));
  return { ...env, PATH: [OLD_NODE_DIR, ...path].join(':'), npm_config_prefer_offline: 'true', PORT: '0', HOST: '127.0.0.1', TEMPS_DATA_DIR: join(dir, 'data') };
}

function run(command: string, cwd: string, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<{ code: number | null; output: string; ms: number }> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn('sh', ['-c', command], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output, ms: Date.now() - started });
    });
  });
}

if (skipReason) {
  describe('a fresh clone with an older Node: the README two commands', () => {
    it.skip(`skipped: ${skipReason}`, () => undefined);
  });
} else {
  describe(`a fresh clone with Node ${oldMajor} first on PATH: the README's commands`, () => {
    let dir: string;
    let clone: string;
    let env: NodeJS.ProcessEnv;
    const timings: Record<string, number> = {};
    /** The `npm start` server, kept running for the npx test after it (stopped in afterAll). */
    let server: { child: ChildProcess; url: string; key: string } | undefined;

    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'temps-clone-'));
      clone = join(dir, 'temps');
      const cloned = spawnSync('git', ['clone', '--quiet', repoRoot, clone], { encoding: 'utf8' });
      if (cloned.status !== 0) throw new Error(`git clone failed: ${cloned.stderr}`);
      env = newcomerEnv(dir);
    });
    const stopServer = async () => {
      const child = server?.child;
      server = undefined;
      if (!child || child.exitCode !== null || child.signalCode !== null) return;
      const closed = new Promise((r) => child.once('close', r));
      process.kill(-child.pid!, 'SIGTERM');
      await closed;
    };
    afterAll(async () => {
      await stopServer();
      console.log(`fresh clone timings (ms): ${JSON.stringify(timings)}`);
      // rm -rf: the clone's node_modules is ~330 MB of small files, which Node's rmSync takes much longer over.
      if (dir) spawnSync('rm', ['-rf', dir]);
    });

    it('the README says npm install, npm start, npm test', () => {
      expect(readmeCommands()).toEqual(['npm install', 'npm start', 'npm test']);
      expect(spawnSync('sh', ['-c', 'node --version'], { env, encoding: 'utf8' }).stdout).toMatch(new RegExp(`^v${oldMajor}\\.`));
    });

    it('npm install: Node 24 provisioned into .tools, no warning to wonder about', async () => {
      const r = await run('npm install', clone, env, 9 * 60_000);
      timings.install = r.ms;
      expect({ code: r.code, output: r.output.slice(-3000) }).toMatchObject({ code: 0 });
      expect(r.output).not.toMatch(/EBADENGINE|install-scripts|npm warn/i);
      const node24 = join(clone, `.tools/node_modules/node-${process.platform}-${process.arch}/bin/node`);
      expect(spawnSync(node24, ['--version'], { encoding: 'utf8' }).stdout).toMatch(/^v24\./);
    }, 10 * 60_000);

    it("every dependency's install script is settled in package.json's allowScripts (none left for npm to warn about)", async () => {
      // The install's quiet log level (.npmrc) would hide npm's "allow-scripts" warning: ask npm itself. npm before
      // 11.16 has no allowScripts policy (it runs every install script) and no approve-scripts command.
      const npmVersion = (await run('npm --version', clone, env, 60_000)).output.trim();
      const [major, minor] = npmVersion.split('.').map(Number);
      if (major! < 11 || (major === 11 && minor! < 16)) {
        console.log(`npm ${npmVersion}: no allowScripts policy, every install script ran`);
        return;
      }
      const r = await run('npm approve-scripts --allow-scripts-pending --json', clone, env, 2 * 60_000);
      expect({ code: r.code, output: r.output.slice(-2000) }).toMatchObject({ code: 0 });
      expect(JSON.parse(r.output.slice(r.output.indexOf('{')))).toEqual({ allowScripts: [] });
    }, 3 * 60_000);

    it('npm start: builds under Node 24 and serves the OTLP endpoint and the dashboard', async () => {
      const started = Date.now();
      const child = spawn('sh', ['-c', 'npm start'], { cwd: clone, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
      let output = '';
      child.stdout.on('data', (d: Buffer) => (output += d.toString()));
      child.stderr.on('data', (d: Buffer) => (output += d.toString()));
      const port = await eventually(async () => /listening on http:\/\/localhost:(\d+)/.exec(output)?.[1], 8 * 60_000, `"listening on" from npm start:\n${output.slice(-2000)}`).catch((err: Error) => {
        process.kill(-child.pid!, 'SIGTERM');
        throw err;
      });
      timings.start = Date.now() - started;
      const url = `http://127.0.0.1:${port}`;
      const key = /admin API key:\s+(tk_\S+)/.exec(output)?.[1] ?? '';
      server = { child, url, key };
      expect(await (await fetch(`${url}/healthz`)).json()).toEqual({ status: 'ok', role: 'all' });
      const dashboard = await fetch(`${url}/`);
      expect(dashboard.status).toBe(200);
      expect(await dashboard.text()).toMatch(/<html/i);
      const otlp = await fetch(`${url}/api/otel/v1/traces`, { method: 'POST', headers: { Authorization: `Bearer ${key}`, 'X-Temps-Project-Id': '1', 'Content-Type': 'application/json' }, body: '{"resourceSpans":[]}' });
      expect(otlp.status).toBe(200);
    }, 9 * 60_000);

    it('npx temps --help and npx temps demo work from the clone under the old Node', async () => {
      if (!server) throw new Error('npm start did not serve (see the test before)');
      const { url, key } = server;
      try {
        await npxTempsHelpAndDemo(url, key);
      } finally {
        // Before `npm test`, whose build replaces the dist/ this server runs from.
        await stopServer();
      }
    }, 5 * 60_000);

    async function npxTempsHelpAndDemo(url: string, key: string): Promise<void> {
      const help = await run('npx temps --help', clone, env, 2 * 60_000);
      expect({ code: help.code, tail: help.output.slice(-1500) }).toMatchObject({ code: 0 });
      expect(help.output).toMatch(/^Examples/m);
      expect(help.output).toMatch(/^ {2}temps demo\b/m);

      // The same TEMPS_DATA_DIR as the server (env), as the README says; the demo's spans go through its OTLP endpoint.
      const demo = await run(`npx temps demo --url ${url}`, clone, env, 2 * 60_000);
      expect({ code: demo.code, tail: demo.output.slice(-1500) }).toMatchObject({ code: 0 });
      expect(demo.output).toMatch(/^sent 8 demo traces \(16 spans\) to .*, project demo \(created now\)$/m);
      const traces = await eventually(async () => {
        const body = (await (await fetch(`${url}/api/projects/demo/ai/traces?limit=50`, { headers: { Authorization: `Bearer ${key}` } })).json()) as { items?: unknown[] };
        return body.items?.length === 8 ? body.items : undefined;
      }, 60_000, 'the 8 demo traces listed');
      expect(traces).toHaveLength(8);
    }

    it('npm test starts (one spec file) and closes with its "N passed, N failed" line', async () => {
      const r = await run('npm test -- libs/domain/src/access-state.spec.ts', clone, env, 9 * 60_000);
      timings.test = r.ms;
      expect({ code: r.code, tail: r.output.slice(-1500) }).toMatchObject({ code: 0 });
      expect(r.output).toMatch(/^\d+ passed, 0 failed$/m);
    }, 10 * 60_000);
  });
}
