import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../support/temps-server';

/**
 * Where the project cannot get the Node 24 it needs, `npm start` and `npx temps` stop at once with one line saying
 * what to do, and `npm install` still succeeds. Run with the machine's older Node (TEMPS_CLONE_NODE: its folder) on a
 * copy of the launcher's files (package.json, .npmrc, scripts/node24.cjs, bin/temps.js) with no .tools and no dist.
 * Two real causes: a platform with no node-<os>-<arch> package on the registry (faked: a preload sets process.arch
 * to s390x, as on an IBM Z machine), and a registry that cannot be reached (a closed port, an empty npm cache).
 */
const OLD_NODE_DIR = process.env.TEMPS_CLONE_NODE ?? '/usr/bin';
const oldNode = join(OLD_NODE_DIR, 'node');
const oldMajor = existsSync(oldNode) ? Number(spawnSync(oldNode, ['--version'], { encoding: 'utf8' }).stdout.replace(/^v/, '').split('.')[0]) : NaN;
const skipReason = !existsSync(oldNode) ? `no ${oldNode}` : !(oldMajor >= 20 && oldMajor < 24) ? `${oldNode} is Node ${oldMajor}, not an older Node (20-23)` : undefined;

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

if (skipReason) {
  describe('no Node 24 to be had', () => {
    it.skip(`skipped: ${skipReason}`, () => undefined);
  });
} else {
  describe(`no Node 24 to be had (Node ${oldMajor} first on PATH): one line saying what to do`, () => {
    let dir: string;
    let project: string;
    let fakeArch: string;

    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'temps-node24-'));
      project = join(dir, 'temps');
      for (const file of ['package.json', '.npmrc', 'scripts/node24.cjs', 'bin/temps.js']) {
        mkdirSync(join(project, file, '..'), { recursive: true });
        copyFileSync(join(repoRoot, file), join(project, file));
      }
      fakeArch = join(dir, 'fake-arch.cjs');
      writeFileSync(fakeArch, "Object.defineProperty(process, 'arch', { value: 's390x' });\n");
    });
    afterAll(() => {
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    /** `command` under the old Node, nothing of this test's Node 24 or npm run on PATH or in the env. */
    function run(command: string, extraEnv: Record<string, string> = {}): Run {
      const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(npm_|NODE$|NODE_OPTIONS$|INIT_CWD$|JEST_|TEMPS_)/i.test(k)));
      const path = (process.env.PATH ?? '').split(':').filter((p) => p && p !== join(process.execPath, '..') && !p.includes('node-linux-') && !p.includes('node_modules/.bin'));
      const started = Date.now();
      const r = spawnSync('sh', ['-c', command], { cwd: project, env: { ...env, PATH: [OLD_NODE_DIR, ...path].join(':'), ...extraEnv }, encoding: 'utf8', timeout: 120_000 });
      return { status: r.status, stdout: r.stdout, stderr: r.stderr, ms: Date.now() - started };
    }
    const lines = (text: string) => text.split('\n').filter((l) => l.trim() !== '');

    describe('a platform with no Node 24 package (s390x)', () => {
      const onS390x = () => ({ NODE_OPTIONS: `--require ${fakeArch}` });
      const sayWhat = /^temps needs Node\.js 24 \(this is v\d+\.\d+\.\d+ on linux-s390x, where it cannot fetch one itself\): install Node 24 \(https:\/\/nodejs\.org or nvm install 24\) and run the command again$/;

      it('npx temps --help: exit 1, that one line on stderr, nothing else', () => {
        const r = run('npx temps --help', onS390x());
        expect({ status: r.status, stdout: r.stdout, stderr: lines(r.stderr) }).toEqual({ status: 1, stdout: '', stderr: [expect.stringMatching(sayWhat)] });
        expect(existsSync(join(project, '.tools'))).toBe(false);
      });

      it('npm start: stops before building, with that line', () => {
        const r = run('npm start', onS390x());
        expect(r.status).not.toBe(0);
        expect(lines(r.stderr)[0]).toMatch(sayWhat);
        // npm names the failed script after it (errors only: the repo's .npmrc); nothing was built or fetched.
        expect(r.stdout + r.stderr).not.toMatch(/vite|swc|Promise\.withResolvers|EBADENGINE/);
        expect(existsSync(join(project, 'dist'))).toBe(false);
        expect(existsSync(join(project, '.tools'))).toBe(false);
        console.log(`npm start on s390x stopped after ${r.ms} ms`);
      });

      it("npm install's provisioning step does not fail the install (npm start says what to do)", () => {
        const r = run('node scripts/node24.cjs --provision', onS390x());
        expect({ status: r.status, stdout: r.stdout, stderr: r.stderr }).toEqual({ status: 0, stdout: '', stderr: '' });
      });
    });

    describe('a registry that cannot be reached', () => {
      let cache: string;
      const offline = () => ({ npm_config_registry: 'http://127.0.0.1:9/', npm_config_cache: cache, npm_config_fetch_retries: '0' });
      beforeAll(() => {
        cache = mkdtempSync(join(dir, 'empty-npm-cache-'));
      });

      it("npx temps --help: exit 1, the fetch attempt, then one line with npm's reason and what to do", () => {
        const r = run('npx temps --help', offline());
        expect(r.status).toBe(1);
        expect(r.stdout).toBe('');
        // Not npm's twenty lines of error (stack, log path): its reason inside the one line.
        expect(lines(r.stderr)).toEqual([
          expect.stringMatching(/^temps: this is Node v\d+\.\d+\.\d+; fetching Node 24\.\d+\.\d+ \(node-linux-(x64|arm64) from the npm registry\) into \.tools once$/),
          expect.stringMatching(/^temps needs Node\.js 24 and could not fetch node-linux-(x64|arm64)@24\.\d+\.\d+ \(npm: FetchError: request to http:\/\/127\.0\.0\.1:9\/node-linux-(x64|arm64) failed, reason: connect ECONNREFUSED 127\.0\.0\.1:9\): install Node 24 yourself \(https:\/\/nodejs\.org or nvm install 24\) and run the command again$/),
        ]);
        expect(existsSync(join(project, 'dist'))).toBe(false);
        console.log(`npx temps with no registry stopped after ${r.ms} ms`);
      });

      it("npm install's provisioning step still exits 0", () => {
        expect(run('node scripts/node24.cjs --provision', offline()).status).toBe(0);
      });
    });
  });
}
