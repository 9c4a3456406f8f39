/**
 * The entry point of a projection thread (see ProjectionThread): it loads `workerData.module` and
 * calls its export `workerData.export(workerData.data, parentPort)`, which hosts the projection
 * (hostProjection).
 *
 * Node loads this file itself as the worker's entry: under jest it is the .ts source (Node strips the
 * types), in dist the .js that swc emitted (the approach of libs/event-store's writer thread). So keep
 * it ERASABLE TypeScript (no enums, no parameter properties, no namespaces) and import at runtime only
 * `node:` builtins; other modules only through `import type` (erased).
 *
 * The module it runs is ordinary code of this repo (decorators, parameter properties, `@temps/*`
 * imports). In dist that is plain CommonJS. Under jest (`typescript: true`) this file first installs
 * module hooks that do in this thread what jest does in its own: compile the repo's .ts files with swc
 * (the options of jest.config.js) and resolve the `@temps/*` paths of the nearest tsconfig.json.
 */
import { existsSync, readFileSync, readlinkSync } from 'node:fs';
import { createRequire, registerHooks } from 'node:module';
import { getPriority, setPriority } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';

/** Must equal PROJECTION_WORKER_KIND in projection-thread.ts (which imports this file's types only). */
const KIND = 'temps-projection-thread';

export interface ProjectionWorkerData {
  kind: typeof KIND;
  /** Absolute path of the module to run: its .ts source under jest, the .js in dist. */
  module: string;
  /** The export of `module` to call as `(data, parentPort)`; it may return a promise (a rejection crashes the thread). */
  export: string;
  /** `module` is TypeScript source (jest): compile it and what it imports as jest does. */
  typescript: boolean;
  /** Structured-cloneable input of that export. */
  data: unknown;
  /** Scheduling niceness for this thread (see lowerThreadPriority); absent or 0: the process's. */
  nice?: number;
}

/**
 * Lowers this thread's scheduling priority to `nice` (never raises it). Linux schedules threads on
 * their own, and setpriority on a thread id affects that thread only: the projector then yields the
 * cores to ingest's threads when both want them, and runs at full speed when they are idle. Elsewhere
 * (no /proc/thread-self) the thread keeps the process's priority. Returns the niceness in force.
 */
export function lowerThreadPriority(nice: number): number | null {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (!Number.isSafeInteger(tid) || tid <= 0) return null;
    if (getPriority(tid) < nice) setPriority(tid, nice);
    return getPriority(tid);
  } catch {
    return null;
  }
}

/** The swc options of jest.config.js: the thread must see the same code the tests see. */
const SWC_OPTIONS = {
  swcrc: false,
  sourceMaps: 'inline',
  jsc: {
    target: 'es2023',
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true },
    keepClassNames: true,
  },
  module: { type: 'commonjs' },
};

function findTsconfig(from: string): string {
  for (let dir = dirname(from); ; dir = dirname(dir)) {
    const candidate = join(dir, 'tsconfig.json');
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) throw new Error(`projection thread: no tsconfig.json above ${from}`);
  }
}

/** Compiles .ts on load (swc, CommonJS) and resolves tsconfig `paths` (exact keys) and extensionless relative imports. */
function installTypeScriptHooks(module: string): void {
  const tsconfigPath = findTsconfig(module);
  const root = dirname(tsconfigPath);
  const options = (JSON.parse(readFileSync(tsconfigPath, 'utf8')) as { compilerOptions?: { baseUrl?: string; paths?: Record<string, string[]> } }).compilerOptions ?? {};
  const base = resolve(root, options.baseUrl ?? '.');
  const aliases = new Map<string, string>();
  for (const [key, targets] of Object.entries(options.paths ?? {})) {
    if (!key.includes('*') && targets[0]) aliases.set(key, pathToFileURL(resolve(base, targets[0])).href);
  }
  const swc = createRequire(tsconfigPath)('@swc/core') as { transformSync(code: string, options: object): { code: string } };
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
      if (!url.startsWith('file:') || !url.endsWith('.ts') || url.includes('/node_modules/')) return nextLoad(url, context);
      const filename = fileURLToPath(url);
      const { code } = swc.transformSync(readFileSync(filename, 'utf8'), { ...SWC_OPTIONS, filename });
      return { format: 'commonjs', source: code, shortCircuit: true };
    },
  });
}

function run(data: ProjectionWorkerData): void {
  if (data.nice) lowerThreadPriority(data.nice);
  if (data.typescript) installTypeScriptHooks(data.module);
  const fn = (createRequire(data.module)(data.module) as Record<string, unknown>)[data.export];
  if (typeof fn !== 'function') throw new TypeError(`projection thread: ${data.module} has no function export "${data.export}"`);
  Promise.resolve()
    .then(() => fn(data.data, parentPort))
    .catch((err: unknown) => {
      // an uncaught exception ends the thread: the parent logs it (its 'error' event) and restarts it
      setImmediate(() => {
        throw err;
      });
    });
}

// Once per thread, even if this file is loaded a second time (by the CommonJS loader under jest).
const STARTED = Symbol.for('temps.projection-thread.started');
const state = globalThis as { [STARTED]?: boolean };
if (!isMainThread && (workerData as Partial<ProjectionWorkerData> | null)?.kind === KIND && !state[STARTED]) {
  state[STARTED] = true;
  run(workerData as ProjectionWorkerData);
}
