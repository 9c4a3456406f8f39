import type { NewEvent } from '../event-store';
import { EventTooLargeError, estimateEventBytes, splitAppends, uniqueEvents } from './split-appends';

const ev = (id: string, size = 10): NewEvent => ({ id, type: 'T', data: { s: 'x'.repeat(size) } });
const bySize = (e: NewEvent) => (e.data as { s: string }).s.length;

describe('splitAppends (cutting a stream\'s events under the max append size, no server needed)', () => {
  it('given events that fit, then one append holds them all', () => {
    expect(splitAppends([ev('a'), ev('b')], 100, bySize).map((a) => a.map((e) => e.id))).toEqual([['a', 'b']]);
  });

  it('given more than the limit, then appends are cut in order, each at most the limit', () => {
    const events = Array.from({ length: 10 }, (_, i) => ev(String(i), 30));
    const appends = splitAppends(events, 100, bySize);
    expect(appends.map((a) => a.length)).toEqual([3, 3, 3, 1]);
    expect(appends.flat().map((e) => e.id)).toEqual(events.map((e) => e.id));
  });

  it('given the same events twice, then the cut is the same (a retry recognises its own earlier appends)', () => {
    const events = Array.from({ length: 50 }, (_, i) => ev(String(i), (i * 37) % 90));
    expect(splitAppends(events, 200, bySize)).toEqual(splitAppends([...events], 200, bySize));
  });

  it('given one event over the limit, then it refuses with the event id and sizes', () => {
    expect(() => splitAppends([ev('a', 10), ev('big', 500)], 100, bySize)).toThrow(new EventTooLargeError('big', 500, 100));
  });

  it('given an event, then the estimate is above its data, metadata and type bytes (the server counts those)', () => {
    const e: NewEvent = { id: 'a', type: 'SpanReceived', data: { s: 'é'.repeat(100) } };
    expect(estimateEventBytes(e, 50)).toBeGreaterThan(Buffer.byteLength(JSON.stringify(e.data)) + 50 + 'SpanReceived'.length);
  });
});

describe('uniqueEvents', () => {
  it('given repeats, then the first of each id is kept in order; an event without an id is refused', () => {
    const a = ev('a');
    expect(uniqueEvents([a, ev('b'), { ...a }]).map((e) => e.id)).toEqual(['a', 'b']);
    expect(() => uniqueEvents([ev('')])).toThrow(/non-empty string id/);
  });
});
