import 'reflect-metadata';
import { GenaiMetricsQuery, TraceListQuery, UsageQuery } from './query-dtos';
import { parseQueryDto, queryFieldsOf } from './query-field';

const messageOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return (err as { getResponse(): { statusCode: number; message: string } }).getResponse();
  }
  throw new Error('no error');
};

describe('query DTOs (QueryField, parseQueryDto)', () => {
  it('reads a valid query into an instance: defaults, trimmed text, normalized times; absent and empty are undefined', () => {
    const q = parseQueryDto(TraceListQuery, { status: 'error', q: '  refund  ', from: '2026-01-01T01:00:00+01:00', model: '' });
    expect(q).toBeInstanceOf(TraceListQuery);
    expect({ ...q }).toEqual({ provider: undefined, model: undefined, status: 'error', service: undefined, q: 'refund', from: '2026-01-01T00:00:00.000Z', to: undefined, limit: 50, cursor: undefined });
  });

  it('answers 400 with the message of the field', () => {
    expect(messageOf(() => parseQueryDto(TraceListQuery, { status: 'broken' }))).toMatchObject({ statusCode: 400, message: 'status must be one of ok, error, unset, got "broken"' });
    expect(messageOf(() => parseQueryDto(TraceListQuery, { limit: '501' })).message).toBe('limit must be an integer from 1 to 500');
    expect(messageOf(() => parseQueryDto(TraceListQuery, { limit: '2.5' })).message).toBe('limit must be an integer from 1 to 500');
    expect(messageOf(() => parseQueryDto(TraceListQuery, { from: 'yesterday' })).message).toBe('query parameter "from" must be an ISO 8601 time, got "yesterday"');
    expect(messageOf(() => parseQueryDto(TraceListQuery, { model: ['a', 'b'] })).message).toBe('query parameter "model" must be given once');
    expect(messageOf(() => parseQueryDto(TraceListQuery, { q: 'x'.repeat(201) })).message).toBe('q must be at most 200 characters');
    expect(messageOf(() => parseQueryDto(GenaiMetricsQuery, {})).message).toMatch(/^query parameter "metric" is required: one of gen_ai\.client\.token\.usage, /);
  });

  it('a subclass has its parent\'s fields, then its own', () => {
    expect(queryFieldsOf(UsageQuery).map(([name]) => name)).toEqual(['from', 'to', 'bucket', 'groupBy', 'limit', 'cursor', 'provider', 'model']);
    expect(queryFieldsOf(GenaiMetricsQuery).map(([name]) => name)).toContain('metric');
    expect(queryFieldsOf(UsageQuery).map(([name]) => name)).not.toContain('metric');
  });
});
