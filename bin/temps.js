#!/usr/bin/env node
// The `temps` command: runs the built CLI (npm run build:server makes dist/), under Node 24: an older Node
// (20+) hands over to the Node 24 that `npm install` put in .tools (scripts/node24.cjs).
const { existsSync } = require('node:fs');
const { join } = require('node:path');
const [major] = process.versions.node.split('.').map(Number);
if (major < 24) {
  const { runUnderNode24, node24BinDir, Node24Unavailable } = require('../scripts/node24.cjs');
  let node;
  try {
    node = join(node24BinDir(), 'node');
  } catch (err) {
    console.error(err instanceof Node24Unavailable ? err.message : `temps: ${err.message}`);
    process.exit(1);
  }
  runUnderNode24(node, [__filename, ...process.argv.slice(2)]).then((code) => process.exit(code));
} else {
  const entry = join(__dirname, '..', 'dist', 'apps', 'cli', 'src', 'main.js');
  if (!existsSync(entry)) {
    console.error('temps: not built yet; run "npm run build" (or "npm start") first');
    process.exit(1);
  }
  // V8's compiled code for dist/ and node_modules kept between runs (in the OS temp dir, checked against each
  // file): a start costs about a third less CPU, which is what a loaded machine (CI, many tests) waits for.
  // The variable too, so that the server's worker threads (projector, SQLite writer, queries) use the cache.
  process.env.NODE_COMPILE_CACHE ??= join(require('node:os').tmpdir(), 'node-compile-cache');
  require('node:module').enableCompileCache?.(process.env.NODE_COMPILE_CACHE);
  // `temps serve` runs with V8 heaps sized for a server that shares its RAM: every V8 heap (the main thread's
  // and each worker thread's, which inherit the flags) gets 8 MiB semi-spaces instead of the 64 MiB Node 24
  // picks from the machine's RAM, and its old generation grows 2x between full GCs instead of up to 4x.
  // Measured on 96 requests of 512 spans (4 senders): peak RSS 520 MiB -> 320 MiB, same server CPU time.
  // The process replaces itself (execve: same pid, signals and stdio); a flag given on the command line or
  // in NODE_OPTIONS is kept as given.
  const given = [...process.execArgv, ...(process.env.NODE_OPTIONS || '').split(/\s+/)].map((a) => a.replace(/_/g, '-'));
  const heapFlags = ['--max-semi-space-size=8', '--heap-growing-percent=100'].filter((f) => !given.some((g) => g.startsWith(f.split('=')[0])));
  if (process.argv[2] === 'serve' && heapFlags.length > 0 && typeof process.execve === 'function' && process.platform !== 'win32') {
    try {
      process.execve(process.execPath, [process.execPath, ...process.execArgv, ...heapFlags, __filename, ...process.argv.slice(2)], process.env);
    } catch (err) {
      console.error(`temps: could not restart with ${heapFlags.join(' ')} (${err.message}); running with Node's heap defaults`);
    }
  }
  require(entry);
}
