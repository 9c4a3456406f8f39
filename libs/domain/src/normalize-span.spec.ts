import type { SpanReceivedData } from './events';
import { msToIso, nanosToIso, normalizeSpan } from './normalize-span';

describe('msToIso / nanosToIso', () => {
  it('equal Date#toISOString for any time, including day boundaries, the epoch and the years past 9999', () => {
    const edges = [0, 1, 999, 86_399_999, 86_400_000, 951_782_400_000 /* 2000-02-29 */, 253_402_300_799_999, 253_402_300_800_000, -1, -86_400_001];
    for (const ms of edges) expect(msToIso(ms)).toBe(new Date(ms).toISOString());
    // Seeded random times over Date's whole range, and runs of nearby ones (the day cache) between far ones.
    let seed = 42;
    const random = () => ((seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0) / 2 ** 32);
    for (let i = 0; i < 20_000; i++) {
      const far = Math.round((random() * 2 - 1) * 8.64e15);
      const near = 1_700_000_000_000 + Math.floor(random() * 5 * 86_400_000);
      for (const ms of [far, near, near + 1]) expect(msToIso(ms)).toBe(new Date(ms).toISOString());
    }
  });

  it('reads nanosecond strings (truncating to the millisecond) and refuses what is not a time', () => {
    expect(nanosToIso('1780000000123999999')).toBe('2026-05-28T20:26:40.123Z');
    expect(nanosToIso('999')).toBe('1970-01-01T00:00:00.000Z');
    expect(() => nanosToIso('12x4567890123')).toThrow(RangeError);
  });
});

describe('values whose keys shadow Object.prototype (found by the property test, seed -1318442786)', () => {
  it('a tool call name given as a kvlist with a `toString` key is written as JSON, not thrown on', () => {
    const data: SpanReceivedData = {
      span: {
        traceId: '0af7651916cd43dd8448eb211c80319c',
        spanId: 'b000000000000001',
        name: '',
        kind: 0,
        startTimeUnixNano: '1780000000000000000',
        endTimeUnixNano: '1780000000500000000',
        attributes: [{ key: 'gen_ai.prompt.1.tool_calls.0.name', value: { kvlistValue: { values: [{ key: 'toString', value: { bytesValue: '' } }] } } }],
        events: [],
        links: [],
        status: { code: 0 },
      },
      resource: { attributes: [] },
      scope: { name: 'property', attributes: [] },
    } as unknown as SpanReceivedData;
    const doc = normalizeSpan(data, { projectId: '1', receivedAt: '2026-11-27T00:00:00.000Z', requestId: 'r', encoding: 'json', schemaVersion: 1 }, 1n);
    expect(doc.mapping?.errors).toBeUndefined();
    expect(doc.inputMessages?.[0]?.parts).toEqual([expect.objectContaining({ type: 'tool_call', name: '{"toString":""}' })]);
  });
});
