import { diag, DiagLogLevel, type Attributes } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { AggregationTemporalityPreference } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { hexId } from '../support/otlp-raw';
import { readEvents, temps } from '../support/server-inspect';
import { getJson, projectorCaughtUp, startServer, type RunningServer } from '../support/temps-server';

/**
 * GenAI metrics from the real OTel JS metrics SDK and OTLP/protobuf exporter, through `temps serve`,
 * to GET /api/projects/1/ai/metrics: several CUMULATIVE exports (the SDK's default; later exports
 * repeat the totals, one with no new measurement at all) and a DELTA meter provider, and the API
 * totals equal what was recorded, exactly once.
 */

// Bucket advice from the GenAI semantic conventions.
const TOKEN_BOUNDS = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864];
const DURATION_BOUNDS = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92];

const diagnostics: string[] = [];

describe('GenAI metrics over OTLP (real OTel JS metrics SDK)', () => {
  let server: RunningServer;
  const run = `genai-metrics-${hexId(6)}`;
  const exports: ExportResult[] = [];
  const started = new Date();

  function meterProvider(serviceName: string, temporality?: AggregationTemporalityPreference) {
    const exporter = new OTLPMetricExporter({
      url: `${server.url}/api/otel/v1/metrics`,
      headers: { Authorization: `Bearer ${server.apiKey}`, 'X-Temps-Project-Id': '1' },
      ...(temporality === undefined ? {} : { temporalityPreference: temporality }),
    });
    const original = exporter.export.bind(exporter);
    exporter.export = (metrics, done) => original(metrics, (result) => (exports.push(result), done(result)));
    const provider = new MeterProvider({
      resource: resourceFromAttributes({ 'service.name': serviceName, 'test.run': run }),
      // A long interval: the test decides when to export (forceFlush).
      readers: [new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 })],
    });
    const meter = provider.getMeter('opentelemetry.instrumentation.openai', '1.0.0');
    const tokens = meter.createHistogram('gen_ai.client.token.usage', { unit: '{token}', description: 'Measures number of input and output tokens used', advice: { explicitBucketBoundaries: TOKEN_BOUNDS } });
    const duration = meter.createHistogram('gen_ai.client.operation.duration', { unit: 's', description: 'GenAI operation duration', advice: { explicitBucketBoundaries: DURATION_BOUNDS } });
    return { provider, tokens, duration };
  }

  const chat: Attributes = { 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': 'gpt-4o', 'gen_ai.response.model': 'gpt-4o-2024-08-06' };
  const legacy: Attributes = { 'gen_ai.operation.name': 'chat', 'gen_ai.system': 'anthropic', 'gen_ai.request.model': 'claude-sonnet-4-5' };

  /** What the test recorded, per model and token type / operation. */
  const recorded = new Map<string, { count: number; sum: number }>();
  const note = (key: string, value: number) => {
    const r = recorded.get(key) ?? { count: 0, sum: 0 };
    recorded.set(key, { count: r.count + 1, sum: r.sum + value });
  };
  const tokenKey = (model: string, type: string) => `tokens|${model}|${type}`;
  const durationKey = (model: string, operation: string) => `duration|${model}|${operation}`;

  beforeAll(async () => {
    server = await startServer();
    diag.setLogger({ error: (m) => diagnostics.push(m), warn: (m) => diagnostics.push(m), info: () => {}, debug: () => {}, verbose: () => {} }, { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true });

    // CUMULATIVE (default): four exports, each repeating the totals so far.
    const cumulative = meterProvider('genai-metrics-cumulative');
    const record = (m: typeof cumulative, attrs: Attributes, input: number, output: number, seconds: number) => {
      const model = String(attrs['gen_ai.response.model'] ?? attrs['gen_ai.request.model']);
      m.tokens.record(input, { ...attrs, 'gen_ai.token.type': 'input' });
      m.tokens.record(output, { ...attrs, 'gen_ai.token.type': 'output' });
      m.duration.record(seconds, attrs);
      note(tokenKey(model, 'input'), input);
      note(tokenKey(model, 'output'), output);
      note(durationKey(model, String(attrs['gen_ai.operation.name'])), seconds);
    };
    record(cumulative, chat, 100, 20, 0.8);
    record(cumulative, chat, 250, 45, 1.6);
    await cumulative.provider.forceFlush();
    record(cumulative, chat, 1000, 300, 3.2);
    await cumulative.provider.forceFlush();
    await cumulative.provider.forceFlush(); // no new measurement: the same totals again, at a later time
    record(cumulative, legacy, 70, 7, 0.05);
    await cumulative.provider.shutdown(); // collects and exports once more

    // DELTA: a second meter provider whose exporter selects delta temporality; two exports of new measurements only.
    const delta = meterProvider('genai-metrics-delta', AggregationTemporalityPreference.DELTA);
    record(delta, chat, 40, 4, 0.3);
    await delta.provider.forceFlush();
    record(delta, chat, 2000, 500, 12);
    await delta.provider.shutdown();
    // A refused export fails every test here at once, with its status and message, not their waits.
    const failed = exports.filter((r) => r.code !== ExportResultCode.SUCCESS);
    if (failed.length) throw new Error(`${failed.length} metric export(s) failed: ${failed.map((r) => `${(r.error as { code?: number } | undefined)?.code ?? ''} ${r.error?.message}`).join('; ')}`);
  });
  afterAll(async () => {
    diag.disable();
    await server?.stop();
  });

  const path = (query: string) => `/api/projects/1/ai/metrics?${query}`;
  const range = () => `from=${new Date(started.getTime() - 2 * 3_600_000).toISOString()}&to=${new Date(Date.now() + 3_600_000).toISOString()}`;

  /** API items summed per model and token type / operation (hour buckets of one test run). */
  async function totals(metric: string): Promise<Map<string, { count: number; sum: number }>> {
    const { status, body } = await getJson(server, path(`metric=${metric}&bucket=hour&groupBy=model&${range()}`));
    expect(status).toBe(200);
    expect(body).toMatchObject({ metric, bucket: 'hour', groupBy: 'model', nextCursor: null });
    const out = new Map<string, { count: number; sum: number }>();
    for (const item of body.items) {
      const key = metric === 'gen_ai.client.token.usage' ? tokenKey(item.model, item.tokenType) : durationKey(item.model, item.operation);
      const t = out.get(key) ?? { count: 0, sum: 0 };
      out.set(key, { count: t.count + item.count, sum: Math.round((t.sum + item.sum) * 1e6) / 1e6 });
    }
    return out;
  }

  const expected = (prefix: string) =>
    new Map([...recorded].filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k, { count: v.count, sum: Math.round(v.sum * 1e6) / 1e6 }]));

  it('exported several times with cumulative and delta temporality, without an error', () => {
    expect(diagnostics).toEqual([]);
    expect(exports.length).toBe(6);
    expect(exports.every((r) => r.code === ExportResultCode.SUCCESS)).toBe(true);
    const stored = readEvents(server.dataDir, { streamPrefix: 'metrics-1-', type: 'MetricReceived' }).filter((e) =>
      e.data.resource.attributes.some((a: any) => a.key === 'test.run' && a.value.stringValue === run),
    );
    const temporalities = stored.filter((e) => e.data.metric.name === 'gen_ai.client.token.usage').map((e) => e.data.metric.aggregationTemporality);
    // 4 cumulative exports of the totals so far (2 = CUMULATIVE), 2 delta exports (1 = DELTA).
    expect(temporalities).toEqual([2, 2, 2, 2, 1, 1]);
  });

  it('the API totals equal what was recorded: re-exported cumulative totals count once', async () => {
    await projectorCaughtUp(server, 15_000);
    expect(await totals('gen_ai.client.token.usage')).toEqual(expected('tokens|'));
    expect(await totals('gen_ai.client.operation.duration')).toEqual(expected('duration|'));
    // The deprecated gen_ai.system names the provider when gen_ai.provider.name is absent.
    const { body } = await getJson(server, path(`metric=gen_ai.client.token.usage&groupBy=provider&bucket=day&${range()}`));
    expect([...new Set(body.items.map((i: any) => i.provider))].sort()).toEqual(['anthropic', 'openai']);
    expect(body.items.every((i: any) => i.model === null)).toBe(true);
  });

  it('percentiles come from the stored buckets', async () => {
    const { body } = await getJson(server, path(`metric=gen_ai.client.operation.duration&bucket=day&groupBy=model&${range()}`));
    const gpt = body.items.filter((i: any) => i.model === 'gpt-4o-2024-08-06');
    // Unless the run crossed midnight UTC: one day, five durations 0.3, 0.8, 1.6, 3.2, 12 s in (0.16,0.32], (0.64,1.28], (1.28,2.56], (2.56,5.12], (10.24,20.48].
    if (gpt.length === 1) {
      expect(gpt[0]).toMatchObject({ provider: 'openai', operation: 'chat', count: 5 });
      expect(gpt[0].p50).toBeCloseTo(1.92, 6); // rank 2.5: halfway through (1.28, 2.56]
      expect(gpt[0].p95).toBeCloseTo(10.24 + 10.24 * 0.75, 6); // rank 4.75
      expect(gpt[0].p99).toBeCloseTo(10.24 + 10.24 * 0.95, 6);
    } else expect(gpt.reduce((n: number, i: any) => n + i.count, 0)).toBe(5);
  });

  it('pages with a cursor', async () => {
    const all = (await getJson(server, path(`metric=gen_ai.client.token.usage&bucket=hour&${range()}`))).body.items;
    expect(all.length).toBeGreaterThanOrEqual(4);
    const seen: unknown[] = [];
    let cursor: string | null = null;
    do {
      const page: any = (await getJson(server, path(`metric=gen_ai.client.token.usage&bucket=hour&limit=3&${range()}${cursor ? `&cursor=${cursor}` : ''}`))).body;
      expect(page.items.length).toBeLessThanOrEqual(3);
      seen.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(all);
  });

  it('a rebuild of the trace projection gives the same metrics (a different batching, the same series state)', async () => {
    const read = async () =>
      Promise.all(['gen_ai.client.token.usage', 'gen_ai.client.operation.duration'].map(async (m) => (await getJson(server, path(`metric=${m}&bucket=hour&${range()}`))).body.items));
    const before = await read();
    expect(before.flat().length).toBeGreaterThan(0);
    const { stdout } = await temps(server.dataDir, ['projections', 'rebuild', 'traces']);
    expect(stdout).toMatch(/traces_v3_r\w+ built .* and now serves/);
    expect(await read()).toEqual(before);
  });

  it('answers 400 with a clear message for bad parameters, 401 without a key', async () => {
    const cases: [string, RegExp][] = [
      ['', /"metric" is required/],
      ['metric=http.server.duration', /metric must be one of gen_ai\.client\.token\.usage, gen_ai\.client\.operation\.duration/],
      ['metric=gen_ai.client.token.usage&bucket=week', /bucket must be one of hour, day/],
      ['metric=gen_ai.client.token.usage&groupBy=user', /groupBy must be one of model, provider/],
      ['metric=gen_ai.client.token.usage&from=yesterday', /"from" must be an ISO 8601 time/],
      ['metric=gen_ai.client.token.usage&from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z', /from must be before to/],
      ['metric=gen_ai.client.token.usage&limit=0', /limit must be an integer/],
      ['metric=gen_ai.client.token.usage&cursor=garbage', /invalid cursor/],
    ];
    for (const [query, message] of cases) {
      const { status, body } = await getJson(server, path(query));
      expect({ query, status }).toEqual({ query, status: 400 });
      expect(body.message).toMatch(message);
    }
    expect((await getJson(server, path('metric=gen_ai.client.token.usage'), 'tk_wrong_key_000000000000000000000000')).status).toBe(401);
  });
});
