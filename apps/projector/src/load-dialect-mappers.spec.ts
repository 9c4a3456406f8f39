import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDialectMapper, loadDialectMappers } from './load-dialect-mappers';

describe('loadDialectMappers', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'temps-dialects-'));
    writeFileSync(join(dir, 'good.js'), `exports.acme = { name: 'acme', ownsPrefixes: ['acme.'], detect: () => true, map: () => ({ understoodKeys: [] }) };\nexports.notAMapper = { name: 'x', detect: true };\n`);
    writeFileSync(join(dir, 'esm.mjs'), `export const acme = { name: 'acme-esm', detect: () => false, map: () => ({ understoodKeys: [] }) };\n`);
    writeFileSync(join(dir, 'broken.js'), `throw new Error('acme sdk not configured');\n`);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('loads the named exports of CommonJS and ES modules, in registration order', () => {
    const mappers = loadDialectMappers([
      { module: join(dir, 'esm.mjs'), export: 'acme' },
      { module: join(dir, 'good.js'), export: 'acme' },
    ]);
    expect(mappers.map((m) => m.name)).toEqual(['acme-esm', 'acme']);
  });

  it('names the registration and the problem: missing module, module failing to load, missing export, not a mapper', () => {
    const load = (module: string, name: string) => () => loadDialectMappers([{ module: join(dir, module), export: name }]);
    expect(load('nope.js', 'acme')).toThrow(new RegExp(`^dialect mapper ${dir}/nope\\.js#acme: cannot load the module: Cannot find module`));
    expect(load('broken.js', 'acme')).toThrow(/broken\.js#acme: cannot load the module: acme sdk not configured/);
    expect(load('good.js', 'acmeDialect')).toThrow(/good\.js#acmeDialect: the module has no export "acmeDialect" \(it exports: acme, notAMapper\)/);
    expect(load('good.js', 'notAMapper')).toThrow(/good\.js#notAMapper: the export is not a DialectMapper/);
  });

  it('checks the shape only', () => {
    const base = { name: 'n', detect: () => true, map: () => ({ understoodKeys: [] }) };
    expect(isDialectMapper(base)).toBe(true);
    expect(isDialectMapper({ ...base, name: '' })).toBe(false);
    expect(isDialectMapper({ ...base, ownsPrefixes: 'acme.' })).toBe(false);
    expect(isDialectMapper(null)).toBe(false);
  });
});
