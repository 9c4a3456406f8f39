import { EVENT_TYPE, STREAM_NAME, type PrefixesFilter, type RegexFilter } from '@eventstore/db-client';
import { esdbEventFilter, matchesEsdbEventFilter } from './esdb-event-filter';

const samples = [
  { streamId: 'trace-1-abc', type: 'SpanReceived' },
  { streamId: 'access', type: 'ApiKeyCreated' },
  { streamId: '$stats-127.0.0.1:2113', type: '$statsCollected' },
  { streamId: '$$trace-1-abc', type: '$metadata' },
  { streamId: '$ce-trace', type: '$>' },
  { streamId: '$scavenges', type: '$scavengeStarted' },
  { streamId: 'confab12-trace-1', type: 'SpanReceived' },
  { streamId: 'other-trace-1', type: 'SpanReceived' },
];

/** What the server does with the filter this adapter sends (regex on the type, or stream name prefixes). */
function serverKeeps(filter: RegexFilter | PrefixesFilter, e: { streamId: string; type: string }): boolean {
  const subject = filter.filterOn === EVENT_TYPE ? e.type : e.streamId;
  return 'regex' in filter ? new RegExp(filter.regex).test(subject) : filter.prefixes.some((p) => subject.startsWith(p));
}

describe('esdbEventFilter (server-side $all filter, no server needed)', () => {
  it('given no prefix, then it filters on the event type and drops system events ($-prefixed)', () => {
    const filter = esdbEventFilter('');
    expect(filter.filterOn).toBe(EVENT_TYPE);
    const kept = samples.filter((e) => serverKeeps(filter, e)).map((e) => e.type);
    expect(kept).toEqual(['SpanReceived', 'ApiKeyCreated', 'SpanReceived', 'SpanReceived']);
  });

  it('given a prefix, then it keeps only streams with that prefix', () => {
    const filter = esdbEventFilter('confab12-');
    expect(filter).toMatchObject({ filterOn: STREAM_NAME, prefixes: ['confab12-'] });
    expect(samples.filter((e) => serverKeeps(filter, e)).map((e) => e.streamId)).toEqual(['confab12-trace-1']);
  });

  it.each(['', 'confab12-'])('given prefix "%s", then the client-side predicate (for the head) keeps exactly what the server filter keeps', (prefix) => {
    const filter = esdbEventFilter(prefix);
    for (const e of samples) expect([e, matchesEsdbEventFilter(prefix, e)]).toEqual([e, serverKeeps(filter, e)]);
  });
});
