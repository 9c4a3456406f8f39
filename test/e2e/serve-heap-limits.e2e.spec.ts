import { readFileSync } from 'node:fs';
import { buildAgentRequests } from '../support/otlp-bodies';
import { PROTOBUF, postOtlp } from '../support/otlp-raw';
import { processMemory } from '../support/server-inspect';
import { startServer, type RunningServer } from '../support/temps-server';

/**
 * `temps serve` sizes its V8 heaps for a machine it shares (bin/temps.js): it replaces itself, same pid,
 * with small semi-spaces and a 2x old-generation growth unless the operator gave those flags; and the
 * bench's burst (96 requests of 512 spans at once, 16 in flight) stays under 400 MiB peak RSS even when
 * every request is retried until it is accepted.
 */
const MiB = 1024 * 1024;
const TRACES = '/api/otel/v1/traces';
const BURST_PEAK_RSS_BOUND = 400 * MiB;

const commandLine = (pid: number) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);

describe('temps serve: V8 heap flags', () => {
  let server: RunningServer | undefined;
  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });

  it('runs, in the process that was started, with 8 MiB semi-spaces and 2x heap growth, and serves', async () => {
    server = await startServer();
    const args = commandLine(server.process.pid!);
    expect(args).toEqual(expect.arrayContaining(['--max-semi-space-size=8', '--heap-growing-percent=100']));
    expect(args.slice(-2)).toEqual([expect.stringMatching(/bin\/temps\.js$/), 'serve']);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  }, 60_000);

  it('keeps a flag the operator gave in NODE_OPTIONS and adds only the other', async () => {
    server = await startServer({ env: { NODE_OPTIONS: '--max-semi-space-size=16' } });
    const args = commandLine(server.process.pid!);
    expect(args.some((a) => a.startsWith('--max-semi-space-size'))).toBe(false);
    expect(args).toContain('--heap-growing-percent=100');
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  }, 60_000);
});

describe('temps serve: peak RSS of the bench burst', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer({ env: { TEMPS_MAX_INFLIGHT_REQUESTS: '16' } });
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
  });

  it('96 exports of 512 spans at once, each retried after a 429 until accepted: all stored, peak RSS under 400 MiB', async () => {
    const bodies = buildAgentRequests(96, 128).map((r) => r.body);
    const headers = { Authorization: `Bearer ${server.apiKey}`, 'X-Temps-Project-Id': '1', 'Content-Type': PROTOBUF };
    const before = processMemory(server.process.pid!);
    let throttled = 0;
    const statuses = await Promise.all(
      bodies.map(async (body) => {
        for (;;) {
          const reply = await postOtlp(`${server.url}${TRACES}`, body, headers);
          if (reply.status !== 429) return reply.status;
          throttled++;
          await new Promise((r) => setTimeout(r, 50));
        }
      }),
    );
    const after = processMemory(server.process.pid!);
    console.log(`burst: 96 x 200 after ${throttled} x 429; peak RSS ${(before.peakRss / MiB).toFixed(0)} MiB before, ${(after.peakRss / MiB).toFixed(0)} MiB after`);
    expect(statuses).toEqual(Array(96).fill(200));
    expect(throttled).toBeGreaterThan(0); // the in-flight bound was reached: a burst, not a trickle
    expect(after.peakRss).toBeLessThan(BURST_PEAK_RSS_BOUND);
  }, 180_000);
});
