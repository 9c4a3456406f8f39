import { isAbsolute } from 'node:path';
import type { DiscoveryService } from '@nestjs/core';

/**
 * Where a team's code lives: an absolute module path and the name of an export. A path, not the
 * object: the projector thread loads it itself (functions cannot cross to a thread), and a rebuild
 * or another process can load the same code.
 */
export interface ModuleExportRef {
  /** Absolute path: `require.resolve('./acme-dialect')` (its .ts under jest, its .js when built). */
  module: string;
  export: string;
}

/** Throws, naming `where`, unless the ref is an absolute path and an export name. */
export function checkModuleExportRef(ref: ModuleExportRef, where: string, example: string): ModuleExportRef {
  if (typeof ref?.module !== 'string' || !isAbsolute(ref.module)) {
    throw new Error(`${where}: module must be an absolute path (e.g. require.resolve('${example}')), got ${JSON.stringify(ref?.module)}`);
  }
  if (typeof ref.export !== 'string' || !ref.export) throw new Error(`${where}: export must name the export in ${ref.module}`);
  return { module: ref.module, export: ref.export };
}

/** `VAR=/abs/path/module.js#exportName[,/abs/other.js#other]`: refs in order; empty when unset. */
export function moduleExportRefsFromEnv(name: string, env: NodeJS.ProcessEnv): ModuleExportRef[] {
  const raw = (env[name] ?? '').trim();
  if (!raw) return [];
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((entry) => {
      const hash = entry.lastIndexOf('#');
      const module = hash > 0 ? entry.slice(0, hash) : entry;
      const exportName = hash > 0 ? entry.slice(hash + 1) : '';
      if (!exportName || !isAbsolute(module)) throw new Error(`${name}: "${entry}" must be /absolute/path/to/module.js#exportName (comma-separated for several)`);
      return { module, export: exportName };
    });
}

/**
 * Loads one export by path, with an error naming the registration (`what`) when the module, the
 * export or its shape (`isValid`, described by `shape`) is wrong.
 */
export function loadModuleExport<T>(ref: ModuleExportRef, what: string, isValid: (value: unknown) => value is T, shape: string): T {
  let exports: Record<string, unknown>;
  try {
    // require: jest compiles a .ts file here as it does the app; Node 24 loads .js, .cjs, .mjs (no top-level await) and erasable .ts
    exports = require(ref.module) as Record<string, unknown>;
  } catch (err) {
    throw new Error(`${what} ${ref.module}#${ref.export}: cannot load the module: ${(err as Error).message}`);
  }
  if (!(ref.export in exports)) {
    const names = Object.keys(exports).filter((k) => k !== '__esModule');
    throw new Error(`${what} ${ref.module}#${ref.export}: the module has no export "${ref.export}" (it exports: ${names.join(', ') || 'nothing'})`);
  }
  const value = exports[ref.export];
  if (!isValid(value)) throw new Error(`${what} ${ref.module}#${ref.export}: the export is not ${shape}`);
  return value;
}

/**
 * Every registration of one kind in the app (instances of `registration` provided by modules), in module
 * order; the same ref registered twice counts once, at its first place.
 */
export function collectRegistrations(discovery: DiscoveryService, registration: abstract new (...args: never[]) => { refs: readonly ModuleExportRef[] }): ModuleExportRef[] {
  const refs = new Map<string, ModuleExportRef>();
  for (const wrapper of discovery.getProviders()) {
    if (!(wrapper.instance instanceof registration)) continue;
    for (const ref of wrapper.instance.refs) if (!refs.has(`${ref.module}#${ref.export}`)) refs.set(`${ref.module}#${ref.export}`, ref);
  }
  return [...refs.values()];
}
