import type { DialectMapper } from '@temps/domain';
import type { DialectMapperRef } from './dialect-mappers.module';
import { loadModuleExport } from './module-export-ref';

/** Shape check only (name, detect, map): what a mapper reads is its own business. */
export function isDialectMapper(value: unknown): value is DialectMapper {
  const m = value as Partial<DialectMapper> | null;
  return (
    typeof m === 'object' &&
    m !== null &&
    typeof m.name === 'string' &&
    m.name.length > 0 &&
    typeof m.detect === 'function' &&
    typeof m.map === 'function' &&
    (m.ownsPrefixes === undefined || (Array.isArray(m.ownsPrefixes) && m.ownsPrefixes.every((p) => typeof p === 'string')))
  );
}

/**
 * Loads registered mappers by path, with an error that names the registration when the module, the
 * export or its shape is wrong. Runs where the projection runs (main thread in-process, the projector
 * thread otherwise) and once at start on the main thread, so a bad registration stops `temps serve` at
 * once instead of crash-looping its thread.
 */
export function loadDialectMappers(refs: readonly DialectMapperRef[]): DialectMapper[] {
  const shape = 'a DialectMapper (needs a non-empty string name, detect() and map() functions, optional ownsPrefixes: string[])';
  return refs.map((ref) => loadModuleExport(ref, 'dialect mapper', isDialectMapper, shape));
}
