// Runs jest, then prints the one closing line CI reads: "N passed, N failed[, N skipped]".
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = join(import.meta.dirname, '..');
const out = join(root, 'test/artifacts/jest-results.json');
mkdirSync(join(root, 'test/artifacts'), { recursive: true });
rmSync(out, { force: true });

const jest = join(root, 'node_modules/jest/bin/jest.js');
// The OTel exporters load their transport with import(): jest needs VM modules for that.
// Threads that tests start (projection, bulk-load partitions) run .ts sources: this preload compiles them there.
const threadHooks = pathToFileURL(join(root, 'test/support/typescript-thread-hooks.mjs')).href;
const args = ['--experimental-vm-modules', '--no-warnings=ExperimentalWarning', '--import', threadHooks, jest, '--json', `--outputFile=${out}`, '--maxWorkers=2', ...process.argv.slice(2)];
const run = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });

let passed = 0;
let failed = 0;
let skipped = 0;
if (existsSync(out)) {
  const r = JSON.parse(readFileSync(out, 'utf8'));
  passed = r.numPassedTests;
  failed = r.numFailedTests + r.numRuntimeErrorTestSuites;
  skipped = r.numPendingTests + r.numTodoTests;
  if (r.numTotalTests === 0) failed += 1; // a run that ran nothing is not a pass
} else {
  failed = 1;
}
if (run.status !== 0 && failed === 0) failed = 1;
console.log(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 ? 1 : 0);
