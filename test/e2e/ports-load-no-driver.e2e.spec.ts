import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const repoRoot = join(__dirname, '..', '..');
const dist = join(repoRoot, 'dist');
const DRIVERS = ['node:sqlite', 'mongodb', '@eventstore/db-client'];

/**
 * Loads `modules` (paths under dist/) in a fresh Node process, recording every module request, and returns
 * the drivers that were requested. The built code, as `temps serve` runs it (npm run build:server first).
 */
function driversLoadedBy(modules: string[]): string[] {
  const script = `
    const Module = require('node:module');
    const requested = new Set();
    const load = Module._load;
    Module._load = function (request, ...rest) { requested.add(request); return load.call(this, request, ...rest); };
    for (const m of ${JSON.stringify(modules.map((m) => join(dist, m)))}) require(m);
    // a driver could also be reached through a path inside node_modules rather than its name
    for (const file of Object.keys(require.cache)) {
      if (file.includes('/node_modules/mongodb/')) requested.add('mongodb');
      if (file.includes('/node_modules/@eventstore/db-client/')) requested.add('@eventstore/db-client');
    }
    process.stdout.write(JSON.stringify([...requested]));
  `;
  const run = spawnSync(process.execPath, ['-e', script], { cwd: repoRoot, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`child process failed (${run.status}): ${run.stderr}`);
  const requested = JSON.parse(run.stdout) as string[];
  return DRIVERS.filter((d) => requested.includes(d) || (d === 'node:sqlite' && requested.includes('sqlite')));
}

describe('store ports load no driver (built dist, fresh process)', () => {
  it('importing the event-store and read-store ports and the IngestModule loads none of node:sqlite, mongodb, @eventstore/db-client', () => {
    expect(driversLoadedBy(['libs/event-store/src/index.js', 'libs/read-store/src/index.js', 'apps/ingest/src/index.js'])).toEqual([]);
  });

  it('the Nest store modules, the projector and the whole serve module load an adapter only when one is configured (opened)', () => {
    expect(driversLoadedBy(['libs/event-store/src/nest/index.js', 'libs/read-store/src/nest/index.js'])).toEqual([]);
    expect(driversLoadedBy(['apps/projector/src/index.js', 'apps/cli/src/serve.module.js'])).toEqual([]);
  });

  it('each adapter entry point loads its own driver (so the check above can see one)', () => {
    expect(driversLoadedBy(['libs/event-store/src/sqlite/index.js'])).toEqual(['node:sqlite']);
    expect(driversLoadedBy(['libs/event-store/src/esdb/index.js'])).toEqual(['@eventstore/db-client']);
    expect(driversLoadedBy(['libs/read-store/src/mongo/index.js'])).toEqual(['mongodb']);
    expect(driversLoadedBy(['libs/read-store/src/sqlite/index.js'])).toEqual(['node:sqlite']);
  });
});
