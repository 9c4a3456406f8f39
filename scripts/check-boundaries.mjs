// Lint: libs/domain stays pure (no framework, no driver, no I/O); libs never import apps; a store port's
// index reaches no adapter (nor driver, nor Nest): adapters have their own entry points.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

const root = join(import.meta.dirname, '..');
const files = (dir) =>
  readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
const importsOf = (src) => [...src.matchAll(/(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|require\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => m[1] ?? m[2] ?? m[3]);

const rules = [
  {
    dir: 'libs/domain/src',
    // Only relative imports: no NestJS, no database driver, no node I/O modules, no other lib.
    allowed: (spec) => spec.startsWith('./') || spec.startsWith('../'),
    why: 'libs/domain is pure: it may import only its own files (no @nestjs, drivers, node: modules or other libs)',
  },
  ...['otlp', 'event-store', 'read-store', 'projection-runtime', 'realtime', 'access'].map((lib) => ({
    dir: `libs/${lib}/src`,
    allowed: (spec) => !spec.startsWith('@temps/ingest') && !spec.startsWith('@temps/projector') && !spec.startsWith('@temps/gateway') && !spec.includes('/apps/'),
    why: 'libs must not import apps',
  })),
];

let problems = 0;
for (const rule of rules) {
  for (const file of files(join(root, rule.dir))) {
    for (const spec of importsOf(readFileSync(file, 'utf8'))) {
      if (!rule.allowed(spec)) {
        problems++;
        console.error(`${relative(root, file)}: imports "${spec}": ${rule.why}`);
      }
    }
  }
}
// The port index of each store lib and every file it imports statically (import() loads an adapter lazily,
// when configured, so it is allowed): none may be an adapter's file or import an adapter, a driver or Nest.
const staticImportsOf = (src) => [...src.matchAll(/(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\s+['"]([^'"]+)['"]|require\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => m[1] ?? m[2] ?? m[3]);
const DRIVERS = ['node:sqlite', 'mongodb', '@eventstore/db-client'];
const ADAPTER_DIRS = ['sqlite', 'esdb', 'mongo', 'nest'];
for (const lib of ['event-store', 'read-store']) {
  const src = join(root, 'libs', lib, 'src');
  const index = join(src, 'index.ts');
  const seen = new Set();
  const visit = (file, via) => {
    if (seen.has(file)) return;
    seen.add(file);
    const rel = relative(src, file);
    const why = `libs/${lib}/src/index.ts is the port alone (ports, types, pure helpers): adapters and their Nest module have their own entry points (@temps/${lib}/<adapter>)`;
    if (ADAPTER_DIRS.includes(rel.split('/')[0])) {
      problems++;
      console.error(`${relative(root, via)}: reaches the adapter file ${relative(root, file)}: ${why}`);
      return;
    }
    for (const spec of staticImportsOf(readFileSync(file, 'utf8'))) {
      if (spec.startsWith('./') || spec.startsWith('../')) {
        const base = join(dirname(file), spec);
        const target = [`${base}.ts`, join(base, 'index.ts')].find((p) => { try { return statSync(p).isFile(); } catch { return false; } });
        if (target) visit(target, file);
      } else if (DRIVERS.includes(spec) || spec.startsWith('@nestjs/') || spec.startsWith('@temps/event-store/') || spec.startsWith('@temps/read-store/')) {
        problems++;
        console.error(`${relative(root, file)}: imports "${spec}": ${why}`);
      }
    }
  };
  visit(index, index);
}

if (problems) {
  console.error(`boundary check: ${problems} problem(s)`);
  process.exit(1);
}
console.log('boundary check: ok');
