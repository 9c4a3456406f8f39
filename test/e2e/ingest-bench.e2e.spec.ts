import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runBenchScript } from '../support/run-bench-script';
import { repoRoot } from '../support/temps-server';

/**
 * `npm run bench`'s ingest part (bench/run.mjs, BENCH_PARTS=ingest) runs on the built code (npm run
 * build:server first) and prints every figure the issue asks of it: ingest beside protobuf decode alone, the
 * same load on the warm server, JSON and gzip, ack-to-visible, and the 96-request burst bounded and not. Small
 * here (one request per sender, 3 latency samples; the burst is always 96 requests): the figures are the
 * lead's to measure on an idle machine; this checks that the part runs to its end as shipped and that what it
 * prints agrees with the JSON it writes.
 */
const runBench = () => runBenchScript('run.mjs', { BENCH_PARTS: 'ingest', BENCH_BATCHES_PER_SENDER: '1', BENCH_LATENCY_SAMPLES: '3' });

const n = (s: string) => Number(s.replaceAll(',', ''));

describe('npm run bench, ingest part (built code, 4 requests of 512 spans per round)', () => {
  it('runs to its end and prints ingest beside decode (fresh and warm server), JSON, gzip, ack-to-visible and the burst, as in bench.json', async () => {
    const { code, out } = await runBench();
    expect([code, out]).toEqual([0, expect.any(String)]);
    const fresh = /ingest\s+protobuf, 4 senders\s+([\d,]+) spans\/s\s+ratio to decode ([\d.]+)\s+\(a fresh server's first 2,048 spans\)/.exec(out);
    const warm = /ingest\s+same, next 2,048 spans\s+([\d,]+) spans\/s\s+ratio to decode ([\d.]+)/.exec(out);
    const burst = /overload\s+96 requests at once, bounded\s+statuses (\{.*\}), peak RSS (\d+) MiB/.exec(out);
    const lines = ['baseline  protobuf decode alone', 'ingest    JSON', 'ingest    gzip protobuf', 'projector drained', 'latency   ack -> visible', 'overload  same, in-flight unbounded'];
    expect([fresh !== null, warm !== null, burst !== null, ...lines.map((l) => out.includes(l))]).toEqual(Array(3 + lines.length).fill(true));
    const result = JSON.parse(readFileSync(join(repoRoot, 'test/artifacts/bench.json'), 'utf8'));
    expect(result.ingest.protobuf.spansPerSec).toBe(n(fresh![1]!));
    expect(result.ingest.protobufWarm).toEqual({ spansPerSec: n(warm![1]!), ratioToDecode: Number(warm![2]) });
    expect(result.ingest.protobufWarm.spansPerSec).toBeGreaterThan(0);
    // Every one of the 96 requests was answered, each 200 or 429 (the bound turns load into 429s, never errors).
    const statuses = JSON.parse(burst![1]!) as Record<string, number>;
    expect(Object.keys(statuses).every((s) => s === '200' || s === '429')).toBe(true);
    expect(Object.values(statuses).reduce((a, b) => a + b, 0)).toBe(96);
    expect(result.overload.bounded.peakRssMiB).toBe(Number(burst![2]));
  }, 240_000);
});
