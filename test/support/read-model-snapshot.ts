import { mappingRowIdPrefix, usageRowIdPrefix } from '@temps/domain';
import type { TraceQueries } from '@temps/read-store';

/** Everything a reader can see of a build: traces, spans, usage, mapping coverage, sessions. */
export async function readModel(store: TraceQueries) {
  const traces = (await store.listTraces('1', { limit: 500 })).items;
  const details = await Promise.all(traces.map((t) => store.getTrace('1', t.traceId)));
  const counters = [
    ...(await store.counterRows({ from: usageRowIdPrefix('1'), to: `${usageRowIdPrefix('1')}\uffff` })),
    ...(await store.counterRows({ from: mappingRowIdPrefix('1'), to: `${mappingRowIdPrefix('1')}\uffff` })),
  ];
  const sessions = (await store.listSessions('1', { limit: 500 })).items;
  return { traces, details, counters, sessions };
}

