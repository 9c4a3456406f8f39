import type { RawSpan } from '@temps/domain';
import { validateSpan } from './index';

const base: RawSpan = {
  traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
  spanId: '00f067aa0ba902b7',
  name: 'chat gpt-4o',
  kind: 3,
  startTimeUnixNano: '1780000000123456789',
  endTimeUnixNano: '1780000001123456789',
  attributes: [],
  events: [],
  links: [],
  status: { code: 0 },
};
const span = (over: Partial<RawSpan>): RawSpan => ({ ...base, ...over });

describe('validateSpan', () => {
  it('accepts a well-formed span, with or without a parent, and a zero-length span', () => {
    expect(validateSpan(base)).toBeNull();
    expect(validateSpan(span({ parentSpanId: 'b7ad6b7169203331' }))).toBeNull();
    expect(validateSpan(span({ parentSpanId: undefined }))).toBeNull();
    expect(validateSpan(span({ endTimeUnixNano: base.startTimeUnixNano }))).toBeNull();
    // Links to an invalid context: empty (as the Collector sends them) or all-zero ids.
    expect(validateSpan(span({ links: [{ traceId: '', spanId: '', attributes: [{ key: 'k', value: { stringValue: 'v' } }] }] }))).toBeNull();
    expect(validateSpan(span({ links: [{ traceId: '0'.repeat(32), spanId: '0'.repeat(16), attributes: [] }] }))).toBeNull();
  });

  it.each([
    ['no trace id', { traceId: '' }, 'invalid trace id: must be 16 bytes, got 0'],
    ['short trace id', { traceId: '4bf92f3577b34da6' }, 'invalid trace id: must be 16 bytes, got 8'],
    ['long trace id', { traceId: '4bf92f3577b34da6a3ce929d0e0e473600' }, 'invalid trace id: must be 16 bytes, got 17'],
    ['all-zero trace id', { traceId: '00000000000000000000000000000000' }, 'invalid trace id: all zero'],
    ['uppercase trace id (decoders lowercase hex)', { traceId: '4BF92F3577B34DA6A3CE929D0E0E4736' }, 'invalid trace id: not hex'],
    ['odd-length trace id', { traceId: '4bf92f3577b34da6a3ce929d0e0e473' }, 'invalid trace id: must be 16 bytes, got 31 hex digits'],
    ['base64 trace id', { traceId: 'S/kvNXezTaajzpKdDg5HNg==' }, 'invalid trace id: not hex'],
    ['no span id', { spanId: '' }, 'invalid span id: must be 8 bytes, got 0'],
    ['16-byte span id', { spanId: '4bf92f3577b34da6a3ce929d0e0e4736' }, 'invalid span id: must be 8 bytes, got 16'],
    ['all-zero span id', { spanId: '0000000000000000' }, 'invalid span id: all zero'],
    ['4-byte parent id', { parentSpanId: '00f067aa' }, 'invalid parent span id: must be 8 bytes, got 4'],
    ['non-hex parent id', { parentSpanId: 'zzf067aa0ba902b7' }, 'invalid parent span id: not hex'],
    ['link with a 15-byte trace id', { links: [{ traceId: '4bf92f3577b34da6a3ce929d0e0e47', spanId: '', attributes: [] }] }, 'invalid link trace id: must be 16 bytes, got 15'],
    ['link with a short span id', { links: [{ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa', attributes: [] }] }, 'invalid link span id: must be 8 bytes, got 4'],
    ['end before start', { endTimeUnixNano: '1780000000123456788' }, 'invalid time: end before start'],
    ['end before start (fewer digits)', { endTimeUnixNano: '999' }, 'invalid time: end before start'],
    ['end unset', { endTimeUnixNano: '0' }, 'invalid time: end before start'],
    ['time not decimal', { startTimeUnixNano: '1.78e18' }, 'invalid time: not a decimal nanosecond timestamp'],
  ] as const)('rejects a span with %s', (_label, over, reason) => {
    expect(validateSpan(span(over as Partial<RawSpan>))).toBe(reason);
  });

  it('compares 64-bit times exactly, beyond double precision', () => {
    // These two differ by 1 ns; as doubles they are equal.
    expect(Number('9007199254740993')).toBe(Number('9007199254740992'));
    expect(validateSpan(span({ startTimeUnixNano: '9007199254740993', endTimeUnixNano: '9007199254740992' }))).toBe('invalid time: end before start');
    expect(validateSpan(span({ startTimeUnixNano: '18446744073709551614', endTimeUnixNano: '18446744073709551615' }))).toBeNull();
  });

  it('treats an empty parent id as no parent', () => {
    expect(validateSpan(span({ parentSpanId: '' }))).toBeNull();
  });
});
