import { runBenchScript } from '../support/run-bench-script';

/**
 * `npm run bench`'s EventStoreDB part (bench/esdb-simulator.bench.mjs) runs on the built code (npm run
 * build:server first), at 8 ms per append on the EsdbSimulator, and reports its figures. Small here (one
 * request per sender): the figures are the lead's to measure; this checks that the part runs to its end on
 * the wiring as shipped (it once required the adapters from the ports' index, which no longer exports them,
 * and failed before printing a figure) and that its round-trip count holds N + 1.
 */
const runBench = () => runBenchScript('esdb-simulator.bench.mjs', { BENCH_ESDB_BATCHES_PER_SENDER: '1', BENCH_ESDB_APPEND_MS: '8' });

describe('npm run bench, EventStoreDB part on the simulator (built code, 4 requests of 128 traces)', () => {
  it('runs to its end and prints acked spans/s, round trips per request (at most N + 1 for N traces) and first-build events/s beside the embedded figures', async () => {
    const { code, out } = await runBench();
    expect([code, out]).toEqual([0, expect.any(String)]);
    expect(out).toContain('(8 ms per append)');
    const acked = /acked spans\/s\s+embedded ([\d,]+)\s+esdb-simulator ([\d,]+)/.exec(out);
    const trips = /round trips\/request\s+([\d.]+) \(appends ([\d.]+)\) for (\d+) traces/.exec(out);
    const build = /first build events\/s\s+embedded ([\d,]+)\s+esdb-simulator ([\d,]+).*\(([\d,]+) events\)/.exec(out);
    expect([acked, trips, build].map((m) => m !== null)).toEqual([true, true, true]);
    const n = (s: string) => Number(s.replaceAll(',', ''));
    expect(n(acked![1]!)).toBeGreaterThan(0);
    expect(n(acked![2]!)).toBeGreaterThan(0);
    const traces = Number(trips![3]);
    expect(traces).toBe(128);
    expect(Number(trips![2])).toBe(traces); // one append per trace stream
    expect(Number(trips![1])).toBeLessThanOrEqual(traces + 1);
    expect(n(build![3]!)).toBeGreaterThanOrEqual(4 * 512); // every span ingested was built from the simulator's log
    expect(n(build![2]!)).toBeGreaterThan(0);
  }, 180_000);
});
