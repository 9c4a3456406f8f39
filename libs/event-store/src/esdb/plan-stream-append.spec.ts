import { randomUUID } from 'node:crypto';
import type { ExpectedState, NewEvent } from '../event-store';
import { planStreamAppend } from './plan-stream-append';

const ev = (id = randomUUID()): NewEvent => ({ id, type: 'T', data: {} });
const none = { revision: 'no_stream' as const, ids: new Set<string>() };
const atTwo = (ids: string[] = []) => ({ revision: 2n, ids: new Set(ids) });

describe('planStreamAppend (the ESDB adapter append rules, no server needed)', () => {
  it.each<[string, ExpectedState, { revision: bigint | 'no_stream'; ids: Set<string> }, 'append' | 'conflict']>([
    ['any on a new stream', 'any', none, 'append'],
    ['any on an existing stream', 'any', atTwo(), 'append'],
    ['no_stream on a new stream', 'no_stream', none, 'append'],
    ['no_stream on an existing stream', 'no_stream', atTwo(), 'conflict'],
    ['stream_exists on a new stream', 'stream_exists', none, 'conflict'],
    ['stream_exists on an existing stream', 'stream_exists', atTwo(), 'append'],
    ['the exact revision', 2n, atTwo(), 'append'],
    ['a revision behind', 1n, atTwo(), 'conflict'],
    ['a revision ahead', 5n, atTwo(), 'conflict'],
    ['revision 0 on a new stream', 0n, none, 'conflict'],
  ])('given %s, then the plan is %s', (_label, expected, state, kind) => {
    expect(planStreamAppend([ev()], expected, state).kind).toBe(kind);
  });

  it('given a conflict, then it reports the actual state it read', () => {
    expect(planStreamAppend([ev()], 'no_stream', atTwo())).toEqual({ kind: 'conflict', actual: 2n });
    expect(planStreamAppend([ev()], 1n, none)).toEqual({ kind: 'conflict', actual: 'no_stream' });
  });

  it('given an append, then it is pinned to the revision read, never to the caller\'s looser state', () => {
    const plan = planStreamAppend([ev()], 'any', atTwo());
    expect(plan).toMatchObject({ kind: 'append', expectedRevision: 2n });
    expect(planStreamAppend([ev()], 'stream_exists', atTwo())).toMatchObject({ expectedRevision: 2n });
    expect(planStreamAppend([ev()], 'any', none)).toMatchObject({ expectedRevision: 'no_stream' });
  });

  it('given known and new ids mixed, then only the new ones are appended, in their order', () => {
    const [a, b, c, d] = [ev(), ev(), ev(), ev()];
    const plan = planStreamAppend([a!, c!, b!, d!], 'any', atTwo([a!.id, b!.id]));
    expect(plan).toMatchObject({ kind: 'append', events: [c, d] });
  });

  it('given the same id twice in one call, then it is appended once', () => {
    const a = ev();
    const plan = planStreamAppend([a, { ...a }, ev()], 'any', none);
    expect(plan.kind === 'append' && plan.events.map((e) => e.id)).toEqual([a.id, expect.any(String)]);
    expect(plan.kind === 'append' && plan.events).toHaveLength(2);
  });

  it('given only known ids, then it is a no-op whatever the expectation (a retried call after a lost ack)', () => {
    const a = ev();
    for (const expected of ['any', 'no_stream', 'stream_exists', 0n, 7n] as ExpectedState[]) {
      expect(planStreamAppend([a], expected, atTwo([a.id]))).toEqual({ kind: 'skip' });
    }
  });

  it('given known ids plus new ones and a stale expectation, then it still conflicts', () => {
    const a = ev();
    expect(planStreamAppend([a, ev()], 'no_stream', atTwo([a.id])).kind).toBe('conflict');
  });

  it('given an event without an id, then it refuses it', () => {
    expect(() => planStreamAppend([{ id: '', type: 'T', data: {} }], 'any', none)).toThrow(/non-empty string id/);
  });
});
