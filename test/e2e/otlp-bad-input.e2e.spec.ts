import net from 'node:net';
import { gzipSync } from 'node:zlib';
import {
  decodeReply,
  decodeTraceRequestForTest,
  encodeSpan,
  hexId,
  JSON_TYPE,
  logsRequest,
  nestedKvlistAnyValue,
  nestedKvlistAnyValueJson,
  nowNanos,
  postOtlp,
  PROTOBUF,
  rawKeyValue,
  RpcCode,
  str,
  traceRequest,
  traceRequestJson,
  type OtlpReply,
  type SpanSpec,
} from '../support/otlp-raw';
import { sendAgentTrace } from '../support/send-spans';
import { countTelemetryEvents, createApiKey, createDeploymentToken, processMemory, readEvents, storedSpanCounts, temps } from '../support/server-inspect';
import { eventually, getJson, startServer, type RunningServer } from '../support/temps-server';

/**
 * A corpus of bad (and borderline) OTLP/HTTP requests against one `temps serve`. Each case states the
 * whole answer: status, Content-Type, and the decoded body (google.rpc.Status for failures in the
 * request's encoding, Export*ServiceResponse with or without partial_success for 200), and what
 * the event store holds afterwards. Nothing accepted before the corpus may be lost.
 */

const MiB = 1024 * 1024;
const BODY_LIMIT = 2 * MiB;
const TRACES = '/api/otel/v1/traces';

/** Deterministic "random" bytes (xorshift32): the same corpus on every run. */
function noise(n: number, seed = 0x2545f491): Buffer {
  const out = Buffer.alloc(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

const span = (traceId: string, extra: Partial<SpanSpec> = {}): SpanSpec => ({ traceId, spanId: hexId(8), ...extra });

interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/** One HTTP/1.1 connection driven by hand: write requests, read responses (Content-Length bodies) one by one. */
async function rawConnection(port: number) {
  const socket = net.connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => (socket.once('connect', resolve), socket.once('error', reject)));
  let buffered = Buffer.alloc(0);
  let ended = false;
  let wake: (() => void) | null = null;
  socket.on('data', (d: Buffer) => ((buffered = Buffer.concat([buffered, d])), wake?.()));
  socket.on('close', () => ((ended = true), wake?.()));
  socket.on('error', () => undefined);
  const waitForData = (deadline: number) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no response: timed out')), Math.max(0, deadline - Date.now()));
      wake = () => (clearTimeout(timer), (wake = null), resolve());
    });
  return {
    socket,
    async nextResponse(timeoutMs: number): Promise<RawResponse> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const headEnd = buffered.indexOf('\r\n\r\n');
        if (headEnd >= 0) {
          const [statusLine, ...lines] = buffered.subarray(0, headEnd).toString('latin1').split('\r\n');
          const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
          const length = Number(headers['content-length'] ?? 0);
          if (buffered.length >= headEnd + 4 + length) {
            const body = buffered.subarray(headEnd + 4, headEnd + 4 + length);
            buffered = buffered.subarray(headEnd + 4 + length);
            return { status: Number(statusLine!.split(' ')[1]), headers, body: Buffer.from(body) };
          }
        }
        if (ended) throw new Error('no response: connection closed');
        await waitForData(deadline);
      }
    },
    async closed(timeoutMs: number): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      while (!ended) await waitForData(deadline);
    },
  };
}

describe('OTLP/HTTP bad input: clear answers, nothing half-stored, nothing lost', () => {
  let server: RunningServer;
  let earlier: { traceId: string; rootSpanId: string };
  const keys = { viewer: '', project1Only: '', deployment: '' };

  beforeAll(async () => {
    server = await startServer({ env: { TEMPS_MAX_BODY_BYTES: String(BODY_LIMIT) } });
    keys.viewer = (await createApiKey(server.dataDir, 'viewer', 'viewer')).secret;
    keys.project1Only = (await createApiKey(server.dataDir, 'p1-only', 'member', '1')).secret;
    keys.deployment = await createDeploymentToken(server.dataDir, '1', 'prod', 'dep-7');
    // Accepted before the corpus: must still be whole after it.
    earlier = await sendAgentTrace(server.url, server.apiKey, '1', { agentName: 'before-the-corpus' });
    await eventually(async () => {
      const { body } = await getJson(server, '/api/projects/1/ai/traces?limit=500');
      return body.items?.find((t: any) => t.traceId === earlier.traceId && t.spanCount === 4);
    }, 15_000, 'the trace sent before the corpus');
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
  });

  const admin = () => ({ Authorization: `Bearer ${server.apiKey}`, 'X-Temps-Project-Id': '1' });
  const pb = (extra: Record<string, string> = {}) => ({ ...admin(), 'Content-Type': PROTOBUF, ...extra });
  const js = (extra: Record<string, string> = {}) => ({ ...admin(), 'Content-Type': JSON_TYPE, ...extra });
  const post = (path: string, body: Buffer | string, headers: Record<string, string>) => postOtlp(`${server.url}${path}`, body, headers);

  const traceSpans = async (traceId: string): Promise<any[]> => {
    const { status, body } = await getJson(server, `/api/projects/1/ai/traces/${traceId}`);
    return status === 200 ? body.spans : [];
  };
  const waitForSpans = (traceId: string, n: number) =>
    eventually(async () => {
      const spans = await traceSpans(traceId);
      return spans.length === n ? spans : undefined;
    }, 15_000, `trace ${traceId} with ${n} spans in the query API`);

  /** What one case must get back. */
  interface Expected {
    status: number;
    contentType: string;
    /** google.rpc.Status of a failure. */
    rpc?: { code: number; message: RegExp };
    /** partial_success of a 200: null for full success. */
    partial?: null | { rejected: number; messageParts: string[] };
    /** Exact parsed JSON body, for JSON answers. */
    json?: unknown;
  }

  function expectReply(reply: OtlpReply, e: Expected) {
    // The media type must be the request's; Express adds "; charset=utf-8" to JSON, which is harmless.
    const mediaType = reply.contentType.split(';')[0]!.trim();
    expect({ status: reply.status, mediaType }).toEqual({ status: e.status, mediaType: e.contentType });
    if (e.contentType === PROTOBUF) expect(reply.contentType).toBe(PROTOBUF);
    else expect(reply.contentType).toMatch(/^application\/json(; ?charset=utf-8)?$/i);
    if (e.status >= 400) {
      expect(reply.rpc).toBeDefined();
      expect(reply.rpc!.code).toBe(e.rpc!.code);
      expect(reply.rpc!.message).toMatch(e.rpc!.message);
      if (e.contentType === JSON_TYPE) expect(Object.keys(reply.json).sort()).toEqual(['code', 'message']);
    } else {
      expect(reply.status).toBe(200);
      if (e.partial === null) {
        expect(reply.partial).toBeNull();
        if (e.contentType === PROTOBUF) expect(reply.raw.length).toBe(0);
      } else if (e.partial) {
        expect(reply.partial?.rejected).toBe(e.partial.rejected);
        for (const part of e.partial.messageParts) expect(reply.partial?.errorMessage).toContain(part);
      }
    }
    if (e.json !== undefined) expect(reply.json).toEqual(e.json);
  }

  interface Case extends Expected {
    name: string;
    path?: string;
    headers: () => Record<string, string>;
    body: () => Buffer | string;
  }

  // ---------------- failures: nothing of the request is stored ----------------
  const validBody = () => traceRequest([span(hexId(16)), span(hexId(16)), span(hexId(16))]);
  const failures: Case[] = [
    {
      name: 'random bytes -> 400 decode error',
      headers: pb,
      body: () => noise(4096),
      status: 400,
      contentType: PROTOBUF,
      rpc: { code: RpcCode.INVALID_ARGUMENT, message: /could not decode ExportTraceServiceRequest protobuf/ },
    },
    {
      name: 'a valid request cut short -> 400 decode error',
      headers: pb,
      body: () => {
        const whole = validBody();
        return whole.subarray(0, whole.length - 7);
      },
      status: 400,
      contentType: PROTOBUF,
      rpc: { code: RpcCode.INVALID_ARGUMENT, message: /could not decode ExportTraceServiceRequest protobuf/ },
    },
    {
      name: 'random bytes to /v1/logs -> 400 naming the logs request',
      path: '/api/otel/v1/logs',
      headers: pb,
      body: () => noise(4096, 7),
      status: 400,
      contentType: PROTOBUF,
      rpc: { code: RpcCode.INVALID_ARGUMENT, message: /could not decode ExportLogsServiceRequest protobuf/ },
    },
    {
      name: 'random bytes to /v1/metrics -> 400 naming the metrics request',
      path: '/api/otel/v1/metrics',
      headers: pb,
      body: () => noise(4096, 11),
      status: 400,
      contentType: PROTOBUF,
      rpc: { code: RpcCode.INVALID_ARGUMENT, message: /could not decode ExportMetricsServiceRequest protobuf/ },
    },
    {
      name: 'Content-Type text/plain -> 415 (protobuf Status, the encoding being unknown)',
      headers: () => ({ ...admin(), 'Content-Type': 'text/plain' }),
      body: validBody,
      status: 415,
      contentType: PROTOBUF,
      rpc: { code: RpcCode.INVALID_ARGUMENT, message: /unsupported Content-Type "text\/plain".*application\/x-protobuf.*application\/json/ },
    },
    {
      name: 'no Content-Type -> 415',
      headers: admin,
      body: validBody,
      status: 415,
      contentType: PROTOBUF,
      rpc: { code: RpcCode.INVALID_ARGUMENT, message: /unsupported Content-Type "\(none\)"/ },
    },
    {
      name: 'Content-Encoding gzip on a body that is not gzip -> 400',
      headers: () => pb({ 'Content-Encoding': 'gzip' }),
      body: validBody,
      status: 400,
      contentType: PROTOBUF,
      rpc: { code: RpcCode.INVALID_ARGUMENT, message: /could not decompress the gzip request body/ },
    },
    {
      name: 'gzip cut short -> 400',
      headers: () => pb({ 'Content-Encoding': 'gzip' }),
      body: () => gzipSync(validBody()).subarray(0, 40),
      status: 400,
      contentType: PROTOBUF,
      rpc: { code: RpcCode.INVALID_ARGUMENT, message: /could not decompress the gzip request body/ },
    },
    {
      name: 'Content-Encoding br -> 415',
      headers: () => pb({ 'Content-Encoding': 'br' }),
      body: validBody,
      status: 415,
      contentType: PROTOBUF,
      rpc: { code: RpcCode.INVALID_ARGUMENT, message: /unsupported Content-Encoding "br"/ },
    },
    {
      name: 'gzip bomb: 8 KiB of gzip inflating to 8 MiB -> 413',
      headers: () => pb({ 'Content-Encoding': 'gzip' }),
      body: () => gzipSync(Buffer.alloc(8 * MiB), { level: 9 }),
      status: 413,
      contentType: PROTOBUF,
      rpc: { code: RpcCode.RESOURCE_EXHAUSTED, message: new RegExp(`decompressed request body is over the limit of ${BODY_LIMIT} bytes`) },
    },
    {
      name: 'body over TEMPS_MAX_BODY_BYTES (declared by Content-Length) -> 413',
      headers: pb,
      body: () => Buffer.concat([validBody(), Buffer.alloc(BODY_LIMIT)]),
      status: 413,
      contentType: PROTOBUF,
      rpc: { code: RpcCode.RESOURCE_EXHAUSTED, message: new RegExp(`over the limit of ${BODY_LIMIT} bytes`) },
    },
    {
      name: 'unknown signal /v1/foo -> 404',
      path: '/v1/foo',
      headers: pb,
      body: validBody,
      status: 404,
      contentType: PROTOBUF,
      rpc: { code: RpcCode.NOT_FOUND, message: /unknown OTLP signal "foo"/ },
    },
    {
      name: 'unknown signal /api/otel/v1/spans -> 404',
      path: '/api/otel/v1/spans',
      headers: pb,
      body: validBody,
      status: 404,
      contentType: PROTOBUF,
      rpc: { code: RpcCode.NOT_FOUND, message: /unknown OTLP signal "spans"/ },
    },
    {
      name: 'AnyValue nested 5000 levels (beyond what the decoder walks) -> 400, not a crash',
      headers: pb,
      body: () => traceRequest([span(hexId(16)), encodeSpan(span(hexId(16)), [rawKeyValue('deep', nestedKvlistAnyValue(5000))])]),
      status: 400,
      contentType: PROTOBUF,
      rpc: { code: RpcCode.INVALID_ARGUMENT, message: /could not decode ExportTraceServiceRequest protobuf: .*depth/i },
    },
    // ---- credentials ----
    {
      name: 'no Authorization -> 401',
      headers: () => ({ 'X-Temps-Project-Id': '1', 'Content-Type': PROTOBUF }),
      body: validBody,
      status: 401,
      contentType: PROTOBUF,
      rpc: { code: RpcCode.UNAUTHENTICATED, message: /missing credentials/ },
    },
    {
      name: 'Authorization that is not Bearer -> 401',
      headers: () => ({ Authorization: `Basic ${Buffer.from('user:pass').toString('base64')}`, 'X-Temps-Project-Id': '1', 'Content-Type': PROTOBUF }),
      body: validBody,
      status: 401,
      contentType: PROTOBUF,
      rpc: { code: RpcCode.UNAUTHENTICATED, message: /missing credentials/ },
    },
    {
      name: 'unknown tk_ key -> 401',
      headers: () => ({ Authorization: 'Bearer tk_unknown_unknown_unknown_unknown', 'X-Temps-Project-Id': '1', 'Content-Type': PROTOBUF }),
      body: validBody,
      status: 401,
      contentType: PROTOBUF,
      rpc: { code: RpcCode.UNAUTHENTICATED, message: /unknown or revoked API key/ },
    },
    {
      name: 'unknown dt_ token -> 401',
      headers: () => ({ Authorization: 'Bearer dt_unknown_unknown_unknown_unknown', 'Content-Type': PROTOBUF }),
      body: validBody,
      status: 401,
      contentType: PROTOBUF,
      rpc: { code: RpcCode.UNAUTHENTICATED, message: /unknown or revoked deployment token/ },
    },
    {
      name: 'viewer key may not ingest -> 403',
      headers: () => ({ Authorization: `Bearer ${keys.viewer}`, 'X-Temps-Project-Id': '1', 'Content-Type': PROTOBUF }),
      body: validBody,
      status: 403,
      contentType: PROTOBUF,
      rpc: { code: RpcCode.PERMISSION_DENIED, message: /role viewer may not send telemetry/ },
    },
    {
      name: 'key limited to project 1 posting to project 2 -> 403',
      headers: () => ({ Authorization: `Bearer ${keys.project1Only}`, 'X-Temps-Project-Id': '2', 'Content-Type': PROTOBUF }),
      body: validBody,
      status: 403,
      contentType: PROTOBUF,
      rpc: { code: RpcCode.PERMISSION_DENIED, message: /project 2/ },
    },
    {
      name: 'tk_ key without X-Temps-Project-Id -> 400 naming the header',
      headers: () => ({ Authorization: `Bearer ${server.apiKey}`, 'Content-Type': PROTOBUF }),
      body: validBody,
      status: 400,
      contentType: PROTOBUF,
      rpc: { code: RpcCode.INVALID_ARGUMENT, message: /X-Temps-Project-Id/ },
    },
    {
      name: 'dt_ token with another project in X-Temps-Project-Id -> 403',
      headers: () => ({ Authorization: `Bearer ${keys.deployment}`, 'X-Temps-Project-Id': '2', 'Content-Type': PROTOBUF }),
      body: validBody,
      status: 403,
      contentType: PROTOBUF,
      rpc: { code: RpcCode.PERMISSION_DENIED, message: /does not match this deployment token's project 1/ },
    },
    {
      name: 'dt_ token, ids in the path not its own (/api/otel/v1/1/prod/dep-8/traces) -> 403',
      path: '/api/otel/v1/1/prod/dep-8/traces',
      headers: () => ({ Authorization: `Bearer ${keys.deployment}`, 'Content-Type': PROTOBUF }),
      body: validBody,
      status: 403,
      contentType: PROTOBUF,
      rpc: { code: RpcCode.PERMISSION_DENIED, message: /1\/prod\/dep-8.*do not match.*1\/prod\/dep-7/ },
    },
    {
      name: 'dt_ token, another project in the path (/api/otel/v1/2/prod/dep-7/traces) -> 403',
      path: '/api/otel/v1/2/prod/dep-7/traces',
      headers: () => ({ Authorization: `Bearer ${keys.deployment}`, 'Content-Type': PROTOBUF }),
      body: validBody,
      status: 403,
      contentType: PROTOBUF,
      rpc: { code: RpcCode.PERMISSION_DENIED, message: /do not match/ },
    },
    // ---- OTLP/JSON: failures answered in JSON ----
    {
      name: 'JSON: not JSON -> 400 {code, message}',
      headers: js,
      body: () => '{"resourceSpans": [',
      status: 400,
      contentType: JSON_TYPE,
      rpc: { code: RpcCode.INVALID_ARGUMENT, message: /could not decode ExportTraceServiceRequest JSON/ },
    },
    {
      name: 'JSON: top level is an array -> 400',
      headers: js,
      body: () => '[]',
      status: 400,
      contentType: JSON_TYPE,
      rpc: { code: RpcCode.INVALID_ARGUMENT, message: /expected an object at the top level/ },
    },
    {
      name: 'JSON: resourceSpans is not an array -> 400 naming the path',
      headers: js,
      body: () => '{"resourceSpans": "nope"}',
      status: 400,
      contentType: JSON_TYPE,
      rpc: { code: RpcCode.INVALID_ARGUMENT, message: /resourceSpans/ },
    },
    {
      name: 'JSON: invalid UTF-8 -> 400',
      headers: js,
      body: () => Buffer.concat([Buffer.from('{"resourceSpans":[{"resource":{"attributes":[{"key":"'), Buffer.from([0xc3, 0x28]), Buffer.from('","value":{}}]}}]}')]),
      status: 400,
      contentType: JSON_TYPE,
      rpc: { code: RpcCode.INVALID_ARGUMENT, message: /not valid UTF-8/ },
    },
    {
      name: 'JSON: missing credentials -> 401 in JSON',
      headers: () => ({ 'Content-Type': JSON_TYPE, 'X-Temps-Project-Id': '1' }),
      body: () => traceRequestJson([span(hexId(16))]),
      status: 401,
      contentType: JSON_TYPE,
      rpc: { code: RpcCode.UNAUTHENTICATED, message: /missing credentials/ },
    },
    {
      name: 'JSON: viewer key -> 403 in JSON',
      headers: () => ({ Authorization: `Bearer ${keys.viewer}`, 'X-Temps-Project-Id': '1', 'Content-Type': JSON_TYPE }),
      body: () => traceRequestJson([span(hexId(16))]),
      status: 403,
      contentType: JSON_TYPE,
      rpc: { code: RpcCode.PERMISSION_DENIED, message: /viewer/ },
    },
    {
      name: 'JSON: body over the limit -> 413 in JSON',
      headers: js,
      body: () => `{"resourceSpans":[],"pad":"${'x'.repeat(BODY_LIMIT)}"}`,
      status: 413,
      contentType: JSON_TYPE,
      rpc: { code: RpcCode.RESOURCE_EXHAUSTED, message: /over the limit/ },
    },
    {
      name: 'JSON: gzip bomb -> 413 in JSON',
      headers: () => js({ 'Content-Encoding': 'gzip' }),
      body: () => gzipSync(Buffer.from(`{"resourceSpans":[],"pad":"${'x'.repeat(4 * MiB)}"}`), { level: 9 }),
      status: 413,
      contentType: JSON_TYPE,
      rpc: { code: RpcCode.RESOURCE_EXHAUSTED, message: /decompressed request body is over the limit/ },
    },
    {
      name: 'JSON: unknown signal -> 404 in JSON',
      path: '/api/v1/profiles',
      headers: js,
      body: () => '{}',
      status: 404,
      contentType: JSON_TYPE,
      rpc: { code: RpcCode.NOT_FOUND, message: /unknown OTLP signal "profiles"/ },
    },
  ];

  // The memory check comes first, before other cases raise the server's peak RSS.
  it('gzip bombs (4 at once, 128 KiB each inflating to 128 MiB) get 413 and the server stays small', async () => {
    const bomb = gzipSync(Buffer.alloc(128 * MiB), { level: 9 });
    expect(bomb.length).toBeLessThan(256 * 1024);
    const before = processMemory(server.process.pid!);
    const replies = await Promise.all([1, 2, 3, 4].map(() => post(TRACES, bomb, pb({ 'Content-Encoding': 'gzip' }))));
    for (const reply of replies) {
      expectReply(reply, { status: 413, contentType: PROTOBUF, rpc: { code: RpcCode.RESOURCE_EXHAUSTED, message: /decompressed request body is over the limit/ } });
    }
    const after = processMemory(server.process.pid!);
    // Unbounded inflation would need 4 x 128 MiB; the cap allows 4 x 2 MiB.
    expect(after.peakRss - before.peakRss).toBeLessThan(64 * MiB);
    expect(after.rss).toBeLessThan(before.rss + 64 * MiB);
  });

  describe('failures: the documented status and google.rpc.Status, and nothing stored', () => {
    for (const c of failures) {
      it(c.name, async () => {
        const before = countTelemetryEvents(server.dataDir);
        const reply = await post(c.path ?? TRACES, c.body(), c.headers());
        expectReply(reply, c);
        expect(countTelemetryEvents(server.dataDir)).toBe(before);
      });
    }

    it('body over the limit without Content-Length (chunked) -> 413, and the connection is still usable or closed', async () => {
      const before = countTelemetryEvents(server.dataDir);
      // A raw socket, so the connection's fate is visible (and no broken connection is left in fetch's pool).
      const conn = await rawConnection(server.port);
      try {
        const head = (extra: string) =>
          `POST ${TRACES} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${server.apiKey}\r\nX-Temps-Project-Id: 1\r\nContent-Type: ${PROTOBUF}\r\n${extra}\r\n`;
        conn.socket.write(head('Transfer-Encoding: chunked\r\n'));
        const chunk = Buffer.alloc(64 * 1024);
        for (let sentBytes = 0; sentBytes <= BODY_LIMIT + 2 * chunk.length; sentBytes += chunk.length) {
          conn.socket.write(`${chunk.length.toString(16)}\r\n`);
          conn.socket.write(chunk);
          conn.socket.write('\r\n');
        }
        conn.socket.write('0\r\n\r\n');
        const first = await conn.nextResponse(5_000);
        expect(first.status).toBe(413);
        expect(first.headers['content-type']).toBe(PROTOBUF);
        const status = decodeReply(TRACES, 413, new Headers({ 'content-type': PROTOBUF }), first.body).rpc;
        expect(status).toMatchObject({ code: RpcCode.RESOURCE_EXHAUSTED, message: expect.stringMatching(new RegExp(`request body is over the limit of ${BODY_LIMIT} bytes`)) });
        expect(countTelemetryEvents(server.dataDir)).toBe(before);

        // HTTP/1.1 keep-alive: unless the server said "Connection: close" (and closed), the next
        // request on this connection must be answered. Otherwise a client's pooled connection hangs.
        if (first.headers.connection?.toLowerCase() === 'close') {
          await conn.closed(2_000);
        } else {
          conn.socket.write(head('Content-Length: 0\r\n'));
          const second = await conn.nextResponse(2_000).then(
            (r) => r.status,
            (err: Error) => err.message,
          );
          expect({ nextRequestOnTheKeptAliveConnection: second }).toEqual({ nextRequestOnTheKeptAliveConnection: 200 });
        }
      } finally {
        conn.socket.destroy();
      }
    });

    it.each([
      ['GenAI content events with trace context', { minimal: false }],
      ['records with only severity_text (they decode as spans without ids)', { minimal: true }],
    ])('an OTLP logs payload posted to /v1/traces (%s) stores no span: 400, or 200 with every item rejected', async (_label, { minimal }) => {
      const traceId = hexId(16);
      const before = countTelemetryEvents(server.dataDir);
      const body = logsRequest(3, { traceId, minimal });
      const reply = await post(TRACES, body, pb());
      expect([200, 400]).toContain(reply.status);
      expect(reply.contentType).toBe(PROTOBUF);
      if (reply.status === 200) {
        expect(reply.partial).toEqual({ rejected: decodeTraceRequestForTest(body).resourceSpans?.[0]?.scopeSpans?.[0]?.spans?.length, errorMessage: expect.stringMatching(/invalid trace id/) });
      } else {
        expect(reply.rpc).toMatchObject({ code: RpcCode.INVALID_ARGUMENT, message: expect.stringMatching(/could not decode ExportTraceServiceRequest protobuf/) });
      }
      expect(countTelemetryEvents(server.dataDir)).toBe(before);
      expect(readEvents(server.dataDir, { stream: `trace-1-${traceId}` })).toEqual([]);
    });

    it('a revoked key is refused (401) within a second of `temps api-key revoke`', async () => {
      const { secret, keyId } = await createApiKey(server.dataDir, 'short-lived', 'member', '1');
      const headers = { Authorization: `Bearer ${secret}`, 'X-Temps-Project-Id': '1', 'Content-Type': PROTOBUF };
      expectReply(await post(TRACES, Buffer.alloc(0), headers), { status: 200, contentType: PROTOBUF, partial: null });
      await temps(server.dataDir, ['api-key', 'revoke', keyId]);
      const revokedAt = Date.now();
      let reply: OtlpReply;
      for (;;) {
        reply = await post(TRACES, traceRequest([span(hexId(16))]), headers);
        if (reply.status !== 200 || Date.now() - revokedAt > 3_000) break;
        await new Promise((r) => setTimeout(r, 25));
      }
      expect(Date.now() - revokedAt).toBeLessThan(1_000);
      expectReply(reply, { status: 401, contentType: PROTOBUF, rpc: { code: RpcCode.UNAUTHENTICATED, message: /unknown or revoked API key/ } });
    });
  });

  describe('item-level problems: 200 with partial_success, the good items stored', () => {
    it('invalid ids (wrong length, all zero) mixed with valid spans: those rejected by reason, the rest stored', async () => {
      const traceId = hexId(16);
      const root = span(traceId, { name: 'invoke_agent mixed', attributes: [str('gen_ai.operation.name', 'invoke_agent')] });
      const good = [root, span(traceId, { parentSpanId: root.spanId }), span(traceId, { parentSpanId: root.spanId, name: 'execute_tool t', attributes: [str('gen_ai.operation.name', 'execute_tool')] })];
      const shortTrace = hexId(8);
      const bad = [
        span(shortTrace), // trace id of 8 bytes
        span('0'.repeat(32)), // all-zero trace id
        span(traceId, { spanId: '0'.repeat(16) }), // all-zero span id
        span(traceId, { spanId: hexId(4) }), // span id of 4 bytes
        span(traceId, { spanId: '' }), // no span id at all
      ];
      const reply = await post(TRACES, traceRequest([good[0]!, bad[0]!, good[1]!, bad[1]!, bad[2]!, good[2]!, bad[3]!, bad[4]!]), pb());
      expectReply(reply, {
        status: 200,
        contentType: PROTOBUF,
        partial: {
          rejected: 5,
          messageParts: [
            'invalid trace id: must be 16 bytes, got 8',
            'invalid trace id: all zero',
            'invalid span id: all zero',
            'invalid span id: must be 8 bytes, got 4',
            'invalid span id: must be 8 bytes, got 0',
          ],
        },
      });
      const spans = await waitForSpans(traceId, 3);
      expect(spans.map((s) => s.spanId).sort()).toEqual(good.map((s) => s.spanId).sort());
      expect(readEvents(server.dataDir, { stream: `trace-1-${traceId}` }).map((e) => e.data.span.spanId).sort()).toEqual(good.map((s) => s.spanId).sort());
      expect(readEvents(server.dataDir, { streamPrefix: `trace-1-${shortTrace}` })).toEqual([]);
      expect(readEvents(server.dataDir, { stream: `trace-1-${'0'.repeat(32)}` })).toEqual([]);
    });

    it('the same mix in OTLP/JSON: {"partialSuccess":{"rejectedSpans":"2",...}}; uppercase hex ids are accepted', async () => {
      const traceId = hexId(16);
      const good = [span(traceId.toUpperCase(), { spanId: hexId(8).toUpperCase() }), span(traceId)];
      const bad = [span(Buffer.from(hexId(16), 'hex').toString('base64')) /* base64, not hex */, span(traceId, { spanId: '0'.repeat(16) })];
      const reply = await post(TRACES, traceRequestJson([good[0]!, bad[0]!, good[1]!, bad[1]!]), js());
      expectReply(reply, { status: 200, contentType: JSON_TYPE, partial: { rejected: 2, messageParts: ['invalid trace id', 'invalid span id: all zero'] } });
      expect(reply.json).toEqual({ partialSuccess: { rejectedSpans: '2', errorMessage: expect.any(String) } });
      const spans = await waitForSpans(traceId, 2);
      expect(spans.map((s) => s.spanId).sort()).toEqual(good.map((s) => s.spanId.toLowerCase()).sort());
      expect(readEvents(server.dataDir, { stream: `trace-1-${traceId}` })[0]!.metadata).toMatchObject({ encoding: 'json', projectId: '1' });
    });

    it('10,000 attributes on one span: that span rejected by reason, its sibling stored', async () => {
      const big = span(hexId(16), { attributes: Array.from({ length: 10_000 }, (_, i) => str(`attr.${i}`, 'v')) });
      const sibling = span(hexId(16));
      const reply = await post(TRACES, traceRequest([big, sibling]), pb());
      expectReply(reply, { status: 200, contentType: PROTOBUF, partial: { rejected: 1, messageParts: ['too many attributes: 10000 > 1024'] } });
      await waitForSpans(sibling.traceId, 1);
      const stored = storedSpanCounts(server.dataDir);
      expect(stored.get(`${sibling.traceId}/${sibling.spanId}`)).toBe(1);
      expect(stored.has(`${big.traceId}/${big.spanId}`)).toBe(false);
    });

    it('AnyValue nesting: 32 levels stored, 33, 40 and 30,000 rejected by reason (protobuf and JSON)', async () => {
      const ok = span(hexId(16));
      const deep33 = span(hexId(16));
      const deep40 = span(hexId(16));
      const reply = await post(
        TRACES,
        traceRequest([
          encodeSpan(ok, [rawKeyValue('deep', nestedKvlistAnyValue(32))]),
          encodeSpan(deep33, [rawKeyValue('deep', nestedKvlistAnyValue(33))]),
          encodeSpan(deep40, [rawKeyValue('deep', nestedKvlistAnyValue(40))]),
        ]),
        pb(),
      );
      expectReply(reply, { status: 200, contentType: PROTOBUF, partial: { rejected: 2, messageParts: ['2 rejected: attribute value nested too deep: more than 32 levels'] } });
      await waitForSpans(ok.traceId, 1);
      const stored = storedSpanCounts(server.dataDir);
      expect([ok, deep33, deep40].map((s) => stored.get(`${s.traceId}/${s.spanId}`) ?? 0)).toEqual([1, 0, 0]);

      const okJson = span(hexId(16));
      const deepJson = span(hexId(16));
      const jsonReply = await post(
        TRACES,
        traceRequestJson([okJson, deepJson], 'deep-json', {
          0: `{"key":"deep","value":${nestedKvlistAnyValueJson(32)}}`,
          1: `{"key":"deep","value":${nestedKvlistAnyValueJson(40)}}`,
        }),
        js(),
      );
      expectReply(jsonReply, { status: 200, contentType: JSON_TYPE, partial: { rejected: 1, messageParts: ['nested too deep'] } });
      await waitForSpans(okJson.traceId, 1);
      expect(storedSpanCounts(server.dataDir).has(`${deepJson.traceId}/${deepJson.spanId}`)).toBe(false);

      // 30,000 levels (1.5 MB of JSON): still just that item rejected, no stack overflow, no 500.
      const deeper = span(hexId(16));
      const sibling = span(hexId(16));
      const deepReply = await post(TRACES, traceRequestJson([sibling, deeper], 'deep-json', { 1: `{"key":"deep","value":${nestedKvlistAnyValueJson(30_000)}}` }), js());
      expectReply(deepReply, { status: 200, contentType: JSON_TYPE, partial: { rejected: 1, messageParts: ['nested too deep'] } });
      await waitForSpans(sibling.traceId, 1);
    });

    it('a 1 MiB attribute value: accepted, cut to 64 KiB on a character boundary, listed in truncatedAttributes', async () => {
      const s = span(hexId(16), {
        attributes: [str('gen_ai.operation.name', 'chat'), str('big.value', 'x'.repeat(MiB)), str('big.utf8', 'é'.repeat(300_000)), str('small', 'kept')],
      });
      const reply = await post(TRACES, traceRequest([s]), pb());
      expect(reply.status).toBe(200);
      expect(reply.contentType).toBe(PROTOBUF);
      // Nothing rejected; a warning in error_message is allowed (rejected_spans 0).
      expect(reply.partial?.rejected ?? 0).toBe(0);

      const [event] = readEvents(server.dataDir, { stream: `trace-1-${s.traceId}` });
      expect(event?.otlp.span.truncatedAttributes?.sort()).toEqual(['big.utf8', 'big.value']);
      const attr = (key: string) => event!.otlp.span.attributes.find((a: any) => a.key === key)?.value.stringValue as string;
      expect(attr('big.value')).toBe('x'.repeat(64 * 1024));
      expect(attr('big.utf8')).toBe('é'.repeat(32 * 1024));
      expect(attr('small')).toBe('kept');

      const [stored] = await waitForSpans(s.traceId, 1);
      expect(stored.attributes['big.value']).toHaveLength(64 * 1024);
      expect(stored.attributes.small).toBe('kept');
    });

    it('an empty request is a full success in both encodings: empty protobuf, JSON {}', async () => {
      expectReply(await post(TRACES, Buffer.alloc(0), pb()), { status: 200, contentType: PROTOBUF, partial: null });
      expectReply(await post(TRACES, '{}', js()), { status: 200, contentType: JSON_TYPE, partial: null, json: {} });
      expectReply(await post(TRACES, traceRequestJson([span(hexId(16))]), js()), { status: 200, contentType: JSON_TYPE, partial: null, json: {} });
    });
  });

  describe('deployment tokens', () => {
    it('dt_ with no other header: stored with the token project, environment and deployment', async () => {
      const s = span(hexId(16));
      const reply = await post(TRACES, traceRequest([s]), { Authorization: `Bearer ${keys.deployment}`, 'Content-Type': PROTOBUF });
      expectReply(reply, { status: 200, contentType: PROTOBUF, partial: null });
      const [event] = readEvents(server.dataDir, { stream: `trace-1-${s.traceId}` });
      expect(event?.metadata).toMatchObject({ projectId: '1', environmentId: 'prod', deploymentId: 'dep-7', encoding: 'protobuf' });
      await waitForSpans(s.traceId, 1);
    });

    it('dt_ with its own ids in the path (/api/otel/v1/1/prod/dep-7/traces): stored the same', async () => {
      const s = span(hexId(16));
      const reply = await post('/api/otel/v1/1/prod/dep-7/traces', traceRequest([s]), { Authorization: `Bearer ${keys.deployment}`, 'Content-Type': PROTOBUF });
      expectReply(reply, { status: 200, contentType: PROTOBUF, partial: null });
      const [event] = readEvents(server.dataDir, { stream: `trace-1-${s.traceId}` });
      expect(event?.metadata).toMatchObject({ projectId: '1', environmentId: 'prod', deploymentId: 'dep-7' });
    });

    it('dt_ with its own ids in the path, JSON logs: stored in logs-1-{hour} with the scope', async () => {
      const body = JSON.stringify({
        resourceLogs: [{ resource: { attributes: [] }, scopeLogs: [{ scope: { name: 'dt-json' }, logRecords: [{ timeUnixNano: String(nowNanos()), body: { stringValue: 'hello from dep-7' } }] }] }],
      });
      const reply = await post('/api/otel/v1/1/prod/dep-7/logs', body, { Authorization: `Bearer ${keys.deployment}`, 'Content-Type': JSON_TYPE });
      expectReply(reply, { status: 200, contentType: JSON_TYPE, partial: null, json: {} });
      const stored = readEvents(server.dataDir, { streamPrefix: 'logs-1-' }).filter((e) => e.data.scope.name === 'dt-json');
      expect(stored).toHaveLength(1);
      expect(stored[0]!.metadata).toMatchObject({ projectId: '1', environmentId: 'prod', deploymentId: 'dep-7', encoding: 'json' });
    });
  });

  it('after the whole corpus, the trace accepted before it is still complete, once', async () => {
    const { body } = await getJson(server, '/api/projects/1/ai/traces?limit=500');
    expect(body.items.find((t: any) => t.traceId === earlier.traceId)).toMatchObject({ spanCount: 4, rootSpanName: 'invoke_agent before-the-corpus', inputTokens: 560, outputTokens: 128 });
    const spans = await traceSpans(earlier.traceId);
    expect(spans).toHaveLength(4);
    const counts = storedSpanCounts(server.dataDir);
    expect(spans.map((s) => counts.get(`${earlier.traceId}/${s.spanId}`))).toEqual([1, 1, 1, 1]);
    // And the server is still answering normally.
    expectReply(await post(TRACES, Buffer.alloc(0), pb()), { status: 200, contentType: PROTOBUF, partial: null });
    expect(server.process.exitCode).toBeNull();
    // Bad input is answered, not logged as a server error.
    expect(server.output()).not.toMatch(/error|exception|unhandled/i);
  });

  it('the random-bytes and truncated corpus entries really are undecodable (guards the corpus itself)', () => {
    expect(() => decodeTraceRequestForTest(noise(4096))).toThrow();
    const body = validBody();
    expect(() => decodeTraceRequestForTest(body)).not.toThrow();
    expect(() => decodeTraceRequestForTest(body.subarray(0, body.length - 7))).toThrow();
  });
});
