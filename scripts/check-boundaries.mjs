// Lint: libs/domain stays pure (no framework, no driver, no I/O); libs never import apps.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

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
if (problems) {
  console.error(`boundary check: ${problems} problem(s)`);
  process.exit(1);
}
console.log('boundary check: ok');
