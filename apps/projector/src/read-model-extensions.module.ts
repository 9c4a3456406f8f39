import { type DynamicModule, Module } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { EXTENSION_NAME, type ReadModelExtension } from '@temps/domain';
import { checkModuleExportRef, collectRegistrations, loadModuleExport, moduleExportRefsFromEnv, type ModuleExportRef } from './module-export-ref';

/** Where a team read model lives (see ModuleExportRef): its export is a ReadModelExtension. */
export type ReadModelExtensionRef = ModuleExportRef;

/** Nest injection token: every registered ReadModelExtensionRef, in registration order. */
export const READ_MODEL_EXTENSIONS = Symbol('ReadModelExtensions');

/** What one `register()` provides; READ_MODEL_EXTENSIONS collects all of them, so registrations add up. */
export class ReadModelExtensionRegistration {
  constructor(readonly refs: readonly ReadModelExtensionRef[]) {}
}

/**
 * Registers team read models with the trace projection:
 *
 *   ReadModelExtensionsModule.register([{ module: require.resolve('./user-usage'), export: 'userUsage' }])
 *
 * The projection folds them with the traces (checkpoints, blue/green rebuilds, SQLite or MongoDB come
 * with it); adding one, or bumping its version, builds the read models again beside the serving ones.
 * `temps serve` registers TEMPS_READ_MODELS the same way.
 */
@Module({})
export class ReadModelExtensionsModule {
  static register(refs: readonly ReadModelExtensionRef[]): DynamicModule {
    const checked = refs.map((r) => checkModuleExportRef(r, 'ReadModelExtensionsModule.register', './my-read-model'));
    return { module: ReadModelExtensionsModule, providers: [{ provide: ReadModelExtensionRegistration, useValue: new ReadModelExtensionRegistration(checked) }] };
  }

  /** The registration of TEMPS_READ_MODELS (/abs/path/module.js#exportName[,...]); nothing when it is unset. */
  static fromEnv(env: NodeJS.ProcessEnv = process.env): DynamicModule {
    return ReadModelExtensionsModule.register(moduleExportRefsFromEnv('TEMPS_READ_MODELS', env));
  }
}

export function registeredReadModelExtensions(discovery: DiscoveryService): ReadModelExtensionRef[] {
  return collectRegistrations(discovery, ReadModelExtensionRegistration);
}

export function isReadModelExtension(value: unknown): value is ReadModelExtension {
  const x = value as Partial<ReadModelExtension> | null;
  return typeof x === 'object' && x !== null && typeof x.name === 'string' && EXTENSION_NAME.test(x.name) && Number.isInteger(x.version) && typeof x.contribute === 'function';
}

/** Loads registered read models by path (where the projection runs, and once at start on the main thread). */
export function loadReadModelExtensions(refs: readonly ReadModelExtensionRef[]): ReadModelExtension[] {
  const shape = 'a ReadModelExtension (needs a name matching [a-z0-9_-]{1,40}, an integer version and a contribute() function)';
  const loaded = refs.map((ref) => loadModuleExport(ref, 'read model', isReadModelExtension, shape));
  const names = new Set<string>();
  for (const x of loaded) {
    if (names.has(x.name)) throw new Error(`read model "${x.name}" is registered twice (from different modules): names must be unique`);
    names.add(x.name);
  }
  return loaded;
}
