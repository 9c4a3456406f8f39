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
  require(entry);
}
