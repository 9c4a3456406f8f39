// Re-records test/fixtures/recorded/ from the real clients: runs the live recorded-fixtures spec in
// record mode (TEMPS_RECORD_FIXTURES=1), which writes every payload and manifest instead of comparing.
// Python is required here (TEMPS_REQUIRE_PYTHON=1): a partial re-recording would mix client versions.
// Extra arguments go to jest, e.g. `npm run record:fixtures -- -t ai-sdk` to re-record some scenarios.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const result = spawnSync(
  process.execPath,
  ['--experimental-vm-modules', join(root, 'node_modules/jest/bin/jest.js'), 'test/dialects/recorded-fixtures.live.spec.ts', '--runInBand', ...process.argv.slice(2)],
  { cwd: root, stdio: 'inherit', env: { ...process.env, TEMPS_RECORD_FIXTURES: '1', TEMPS_REQUIRE_PYTHON: process.env.TEMPS_REQUIRE_PYTHON ?? '1' } },
);
process.exit(result.status ?? 1);
