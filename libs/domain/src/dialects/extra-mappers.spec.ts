import type { KeyValue } from '../any-value';
import type { IngestMetadata, SpanReceivedData } from '../events';
import { normalizeSpan } from '../normalize-span';
import { foldTraceBatch, rebuildTraces, type ProjectableEvent } from '../trace-projection';
import type { DialectMapper } from './types';

/** Team mappers (NormalizeOptions.extraMappers): their place in the precedence, their keys in the report, their failures. */

const meta: IngestMetadata = { projectId: '1', receivedAt: '2026-11-27T00:00:00.000Z', requestId: 'r', encoding: 'protobuf', schemaVersion: 1 };
const kv = (o: Record<string, string | number>): KeyValue[] =>
  Object.entries(o).map(([key, v]) => ({ key, value: typeof v === 'number' ? { intValue: String(v) } : { stringValue: v } }));

function span(attrs: Record<string, string | number>, spanId = 'b000000000000001'): SpanReceivedData {
  return {
    span: {
      traceId: '0af7651916cd43dd8448eb211c80319c',
      spanId,
      name: 'call',
      kind: 3,
      startTimeUnixNano: '1780000000000000000',
      endTimeUnixNano: '1780000000500000000',
      attributes: kv(attrs),
      events: [],
      links: [],
      status: { code: 0 },
    },
    resource: { attributes: kv({ 'service.name': 'svc' }) },
    scope: { name: 'acme', attributes: [] },
  };
}

/** acme.model, acme.in, acme.out; also claims gen_ai.request.model (a team overriding the built-in reading of a shared key). */
const acme: DialectMapper = {
  name: 'acme',
  ownsPrefixes: ['acme.'],
  detect: (a) => 'acme.model' in a,
  map: (a) => ({
    kind: 'generation',
    requestModel: `acme/${String(a['gen_ai.request.model'] ?? a['acme.model'])}`,
    inputTokens: Number(a['acme.in']),
    understoodKeys: ['acme.model', 'acme.in', 'gen_ai.request.model'],
  }),
};
const throwingMap: DialectMapper = { name: 'broken-map', detect: () => true, map: () => { throw new Error('boom: acme.out is not a number'); } };
const throwingDetect: DialectMapper = { name: 'broken-detect', detect: () => { throw new TypeError('cannot read acme'); }, map: () => ({ understoodKeys: [] }) };
const nullResult = { name: 'null-result', detect: () => true, map: () => null } as unknown as DialectMapper;

const ATTRS = { 'acme.model': 'a1', 'acme.in': 12, 'acme.out': 3, 'gen_ai.request.model': 'gpt-4o', 'gen_ai.usage.input_tokens': 99, 'gen_ai.usage.output_tokens': 5 };
const norm = (mappers: DialectMapper[], attrs: Record<string, string | number> = ATTRS) => normalizeSpan(span(attrs), meta, 1n, { extraMappers: mappers });

describe('team dialect mappers (extraMappers)', () => {
  it('run before the built-in mappers: they win the fields they fill, the built-ins fill the rest', () => {
    const doc = norm([acme]);
    expect(doc).toMatchObject({ kind: 'generation', requestModel: 'acme/gpt-4o', inputTokens: 12, outputTokens: 5 });
    expect(doc.mapping).toEqual({ dialects: ['acme', 'otel-genai'], unmappedKeys: ['acme.out'] });
    // without the team mapper: the built-in reading, and acme.* is nobody's, so not reported
    expect(normalizeSpan(span(ATTRS), meta, 1n)).toMatchObject({ requestModel: 'gpt-4o', inputTokens: 99, mapping: { dialects: ['otel-genai'], unmappedKeys: [] } });
  });

  it('among themselves, the first registered wins', () => {
    const other: DialectMapper = { name: 'other', detect: () => true, map: () => ({ requestModel: 'other', outputTokens: 1, understoodKeys: ['acme.out'] }) };
    expect(norm([other, acme])).toMatchObject({ requestModel: 'other', inputTokens: 12, outputTokens: 1, mapping: { dialects: ['other', 'acme', 'otel-genai'], unmappedKeys: [] } });
    expect(norm([acme, other])).toMatchObject({ requestModel: 'acme/gpt-4o', outputTokens: 1 });
  });

  it('report unknown keys under their ownsPrefixes even on spans they do not detect', () => {
    expect(norm([acme], { 'acme.trace_hint': 'x', 'gen_ai.request.model': 'm' }).mapping).toEqual({ dialects: ['otel-genai'], unmappedKeys: ['acme.trace_hint'] });
  });

  it('a mapper that throws (in map or detect) or returns no object is skipped for that span and reported; the others still apply', () => {
    const doc = norm([throwingMap, throwingDetect, nullResult, acme]);
    expect(doc).toMatchObject({ requestModel: 'acme/gpt-4o', inputTokens: 12, outputTokens: 5 });
    expect(doc.mapping).toEqual({
      dialects: ['acme', 'otel-genai'],
      unmappedKeys: ['acme.out'],
      errors: [
        { dialect: 'broken-map', message: 'boom: acme.out is not a number' },
        { dialect: 'broken-detect', message: 'cannot read acme' },
        { dialect: 'null-result', message: 'map() returned null, not an object' },
      ],
    });
  });

  it('keeps error messages short: they are stored on every span the mapper fails on', () => {
    const long: DialectMapper = { name: 'long', detect: () => true, map: () => { throw 'x'.repeat(1000); } };
    expect(norm([long]).mapping!.errors![0]!.message).toHaveLength(301);
  });

  it('reach every span through foldTraceBatch and rebuildTraces (TraceProjectionOptions.extraMappers)', () => {
    const event: ProjectableEvent = { type: 'SpanReceived', position: 1n, data: span(ATTRS), metadata: meta };
    expect(foldTraceBatch([], [event], { extraMappers: [acme] }).spans[0]).toMatchObject({ requestModel: 'acme/gpt-4o', mapping: { dialects: ['acme', 'otel-genai'] } });
    expect(rebuildTraces([event], { extraMappers: [acme] }).spans[0]).toMatchObject({ requestModel: 'acme/gpt-4o', mapping: { dialects: ['acme', 'otel-genai'] } });
    expect(foldTraceBatch([], [event]).spans[0]).toMatchObject({ requestModel: 'gpt-4o' });
  });
});
