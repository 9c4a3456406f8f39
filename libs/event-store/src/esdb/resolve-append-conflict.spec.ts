import type { ExpectedState, NewEvent } from '../event-store';
import { resolveAppendConflict, type StreamTail } from './resolve-append-conflict';

const ev = (id: string): NewEvent => ({ id, type: 'T', data: {} });
const tail = (ids: string[], from = 0n): StreamTail => ({
  actual: ids.length ? from + BigInt(ids.length - 1) : 'no_stream',
  events: ids.map((id, i) => ({ id, revision: from + BigInt(i) })),
});
const known = (t: StreamTail) => new Set(t.events.map((e) => e.id));

describe('resolveAppendConflict (the ESDB adapter\'s conflict policy, no server needed)', () => {
  const appends = [[ev('a'), ev('b')], [ev('c')]];

  it('given every event already stored, then it is done whatever the expectation (a retried call)', () => {
    const t = tail(['x', 'a', 'b', 'c']);
    for (const expected of ['any', 'no_stream', 'stream_exists', 0n, 7n] as ExpectedState[]) expect(resolveAppendConflict(expected, appends, t, known(t))).toEqual({ kind: 'done' });
  });

  it('given any, then it resumes after the actual revision', () => {
    const t = tail(['x', 'y']);
    expect(resolveAppendConflict('any', appends, t, known(t))).toEqual({ kind: 'resume', revision: 1n, fromAppend: 0 });
  });

  it('given stream_exists on a missing stream, then it conflicts with no_stream', () => {
    expect(resolveAppendConflict('stream_exists', appends, tail([]), new Set())).toEqual({ kind: 'conflict', actual: 'no_stream' });
  });

  it('given no_stream and the stream holds exactly this call\'s first append, then it resumes with the second', () => {
    const t = tail(['a', 'b']);
    expect(resolveAppendConflict('no_stream', appends, t, known(t))).toEqual({ kind: 'resume', revision: 1n, fromAppend: 1 });
  });

  it('given an exact revision and this call\'s first append after it, then it resumes with the second', () => {
    const t = tail(['x', 'y', 'a', 'b']);
    expect(resolveAppendConflict(1n, appends, t, known(t))).toEqual({ kind: 'resume', revision: 3n, fromAppend: 1 });
  });

  it('given part of an append of this call (not a whole one), then it conflicts: the events are not its own earlier append', () => {
    const t = tail(['a']);
    expect(resolveAppendConflict('no_stream', appends, t, known(t))).toEqual({ kind: 'conflict', actual: 0n });
  });

  it('given someone else\'s event after the expected revision, then it conflicts with the actual revision', () => {
    const t = tail(['x', 'y', 'a', 'b', 'z']);
    expect(resolveAppendConflict(1n, appends, t, known(t))).toEqual({ kind: 'conflict', actual: 4n });
  });

  it('given an expectation ahead of the stream, then it conflicts', () => {
    const t = tail(['x']);
    expect(resolveAppendConflict(5n, appends, t, known(t))).toEqual({ kind: 'conflict', actual: 0n });
  });

  it('given a window that does not reach back to the expected revision, then it conflicts rather than guess', () => {
    const t = tail(['a', 'b'], 10n); // revisions 10..11; expected 1 lies before the window
    expect(resolveAppendConflict(1n, appends, t, new Set())).toEqual({ kind: 'conflict', actual: 11n });
  });
});
