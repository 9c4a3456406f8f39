// Preloaded (NODE_OPTIONS=--import) into a `temps serve` under test: at exit, appends the path of every CommonJS
// module the process (or thread) loaded to TEMPS_MODULE_LOADS_FILE, so a test can tell which installed packages a
// role really needs at run time (the Docker image keeps production dependencies only: npm prune --omit=dev).
import { appendFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const out = process.env.TEMPS_MODULE_LOADS_FILE;
if (out) {
  const require = createRequire(import.meta.url);
  process.on('exit', () => appendFileSync(out, Object.keys(require.cache).join('\n') + '\n'));
}
