#!/usr/bin/env node
// Generates the OTLP protobuf code used by libs/otlp from the .proto files in proto/.
//
//   npm run gen:proto            (also run by build:server and typecheck)
//   node scripts/gen-proto.mjs --force
//
// Output (gitignored, never committed): libs/otlp/src/generated/otlp.js (pbjs static-module,
// CommonJS wrapper) and otlp.d.ts (pbts typings). Generation is skipped when a stamp of the inputs
// (proto files, this script, protobufjs and protobufjs-cli versions) matches, so repeated runs cost
// milliseconds; a cold run takes a few seconds (pbts runs jsdoc).
//
// 64-bit integers: `--force-long` types every int64/fixed64 field as Long. protobufjs decodes them
// to Long instances (from the `long` package, a protobufjs dependency), never to lossy numbers;
// libs/otlp converts them to exact decimal strings and refuses to load if Long is unavailable.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const protoDir = join(root, 'proto');
const outDir = join(root, 'libs/otlp/src/generated');
const outJs = join(outDir, 'otlp.js');
const outDts = join(outDir, 'otlp.d.ts');
const stampFile = join(outDir, '.stamp');
const force = process.argv.includes('--force');

// Entry points; everything they import (common, resource, trace, logs, metrics, any) comes along.
const entries = [
  'opentelemetry/proto/collector/trace/v1/trace_service.proto',
  'opentelemetry/proto/collector/logs/v1/logs_service.proto',
  'opentelemetry/proto/collector/metrics/v1/metrics_service.proto',
  'google/rpc/status.proto',
];

const pbjsArgs = [
  '-t', 'static-module',
  '-w', 'commonjs',
  // Own roots name: does not share protobuf.roots.default with any other generated module.
  '-r', 'temps_otlp',
  '--force-long',
  '--no-service',
  '--no-delimited',
  '--no-verify',
  '-p', protoDir,
];

const require = createRequire(import.meta.url);
const pbjsBin = require.resolve('protobufjs-cli/bin/pbjs');
const pbtsBin = require.resolve('protobufjs-cli/bin/pbts');
const versions = ['protobufjs', 'protobufjs-cli']
  .map((p) => `${p}@${JSON.parse(readFileSync(require.resolve(`${p}/package.json`), 'utf8')).version}`)
  .join(' ');

function listProtos(dir) {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? listProtos(join(dir, e.name)) : e.name.endsWith('.proto') ? [join(dir, e.name)] : []))
    .sort();
}

function inputStamp() {
  const h = createHash('sha256');
  h.update(versions).update('\0').update(pbjsArgs.join(' ')).update('\0');
  h.update(readFileSync(fileURLToPath(import.meta.url))).update('\0');
  for (const file of listProtos(protoDir)) h.update(relative(protoDir, file)).update('\0').update(readFileSync(file)).update('\0');
  return h.digest('hex');
}

function run(bin, args) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) {
    process.stderr.write(r.stdout ?? '');
    process.stderr.write(r.stderr ?? '');
    throw new Error(`${relative(root, bin)} failed with exit code ${r.status ?? r.signal}`);
  }
}

const started = Date.now();
const stamp = inputStamp();
if (!force && existsSync(outJs) && existsSync(outDts) && existsSync(stampFile) && readFileSync(stampFile, 'utf8').trim() === stamp) {
  console.log('gen:proto: libs/otlp/src/generated is up to date');
  process.exit(0);
}

// Generate into a private temp dir, then rename into place: a concurrent reader (jest, tsc, another
// gen:proto) never sees a half-written file.
mkdirSync(outDir, { recursive: true });
const tmp = join(outDir, `.tmp-${process.pid}-${Date.now()}`);
mkdirSync(tmp);
try {
  const tmpJs = join(tmp, 'otlp.js');
  const tmpDts = join(tmp, 'otlp.d.ts');
  run(pbjsBin, [...pbjsArgs, '-o', tmpJs, ...entries.map((e) => join(protoDir, e))]);
  run(pbtsBin, ['-o', tmpDts, tmpJs]);
  if (!statSync(tmpJs).size || !statSync(tmpDts).size) throw new Error('pbjs/pbts produced an empty file');
  renameSync(tmpJs, outJs);
  renameSync(tmpDts, outDts);
  writeFileSync(stampFile, stamp + '\n');
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
console.log(`gen:proto: generated ${relative(root, outJs)} and otlp.d.ts in ${Date.now() - started} ms`);
