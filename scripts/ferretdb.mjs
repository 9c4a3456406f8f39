#!/usr/bin/env node
// FerretDB v1 (SQLite handler) as a real, independent MongoDB-wire server for the Mongo read-store tests.
//
//   node scripts/ferretdb.mjs build   build .tools/bin/ferretdb-<version> once (cached; later runs are instant)
//   node scripts/ferretdb.mjs start   build if needed, start it on a free loopback port with a temp state dir,
//                                     wait until it answers a ping, print shell lines:
//                                       export MONGO_URL=...; export FERRETDB_PID=...; export FERRETDB_DIR=...
//                                     (use: eval "$(node scripts/ferretdb.mjs start)")
//   node scripts/ferretdb.mjs stop <pid> <dir>   stop a started server and remove its state dir
//
// Why a build step: `go install github.com/FerretDB/FerretDB/cmd/ferretdb@v1.24.2` compiles, but the binary panics
// at start ("Invalid build/version/version.txt file content"): version.txt is generated from git by
// `bin/task gen-version` and is absent from the module zip. So: copy the module source to a writable dir,
// write the version into build/version/version.txt, and `go build` there.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, openSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const VERSION = 'v1.24.2';
const MODULE = 'github.com/FerretDB/FerretDB';
const root = join(import.meta.dirname, '..');
const tools = join(root, '.tools');
const binary = join(tools, 'bin', `ferretdb-${VERSION}`);
const log = (msg) => process.stderr.write(`[ferretdb] ${msg}\n`);

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 << 20, ...opts });
  if (r.error) throw new Error(`${cmd} ${args.join(' ')}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited with ${r.status}`);
  return r.stdout;
}

export function build() {
  if (existsSync(binary)) return binary;
  const started = Date.now();
  const env = { ...process.env, GOFLAGS: '-buildvcs=false', CGO_ENABLED: '0' };
  log(`building FerretDB ${VERSION} (first run only)`);
  // A throwaway module dir so `go mod download` works wherever this runs (it needs no go.mod in the cwd).
  const work = mkdtempSync(join(tmpdir(), 'ferretdb-dl-'));
  let moduleDir;
  try {
    moduleDir = JSON.parse(run('go', ['mod', 'download', '-json', `${MODULE}@${VERSION}`], { cwd: work, env })).Dir;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  if (!moduleDir || !existsSync(moduleDir)) throw new Error(`go mod download gave no module dir for ${MODULE}@${VERSION}`);
  const src = join(tools, `ferretdb-src-${VERSION}-${process.pid}`); // per build: concurrent builds do not collide
  const tmp = `${binary}.tmp-${process.pid}`;
  try {
    cpSync(moduleDir, src, { recursive: true });
    // The module cache is read-only; cpSync keeps the modes, so make the copy writable before touching it.
    run('chmod', ['-R', 'u+w', src]);
    writeFileSync(join(src, 'build', 'version', 'version.txt'), `${VERSION}\n`);
    mkdirSync(join(tools, 'bin'), { recursive: true });
    run('go', ['build', '-trimpath', '-o', tmp, './cmd/ferretdb'], { cwd: src, env, stdio: ['ignore', 'inherit', 'inherit'] });
    chmodSync(tmp, 0o755);
    renameSync(tmp, binary); // atomic: a half-written binary is never cached
  } finally {
    rmSync(src, { recursive: true, force: true });
    rmSync(tmp, { force: true });
  }
  log(`built ${binary} in ${((Date.now() - started) / 1000).toFixed(1)}s`);
  return binary;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function portOpen(port) {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

async function ping(url) {
  const { MongoClient } = await import('mongodb');
  const client = new MongoClient(url, { serverSelectionTimeoutMS: 2000, directConnection: true });
  try {
    await client.connect();
    await client.db('admin').command({ ping: 1 });
  } finally {
    await client.close();
  }
}

export async function start() {
  const bin = build();
  const dir = mkdtempSync(join(tmpdir(), 'temps-ferretdb-'));
  const port = await freePort();
  const out = openSync(join(dir, 'ferretdb.log'), 'a');
  mkdirSync(join(dir, 'data'));
  const child = spawn(
    bin,
    [
      '--handler=sqlite',
      `--sqlite-url=file:${join(dir, 'data')}/`,
      `--listen-addr=127.0.0.1:${port}`,
      '--debug-addr=-',
      '--telemetry=disable',
      '--log-level=error',
      `--state-dir=${dir}`,
    ],
    { detached: true, stdio: ['ignore', out, out] },
  );
  let exited = null;
  child.once('exit', (code, signal) => (exited = signal ?? code));
  const url = `mongodb://127.0.0.1:${port}/`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (exited !== null) throw new Error(`ferretdb exited (${exited}) during start; see ${join(dir, 'ferretdb.log')}`);
    if (await portOpen(port)) {
      try {
        await ping(url);
        break;
      } catch {
        /* not ready yet */
      }
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`ferretdb did not answer on ${url} within 30s; see ${join(dir, 'ferretdb.log')}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.unref();
  log(`FerretDB ${VERSION} (sqlite handler) pid ${child.pid} listening on ${url}, state in ${dir}`);
  return { url, pid: child.pid, dir };
}

const alive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

export async function stop(pid, dir) {
  pid = Number(pid);
  if (pid > 0 && alive(pid)) {
    process.kill(pid, 'SIGTERM');
    for (let i = 0; i < 50 && alive(pid); i++) await new Promise((r) => setTimeout(r, 100));
    if (alive(pid)) process.kill(pid, 'SIGKILL');
  }
  if (dir && dir.startsWith(join(tmpdir(), 'temps-ferretdb-'))) rmSync(dir, { recursive: true, force: true });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [cmd, ...rest] = process.argv.slice(2);
  try {
    if (cmd === 'build') console.log(build());
    else if (cmd === 'start') {
      const { url, pid, dir } = await start();
      console.log(`export MONGO_URL='${url}'; export FERRETDB_PID=${pid}; export FERRETDB_DIR='${dir}'`);
    } else if (cmd === 'stop') await stop(rest[0] ?? process.env.FERRETDB_PID, rest[1] ?? process.env.FERRETDB_DIR);
    else {
      console.error('usage: node scripts/ferretdb.mjs build | start | stop [pid dir]');
      process.exit(2);
    }
  } catch (err) {
    log(err.message);
    process.exit(1);
  }
}
