import { BadRequestException } from '@nestjs/common';

/** A query parameter given at most once ('' counts as absent). */
export function one(value: unknown, name: string): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string') throw new BadRequestException(`query parameter "${name}" must be given once`);
  return value;
}

export function isoTime(value: string | undefined, name: string): string | undefined {
  if (value === undefined) return undefined;
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new BadRequestException(`query parameter "${name}" must be an ISO 8601 time, got "${value}"`);
  return new Date(t).toISOString();
}

export function pageLimit(value: unknown, defaults: { default: number; max: number }): number {
  const text = one(value, 'limit');
  const limit = text === undefined ? defaults.default : Number(text);
  if (!Number.isInteger(limit) || limit < 1 || limit > defaults.max) throw new BadRequestException(`limit must be an integer from 1 to ${defaults.max}`);
  return limit;
}

export function oneOf<T extends string>(value: unknown, name: string, allowed: readonly T[]): T | undefined {
  const text = one(value, name);
  if (text !== undefined && !allowed.includes(text as T)) throw new BadRequestException(`${name} must be one of ${allowed.join(', ')}, got "${text}"`);
  return text as T | undefined;
}
