// Test support, preloaded by scripts/run-tests.mjs (`node --import`): in worker threads only, compile the repo's
// .ts files with swc on load (the options of jest.config.js) and resolve the `@temps/*` paths of tsconfig.json,
// so that a thread started from a test (projection thread, bulk-load partitions) runs the same
// source the test sees. Jest does this itself on its own thread; Node's worker threads inherit this preload
// (their execArgv). Production threads run the .js that swc emitted into dist/ and need none of it.
import { readFileSync } from 'node:fs';
import { createRequire, registerHooks } from 'node:module';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { isMainThread, workerData } from 'node:worker_threads';

const root = join(import.meta.dirname, '..', '..');

/** The swc options of jest.config.js (its one transform), with inline source maps: the thread must see the same code the tests see. */
const SWC_OPTIONS = { ...Object.values(createRequire(import.meta.url)('../../jest.config.js').transform)[0][1], sourceMaps: 'inline' };

/** @swc/core as the repo resolves it. */
const loadSwc = () => createRequire(join(root, 'tsconfig.json'))('@swc/core');

function install() {
  const tsconfigPath = join(root, 'tsconfig.json');
  const options = JSON.parse(readFileSync(tsconfigPath, 'utf8')).compilerOptions ?? {};
  const base = resolve(root, options.baseUrl ?? '.');
  const aliases = new Map();
  for (const [key, targets] of Object.entries(options.paths ?? {})) {
    if (!key.includes('*') && targets[0]) aliases.set(key, pathToFileURL(resolve(base, targets[0])).href);
  }
  const swc = loadSwc();
  registerHooks({
    resolve(specifier, context, nextResolve) {
      const alias = aliases.get(specifier);
      if (alias) return { url: alias, shortCircuit: true };
      try {
        return nextResolve(specifier, context);
      } catch (err) {
        // `import './x'` in TypeScript source means ./x.ts or ./x/index.ts
        if (!specifier.startsWith('.') || !context.parentURL?.endsWith('.ts')) throw err;
        for (const suffix of ['.ts', '/index.ts']) {
          try {
            return nextResolve(specifier + suffix, context);
          } catch {
            /* next candidate */
          }
        }
        throw err;
      }
    },
    load(url, context, nextLoad) {
      // the thread entries themselves are erasable TypeScript that Node strips; everything they load is compiled here
      if (!url.startsWith('file:') || !url.endsWith('.ts') || url.includes('/node_modules/')) return nextLoad(url, context);
      const filename = fileURLToPath(url);
      const { code } = swc.transformSync(readFileSync(filename, 'utf8'), { ...SWC_OPTIONS, filename });
      return { format: 'commonjs', source: code, shortCircuit: true };
    },
  });
}

// swc makes its native thread pool on the first transform that needs it (a class with a parameter property
// does), from whichever thread that is; Linux threads inherit their creator's name and niceness. Make it here
// on the main thread, so that a lowered projection thread compiling its modules does not leave two more
// threads behind named like it and at its niceness (the projector's niceness test counts them).
if (isMainThread) {
  loadSwc().transformSync('export class Warm { constructor(private readonly n: number) {} }', { ...SWC_OPTIONS, filename: 'warm.ts' });
}

// Only threads that run a module of the repo's source (projection threads, bulk-load partitions: see
// projection-worker-entry.ts; query threads: sqlite-query-worker.ts); other threads (the SQLite writer)
// are erasable TypeScript Node loads alone.
if (!isMainThread && (workerData?.kind === 'temps-projection-thread' || workerData?.kind === 'temps-query-thread') && String(workerData.module).endsWith('.ts')) install();
