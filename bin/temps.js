#!/usr/bin/env node
// The `temps` command: runs the built CLI (npm run build:server makes dist/).
const { existsSync } = require('node:fs');
const { join } = require('node:path');
const entry = join(__dirname, '..', 'dist', 'apps', 'cli', 'src', 'main.js');
if (!existsSync(entry)) {
  console.error('temps: not built yet; run "npm run build" first');
  process.exit(1);
}
const [major] = process.versions.node.split('.').map(Number);
if (major < 24) {
  console.error(`temps: Node.js 24 or newer is required (this is ${process.version})`);
  process.exit(1);
}
require(entry);
