import { BadRequestException } from '@nestjs/common';

/**
 * One query parameter of a DTO class: how it is read from the raw query (each at most once; '' counts as
 * absent) and described in the OpenAPI document. The same declaration validates and documents.
 */
export type QueryFieldSpec = { description: string } & (
  | { kind: 'string'; maxLength?: number; trim?: boolean }
  /** An ISO 8601 time, answered normalized (`toISOString`). */
  | { kind: 'time' }
  /** A whole number in [min, max], `default` when absent. */
  | { kind: 'integer'; min: number; max: number; default: number }
  | { kind: 'enum'; values: readonly string[]; required?: boolean }
);

const FIELDS = Symbol('temps:query-fields');
type WithFields = { [FIELDS]?: Map<string, QueryFieldSpec> };

/** Declares a property of a query DTO class as a query parameter. */
export function QueryField(spec: QueryFieldSpec): PropertyDecorator {
  return (target, property) => {
    const owner = target as WithFields;
    // a subclass gets its own map, starting with its parent's fields
    if (!Object.hasOwn(owner, FIELDS)) owner[FIELDS] = new Map(owner[FIELDS] ?? []);
    owner[FIELDS]!.set(String(property), spec);
  };
}

/** The declared query parameters of a DTO class, in declaration order (empty for any other class). */
export function queryFieldsOf(dto: abstract new () => unknown): [string, QueryFieldSpec][] {
  return [...((dto.prototype as WithFields)[FIELDS] ?? new Map())];
}

/** A query parameter given at most once ('' counts as absent). */
function one(value: unknown, name: string): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string') throw new BadRequestException(`query parameter "${name}" must be given once`);
  return value;
}

function readField(raw: unknown, name: string, spec: QueryFieldSpec): unknown {
  const text = one(raw, name);
  switch (spec.kind) {
    case 'string': {
      const value = spec.trim ? text?.trim() : text;
      if (value !== undefined && spec.maxLength !== undefined && value.length > spec.maxLength) throw new BadRequestException(`${name} must be at most ${spec.maxLength} characters`);
      return value || undefined;
    }
    case 'time': {
      if (text === undefined) return undefined;
      const t = Date.parse(text);
      if (Number.isNaN(t)) throw new BadRequestException(`query parameter "${name}" must be an ISO 8601 time, got "${text}"`);
      return new Date(t).toISOString();
    }
    case 'integer': {
      const n = text === undefined ? spec.default : Number(text);
      if (!Number.isInteger(n) || n < spec.min || n > spec.max) throw new BadRequestException(`${name} must be an integer from ${spec.min} to ${spec.max}`);
      return n;
    }
    case 'enum': {
      if (text === undefined) {
        if (spec.required) throw new BadRequestException(`query parameter "${name}" is required: one of ${spec.values.join(', ')}`);
        return undefined;
      }
      if (!spec.values.includes(text)) throw new BadRequestException(`${name} must be one of ${spec.values.join(', ')}, got "${text}"`);
      return text;
    }
  }
}

/** Reads the raw query into an instance of `dto`, field by field in declaration order; 400 with the field's message. */
export function parseQueryDto<T extends object>(dto: new () => T, raw: Record<string, unknown>): T {
  const out = new dto() as Record<string, unknown>;
  for (const [name, spec] of queryFieldsOf(dto)) out[name] = readField(raw?.[name], name, spec);
  return out as T;
}
