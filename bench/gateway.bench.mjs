// AI Gateway overhead (part of `npm run bench`; alone: `npm run build:server && node bench/gateway.bench.mjs`).
// The same chat completion straight to a local mock OpenAI server and through `temps serve`'s /api/ai/v1 in
// front of that same mock, alternating call by call in the same run (so drift on a noisy machine hits both):
//  - non-streaming: request -> whole JSON answer; p50 / p99 and the difference;
//  - streaming: request -> first content chunk (time to first token); p50 / p99 and the difference.
// The gateway traces every call (a SpanReceived append), off the response path: it is included here.
// Env: BENCH_GATEWAY_CALLS (default 400 per path and mode), results in test/artifacts/gateway-bench.json.
import { benchServerNodeArgs, startTempsServer } from './support/temps-server.mjs';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';

const root = join(import.meta.dirname, '..');
const CALLS = Number(process.env.BENCH_GATEWAY_CALLS ?? 400);
const WARMUP = 50;
const API_KEY = 'tk_bench_0123456789abcdefghijklmnop';
const USAGE = { prompt_tokens: 12, completion_tokens: 9, total_tokens: 21 };

/** A minimal OpenAI-compatible provider: a fixed answer, JSON or five SSE chunks (+ usage when asked). */
function startMock() {
  let calls = 0;
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      // a fresh response id per call, as providers give (one id for all would pile every call's usage claim on one response)
      const base = { id: `chatcmpl-bench-${++calls}`, created: 1_780_000_000, model: body.model };
      if (!body.stream) {
        const text = JSON.stringify({ ...base, object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: 'Hello from the bench!' }, finish_reason: 'stop' }], usage: USAGE });
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
        return res.end(text);
      }
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const send = (choices, extra = {}) => res.write(`data: ${JSON.stringify({ ...base, object: 'chat.completion.chunk', choices, ...extra })}\n\n`);
      send([{ index: 0, delta: { role: 'assistant', content: 'Hello' }, finish_reason: null }]);
      for (const piece of [' from', ' the', ' bench!']) send([{ index: 0, delta: { content: piece }, finish_reason: null }]);
      send([{ index: 0, delta: {}, finish_reason: 'stop' }]);
      if (body.stream_options?.include_usage) send([], { usage: USAGE });
      res.end('data: [DONE]\n\n');
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${server.address().port}/v1` })));
}

const startTemps = (dataDir, providerUrl) =>
  startTempsServer({ dataDir, apiKey: API_KEY, env: { TEMPS_AI_OPENAI_API_KEY: 'sk-bench', TEMPS_AI_OPENAI_BASE_URL: providerUrl }, nodeArgs: benchServerNodeArgs() });

const body = (stream) => JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'Hello!' }], ...(stream ? { stream: true } : {}) });

/** One non-streaming call: ms to the whole answer. */
async function whole(url, headers) {
  const t0 = performance.now();
  const res = await fetch(`${url}/chat/completions`, { method: 'POST', headers, body: body(false) });
  const json = await res.json();
  if (res.status !== 200 || !json.choices) throw new Error(`call answered ${res.status}: ${JSON.stringify(json)}`);
  return performance.now() - t0;
}

/** One streaming call: ms to the first content chunk (then the rest is read to the end). */
async function firstToken(url, headers) {
  const t0 = performance.now();
  const res = await fetch(`${url}/chat/completions`, { method: 'POST', headers, body: body(true) });
  if (res.status !== 200) throw new Error(`stream answered ${res.status}: ${await res.text()}`);
  let ttft;
  let text = '';
  const decoder = new TextDecoder();
  for await (const bytes of res.body) {
    text += decoder.decode(bytes, { stream: true });
    if (ttft === undefined && text.includes('"content":"Hello"')) ttft = performance.now() - t0;
  }
  if (ttft === undefined || !text.includes('[DONE]')) throw new Error('stream without its first token or [DONE]');
  return ttft;
}

/** CPU time (user + system, ms) the server process has used so far: what each gateway call costs it, whatever the load. */
function cpuMs(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime + stime, in clock ticks (USER_HZ 100)
}

const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return { p50: Number(pct(s, 50).toFixed(3)), p99: Number(pct(s, 99).toFixed(3)) };
};

export async function runGatewayBench() {
  const mock = await startMock();
  const dataDir = mkdtempSync(join(tmpdir(), 'temps-gateway-bench-'));
  const temps = await startTemps(dataDir, mock.url);
  const direct = { url: mock.url, headers: { 'content-type': 'application/json', authorization: 'Bearer sk-bench' } };
  const gateway = { url: `${temps.url}/api/ai/v1`, headers: { 'content-type': 'application/json', authorization: `Bearer ${API_KEY}` } };
  try {
    const result = { date: new Date().toISOString(), node: process.version, calls: CALLS };
    for (const [mode, call] of [['nonStreaming', whole], ['timeToFirstToken', firstToken]]) {
      for (let i = 0; i < WARMUP; i++) {
        await call(direct.url, direct.headers);
        await call(gateway.url, gateway.headers);
      }
      const d = [];
      const g = [];
      const cpu0 = cpuMs(temps.child.pid);
      for (let i = 0; i < CALLS; i++) {
        // alternate which goes first, so neither path always follows the other
        if (i % 2) {
          d.push(await call(direct.url, direct.headers));
          g.push(await call(gateway.url, gateway.headers));
        } else {
          g.push(await call(gateway.url, gateway.headers));
          d.push(await call(direct.url, direct.headers));
        }
      }
      // the server also projects the spans (its projector thread): included, as in production
      const serverCpuMsPerCall = Number(((cpuMs(temps.child.pid) - cpu0) / CALLS).toFixed(3));
      const ds = stats(d);
      const gs = stats(g);
      result[mode] = { direct: ds, gateway: gs, addedMs: { p50: Number((gs.p50 - ds.p50).toFixed(3)), p99: Number((gs.p99 - ds.p99).toFixed(3)) }, serverCpuMsPerCall };
    }
    // every gateway call was traced: the last one is in the query API
    const traces = await (await fetch(`${temps.url}/api/projects/1/ai/traces?limit=1`, { headers: { authorization: `Bearer ${API_KEY}` } })).json();
    result.tracedCallsVisible = Array.isArray(traces.items) && traces.items.length > 0;

    for (const [mode, label] of [['nonStreaming', 'non-streaming, whole answer'], ['timeToFirstToken', 'streaming, time to first token']]) {
      const r = result[mode];
      console.log(`gateway   ${label.padEnd(32)} direct p50 ${r.direct.p50} ms p99 ${r.direct.p99} ms | gateway p50 ${r.gateway.p50} ms p99 ${r.gateway.p99} ms | added p50 ${r.addedMs.p50} ms, p99 ${r.addedMs.p99} ms | server CPU ${r.serverCpuMsPerCall} ms/call (${CALLS} calls each)`);
    }
    mkdirSync(join(root, 'test/artifacts'), { recursive: true });
    writeFileSync(join(root, 'test/artifacts/gateway-bench.json'), JSON.stringify(result, null, 2));
    return result;
  } finally {
    temps.child.kill('SIGTERM');
    await new Promise((r) => temps.child.once('exit', r));
    mock.server.closeAllConnections();
    mock.server.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  runGatewayBench().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
