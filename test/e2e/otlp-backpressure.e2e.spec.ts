import http from 'node:http';
import { buildAgentRequests, type BuiltRequest } from '../support/otlp-bodies';
import { decodeReply, postOtlp, PROTOBUF, RpcCode, type OtlpReply } from '../support/otlp-raw';
import { storedSpanCounts } from '../support/server-inspect';
import { eventually, getJson, startServer, type RunningServer } from '../support/temps-server';

/**
 * Back-pressure: with TEMPS_MAX_INFLIGHT_REQUESTS=2, exports beyond two in flight are refused at
 * once with 429 + Retry-After + google.rpc.Status (what OTLP exporters back off and retry on), the
 * refused ones succeed when retried, and retries (the same spans sent again, even concurrently)
 * never duplicate a span in the event store or a trace in the read model.
 */

const MAX_INFLIGHT = 2;
const REQUESTS = 30;
const TRACES_PER_REQUEST = 20; // 80 spans, ~30 KB of protobuf per request
const TRICKLE_CHUNKS = 20;
const TRICKLE_INTERVAL_MS = 100; // an accepted request stays in flight for ~2 s
const TRACES = '/api/otel/v1/traces';

interface Outcome {
  index: number;
  reply: OtlpReply;
  /** When the request head had been handed to the socket, ms after the burst started. */
  headSentAt: number;
}

describe(`back-pressure (TEMPS_MAX_INFLIGHT_REQUESTS=${MAX_INFLIGHT}): 429 + Retry-After, retries succeed, no duplicates`, () => {
  let server: RunningServer;
  let requests: BuiltRequest[];

  beforeAll(async () => {
    // One key sends everything here: its share is the whole (small) total, so the total is what is tested.
    server = await startServer({
      env: { TEMPS_MAX_INFLIGHT_REQUESTS: String(MAX_INFLIGHT), TEMPS_MAX_INFLIGHT_REQUESTS_PER_CREDENTIAL: String(MAX_INFLIGHT), TEMPS_MAX_INFLIGHT_REQUESTS_PER_PROJECT: String(MAX_INFLIGHT) },
    });
    requests = buildAgentRequests(REQUESTS, TRACES_PER_REQUEST);
  });
  afterAll(async () => {
    await server?.stop();
  });

  const headers = () => ({ Authorization: `Bearer ${server.apiKey}`, 'X-Temps-Project-Id': '1', 'Content-Type': PROTOBUF });

  /**
   * POSTs `body` chunked, a slice every TRICKLE_INTERVAL_MS, so an accepted request holds its
   * in-flight slot for a while. When the server answers before the body is all sent (a 429), the
   * sender stops, as a client would.
   */
  function tricklePost(index: number, body: Buffer, burstStart: number): Promise<Outcome> {
    return new Promise((resolve, reject) => {
      const req = http.request(`${server.url}${TRACES}`, { method: 'POST', headers: headers(), agent: false });
      let headSentAt = NaN;
      let timer: NodeJS.Timeout | undefined;
      let answered = false;
      const slice = Math.ceil(body.length / TRICKLE_CHUNKS);
      let offset = 0;
      const sendNext = () => {
        if (answered) return;
        if (offset >= body.length) return void req.end();
        req.write(body.subarray(offset, offset + slice));
        offset += slice;
        timer = setTimeout(sendNext, TRICKLE_INTERVAL_MS);
      };
      req.on('response', (res) => {
        answered = true;
        clearTimeout(timer);
        if (!req.writableEnded) req.end();
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const h = new Headers();
          for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) h.set(k, Array.isArray(v) ? v.join(', ') : v);
          resolve({ index, headSentAt, reply: decodeReply(TRACES, res.statusCode!, h, Buffer.concat(chunks)) });
        });
        res.on('error', reject);
      });
      // Once answered, the server may close the connection under the rest of the body (EPIPE): expected.
      req.on('error', (err) => (answered ? undefined : reject(err)));
      req.flushHeaders();
      headSentAt = Date.now() - burstStart;
      sendNext();
    });
  }

  /** Sends until a 200, sleeping `backoffMs` after a 429; returns every status seen. */
  async function sendUntilAccepted(body: Buffer, backoffMs: number, maxAttempts = 50): Promise<number[]> {
    const statuses: number[] = [];
    for (let attempt = 0; attempt < maxAttempts; attempt++) {
      const reply = await postOtlp(`${server.url}${TRACES}`, body, headers());
      statuses.push(reply.status);
      if (reply.status === 200) {
        expect(reply.partial).toBeNull();
        return statuses;
      }
      expect(reply.status).toBe(429);
      await new Promise((r) => setTimeout(r, backoffMs));
    }
    throw new Error(`not accepted after ${maxAttempts} attempts: ${statuses.join(',')}`);
  }

  const retryAfterMs = (value: string | null): number => {
    expect(value).not.toBeNull();
    if (/^\d+$/.test(value!)) return Number(value) * 1000;
    const date = Date.parse(value!);
    expect(Number.isNaN(date)).toBe(false); // delay-seconds or an HTTP-date, nothing else
    return Math.max(0, date - Date.now());
  };

  let refused: Outcome[] = [];
  let accepted: Outcome[] = [];

  it(`${REQUESTS} concurrent slow exports: some 429 with Retry-After and google.rpc.Status, the others 200`, async () => {
    const burstStart = Date.now();
    const burst = Promise.all(requests.map((r, i) => tricklePost(i, r.body, burstStart)));
    // While the slots are held, an OTLP/JSON export is refused the same way, in JSON.
    await new Promise((r) => setTimeout(r, 300));
    const jsonHeaders = { ...headers(), 'Content-Type': 'application/json' };
    const jsonReply = await postOtlp(`${server.url}${TRACES}`, '{"resourceSpans":[]}', jsonHeaders);
    const outcomes = await burst;
    expect(jsonReply.status).toBe(429);
    expect(jsonReply.contentType.split(';')[0]).toBe('application/json');
    expect(jsonReply.json).toEqual({ code: RpcCode.RESOURCE_EXHAUSTED, message: expect.stringMatching(/too many export requests in flight/) });
    expect(retryAfterMs(jsonReply.headers.get('retry-after'))).toBeGreaterThan(0);

    // Precondition for what follows: every request head was out before an accepted one could finish.
    expect(Math.max(...outcomes.map((o) => o.headSentAt))).toBeLessThan((TRICKLE_CHUNKS * TRICKLE_INTERVAL_MS) / 2);

    expect(outcomes.map((o) => o.reply.status).filter((s) => s !== 200 && s !== 429)).toEqual([]);
    accepted = outcomes.filter((o) => o.reply.status === 200);
    refused = outcomes.filter((o) => o.reply.status === 429);
    expect(accepted.length).toBeGreaterThanOrEqual(1);
    expect(accepted.length).toBeLessThanOrEqual(MAX_INFLIGHT);
    expect(refused.length).toBe(REQUESTS - accepted.length);

    for (const { reply } of accepted) expect(reply.partial).toBeNull();
    for (const { reply } of refused) {
      expect(reply.contentType).toBe(PROTOBUF);
      expect(reply.rpc).toMatchObject({ code: RpcCode.RESOURCE_EXHAUSTED, message: expect.stringMatching(/too many export requests in flight/) });
      expect(retryAfterMs(reply.headers.get('retry-after'))).toBeGreaterThan(0);
    }
  });

  it('the refused exports succeed when retried after Retry-After', async () => {
    expect(refused.length).toBeGreaterThan(0);
    const wait = Math.max(...refused.map((o) => retryAfterMs(o.reply.headers.get('retry-after'))));
    await new Promise((r) => setTimeout(r, Math.min(wait, 5_000)));
    for (const { index } of refused) {
      // One at a time, as one exporter retries: accepted on the first retry.
      expect(await sendUntilAccepted(requests[index]!.body, 1_000, 1)).toEqual([200]);
    }
  });

  it('retried exports (the same spans sent 3 times, also concurrently) create no duplicates', async () => {
    // Each request twice more, both copies at once (an exporter retrying after a timeout while the
    // first copy is still being written): three sends of every span in all.
    for (const r of requests) {
      const statuses = await Promise.all([sendUntilAccepted(r.body, 50), sendUntilAccepted(r.body, 50)]);
      expect(statuses.map((s) => s[s.length - 1])).toEqual([200, 200]);
    }
    // And three copies at once of one request: one of them meets the limit, and its retry is a duplicate too.
    const burst = await Promise.all([0, 1, 2].map(() => sendUntilAccepted(requests[0]!.body, 50)));
    expect(burst.map((s) => s[s.length - 1])).toEqual([200, 200, 200]);

    // The event store: every span exactly once.
    const counts = storedSpanCounts(server.dataDir);
    const expected = requests.flatMap((r) => r.spans);
    expect(expected).toHaveLength(REQUESTS * TRACES_PER_REQUEST * 4);
    expect(expected.filter((k) => counts.get(k) !== 1)).toEqual([]);
    expect(counts.size).toBe(expected.length);

    // The read model: every trace once, with its 4 spans.
    const traceIds = requests.flatMap((r) => r.traceIds);
    const listed = await eventually(async () => {
      const seen = new Map<string, number>();
      const duplicates: string[] = [];
      let cursor = '';
      do {
        const { body } = await getJson(server, `/api/projects/1/ai/traces?limit=500${cursor ? `&cursor=${cursor}` : ''}`);
        for (const t of body.items) {
          if (seen.has(t.traceId)) duplicates.push(t.traceId);
          seen.set(t.traceId, t.spanCount);
        }
        cursor = body.nextCursor ?? '';
      } while (cursor);
      return traceIds.every((id) => seen.get(id) === 4) ? { seen, duplicates } : undefined;
    }, 20_000, `all ${traceIds.length} traces complete in the read model`);
    expect(listed.duplicates).toEqual([]);
    expect(listed.seen.size).toBe(traceIds.length);

    // One trace in detail: 4 distinct spans, not 12.
    const { body } = await getJson(server, `/api/projects/1/ai/traces/${requests[0]!.traceIds[0]}`);
    expect(body.spans).toHaveLength(4);
    expect(new Set(body.spans.map((s: any) => s.spanId)).size).toBe(4);
    expect(body.trace).toMatchObject({ spanCount: 4, inputTokens: 30, outputTokens: 6 });
  });

  it('exports whose client goes away mid-body give their slots back', async () => {
    // Take both slots with bodies that never finish, then drop the connections.
    const sockets: http.ClientRequest[] = [];
    for (let i = 0; i < MAX_INFLIGHT; i++) {
      const req = http.request(`${server.url}${TRACES}`, { method: 'POST', headers: headers(), agent: false });
      req.on('error', () => undefined);
      req.flushHeaders();
      req.write(requests[i]!.body.subarray(0, 100));
      sockets.push(req);
    }
    await eventually(async () => ((await postOtlp(`${server.url}${TRACES}`, Buffer.alloc(0), headers())).status === 429 ? true : undefined), 5_000, 'both slots taken');
    for (const req of sockets) req.destroy();
    // Within a moment the slots are free again: a normal export is accepted.
    const statuses: number[] = [];
    await eventually(async () => {
      const reply = await postOtlp(`${server.url}${TRACES}`, Buffer.alloc(0), headers());
      statuses.push(reply.status);
      return reply.status === 200 ? true : undefined;
    }, 3_000, 'a slot released by an aborted export').catch((err: Error) => {
      throw new Error(`${err.message}; statuses seen: ${statuses.join(',')}`);
    });
    // And the full capacity is back, not just one slot.
    const both = await Promise.all([0, 1].map(() => tricklePost(0, Buffer.alloc(0), Date.now())));
    expect(both.map((o) => o.reply.status)).toEqual([200, 200]);
  });

  it('a client going away mid-body (an exporter timing out) is not logged as a server error', async () => {
    const logBefore = server.output().length;
    const req = http.request(`${server.url}${TRACES}`, { method: 'POST', headers: headers(), agent: false });
    req.on('error', () => undefined);
    req.flushHeaders();
    req.write(requests[0]!.body.subarray(0, 100));
    await new Promise((r) => setTimeout(r, 200));
    req.destroy();
    await new Promise((r) => setTimeout(r, 500));
    // Exporters abort on their timeout routinely: at most an info line, no ERROR with a stack trace.
    expect(server.output().slice(logBefore)).not.toMatch(/ERROR|ExceptionsHandler/);
  });
});
