import { type DynamicModule, Module } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { checkModuleExportRef, collectRegistrations, moduleExportRefsFromEnv, type ModuleExportRef } from './module-export-ref';

/** Where a team dialect mapper lives (see ModuleExportRef): its export is a DialectMapper. */
export type DialectMapperRef = ModuleExportRef;

/** Nest injection token: every registered DialectMapperRef, in registration order (TraceProjectorService reads it). */
export const DIALECT_MAPPERS = Symbol('DialectMappers');

/** What one `register()` provides; DIALECT_MAPPERS collects all of them, so registrations add up. */
export class DialectMapperRegistration {
  constructor(readonly refs: readonly DialectMapperRef[]) {}
}

/**
 * Registers team dialect mappers with the projector, in front of the built-in ones:
 *
 *   DialectMappersModule.register([{ module: require.resolve('./acme-dialect'), export: 'acmeDialect' }])
 *
 * Import it in any module of the app (ProjectorModule finds it wherever it is). Several registrations
 * add up in the order Nest imports their modules; `temps serve` registers TEMPS_DIALECTS the same way.
 */
@Module({})
export class DialectMappersModule {
  static register(refs: readonly DialectMapperRef[]): DynamicModule {
    const checked = refs.map((r) => checkModuleExportRef(r, 'DialectMappersModule.register', './my-dialect'));
    return { module: DialectMappersModule, providers: [{ provide: DialectMapperRegistration, useValue: new DialectMapperRegistration(checked) }] };
  }

  /** The registration of TEMPS_DIALECTS (see dialectMapperRefsFromEnv); nothing when it is unset. */
  static fromEnv(env: NodeJS.ProcessEnv = process.env): DynamicModule {
    return DialectMappersModule.register(dialectMapperRefsFromEnv(env));
  }
}

/**
 * TEMPS_DIALECTS=/abs/path/acme-dialect.js#acmeDialect[,/abs/other.js#otherDialect]: team mappers for
 * `temps serve`, in precedence order (the first wins a field both fill).
 */
export function dialectMapperRefsFromEnv(env: NodeJS.ProcessEnv = process.env): DialectMapperRef[] {
  return moduleExportRefsFromEnv('TEMPS_DIALECTS', env);
}

/** Every registration in the app, in module order (value providers are known as soon as Nest has scanned the modules). */
export function registeredDialectMappers(discovery: DiscoveryService): DialectMapperRef[] {
  return collectRegistrations(discovery, DialectMapperRegistration);
}
