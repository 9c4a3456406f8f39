import diagnosticsChannel from 'node:diagnostics_channel';
import type { ClientRequest, IncomingMessage } from 'node:http';
import { context, diag, DiagLogLevel, ROOT_CONTEXT, SeverityNumber, SpanKind, SpanStatusCode, trace, TraceFlags } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { OTLPLogExporter as JsonLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as ProtoLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPMetricExporter as JsonMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as ProtoMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { OTLPTraceExporter as JsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { detectResources, envDetector } from '@opentelemetry/resources';
import { LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { hexId } from '../support/otlp-raw';
import { readEvents } from '../support/server-inspect';
import { eventually, getJson, startServer, type RunningServer } from '../support/temps-server';

/**
 * The seed's "Minimal env-based configuration", with the real OTel JS exporters: they are built
 * with NO url and NO headers, only OTEL_EXPORTER_OTLP_ENDPOINT (a base: the SDK appends v1/<signal>)
 * and OTEL_EXPORTER_OTLP_HEADERS, for traces, logs and metrics, in http/protobuf and http/json,
 * with and without OTEL_EXPORTER_OTLP_COMPRESSION=gzip.
 */

// ---- what the exporters sent, seen from inside the process (node:http diagnostics channels) ----
interface Sent {
  method: string;
  path: string;
  contentType: string | undefined;
  contentEncoding: string | undefined;
  authorization: string | undefined;
  projectHeader: string | undefined;
  status: number | undefined;
}
const sent: Sent[] = [];
const onResponse = (message: unknown) => {
  const { request, response } = message as { request: ClientRequest; response: IncomingMessage };
  const header = (name: string) => {
    const v = request.getHeader(name);
    return v === undefined ? undefined : String(v);
  };
  sent.push({
    method: request.method,
    path: request.path,
    contentType: header('content-type'),
    contentEncoding: header('content-encoding'),
    authorization: header('authorization'),
    projectHeader: header('x-temps-project-id'),
    status: response.statusCode,
  });
};

// ---- everything the SDK's diagnostic logger says at WARN and above ----
const diagnostics: string[] = [];
const collect = (level: string) => (message: string, ...args: unknown[]) =>
  diagnostics.push(`${level}: ${message} ${args.map((a) => (a instanceof Error ? `${a.name}: ${a.message}` : JSON.stringify(a)?.slice(0, 300))).join(' ')}`);

/** Runs `fn` with exactly these OTEL_* variables (every other OTEL_* hidden), then puts the environment back. */
async function withOtelEnv<T>(vars: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  const otelKeys = () => Object.keys(process.env).filter((k) => k.startsWith('OTEL_'));
  const saved = Object.fromEntries(otelKeys().map((k) => [k, process.env[k]]));
  for (const k of otelKeys()) delete process.env[k];
  Object.assign(process.env, vars);
  try {
    return await fn();
  } finally {
    for (const k of otelKeys()) delete process.env[k];
    for (const [k, v] of Object.entries(saved)) if (v !== undefined) process.env[k] = v;
  }
}

/** Wraps an exporter's export() to record every result code the SDK gets back. */
function recordResults<E extends { export(items: any, done: (result: ExportResult) => void): void }>(exporter: E): ExportResult[] {
  const results: ExportResult[] = [];
  const original = exporter.export.bind(exporter);
  exporter.export = (items: any, done: (result: ExportResult) => void) => original(items, (result: ExportResult) => (results.push(result), done(result)));
  return results;
}

function expectAllSucceeded(results: ExportResult[]) {
  expect(results.length).toBeGreaterThan(0);
  expect(results.map((r) => ({ code: r.code, error: r.error?.message }))).toEqual(results.map(() => ({ code: ExportResultCode.SUCCESS, error: undefined })));
}

describe('env-only exporter configuration (OTEL_EXPORTER_OTLP_ENDPOINT=<server>/api, OTEL_EXPORTER_OTLP_HEADERS)', () => {
  let server: RunningServer;

  beforeAll(async () => {
    server = await startServer();
    diagnosticsChannel.subscribe('http.client.response.finish', onResponse);
    diag.setLogger({ error: collect('error'), warn: collect('warn'), info: () => {}, debug: () => {}, verbose: () => {} }, { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true });
  });
  afterAll(async () => {
    diagnosticsChannel.unsubscribe('http.client.response.finish', onResponse);
    diag.disable();
    await server?.stop();
  });
  beforeEach(() => {
    sent.length = 0;
    diagnostics.length = 0;
  });
  afterEach(() => {
    // No export error, retry or configuration warning from the SDK during the test.
    expect(diagnostics).toEqual([]);
  });

  /** The seed's env block; the Authorization value unencoded (as the seed writes it) or URL-encoded (as the spec says). */
  const seedEnv = (serviceName: string, options: { gzip?: boolean; encodedAuth?: boolean; run?: string } = {}) => ({
    OTEL_EXPORTER_OTLP_ENDPOINT: `${server.url}/api`,
    OTEL_EXPORTER_OTLP_HEADERS: `Authorization=Bearer${options.encodedAuth ? '%20' : ' '}${server.apiKey},X-Temps-Project-Id=1`,
    OTEL_SERVICE_NAME: serviceName,
    OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: 'true',
    ...(options.run ? { OTEL_RESOURCE_ATTRIBUTES: `test.run=${options.run}` } : {}),
    ...(options.gzip ? { OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip' } : {}),
  });

  /** Every request the exporters made went to <base>/v1/<signal> with the env headers, in this encoding, and got 200. */
  function expectRequests(signal: 'traces' | 'logs' | 'metrics', contentType: string, gzip: boolean) {
    expect(sent.length).toBeGreaterThan(0);
    for (const r of sent) {
      expect(r).toEqual({
        method: 'POST',
        path: `/api/v1/${signal}`,
        contentType,
        contentEncoding: gzip ? 'gzip' : undefined,
        authorization: `Bearer ${server.apiKey}`,
        projectHeader: '1',
        status: 200,
      });
    }
  }

  describe('traces', () => {
    const cases = [
      ['http/protobuf', () => new ProtoTraceExporter(), 'application/x-protobuf', false],
      ['http/json', () => new JsonTraceExporter(), 'application/json', false],
      ['http/protobuf + gzip', () => new ProtoTraceExporter(), 'application/x-protobuf', true],
      ['http/json + gzip', () => new JsonTraceExporter(), 'application/json', true],
    ] as const;

    it.each(cases)('%s: the agent trace arrives complete in the query API', async (label, makeExporter, contentType, gzip) => {
      const serviceName = `env-${label.replace(/\W+/g, '-')}`;
      const { traceId, results } = await withOtelEnv(seedEnv(serviceName, { gzip }), async () => {
        const exporter = makeExporter(); // no url, no headers: the environment only
        const results = recordResults(exporter);
        const provider = new TracerProvider({ resource: detectResources({ detectors: [envDetector] }), spanProcessors: [new SimpleSpanProcessor({ exporter })] });
        const tracer = provider.getTracer('env-config');
        const agent = tracer.startSpan('invoke_agent env-agent', { attributes: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'env-agent' } });
        const ctx = trace.setSpan(context.active(), agent);
        const chat = tracer.startSpan('chat gpt-4o', { kind: SpanKind.CLIENT }, ctx);
        chat.setAttributes({
          'gen_ai.operation.name': 'chat',
          'gen_ai.system': 'openai',
          'gen_ai.request.model': 'gpt-4o',
          'gen_ai.response.model': 'gpt-4o-2024-08-06',
          'gen_ai.usage.input_tokens': 150,
          'gen_ai.usage.output_tokens': 320,
          'gen_ai.response.finish_reasons': ['stop'],
          'gen_ai.input.messages': JSON.stringify([{ role: 'user', content: 'Hello!' }]),
        });
        chat.setStatus({ code: SpanStatusCode.OK });
        chat.end();
        agent.end();
        await provider.forceFlush();
        await provider.shutdown();
        return { traceId: agent.spanContext().traceId, results };
      });

      expectAllSucceeded(results);
      expectRequests('traces', contentType, gzip);
      const item = await eventually(async () => {
        const { body } = await getJson(server, '/api/projects/1/ai/traces?limit=500');
        return body.items?.find((t: any) => t.traceId === traceId && t.spanCount === 2);
      }, 15_000, `trace ${traceId} with 2 spans`);
      expect(item).toMatchObject({ serviceName, rootSpanName: 'invoke_agent env-agent', inputTokens: 150, outputTokens: 320, providers: ['openai'], models: ['gpt-4o-2024-08-06'] });
      const { status, body } = await getJson(server, `/api/projects/1/ai/traces/${traceId}`);
      expect(status).toBe(200);
      const chat = body.spans.find((s: any) => s.operation === 'chat');
      expect(chat).toMatchObject({ provider: 'openai', requestModel: 'gpt-4o', inputTokens: 150, outputTokens: 320, finishReasons: ['stop'] });
      expect(chat.inputMessages).toEqual([{ role: 'user', parts: [{ type: 'text', content: 'Hello!' }] }]);
    });
  });

  describe('logs: GenAI content events with and without trace context', () => {
    const cases = [
      ['http/protobuf', () => new ProtoLogExporter(), 'application/x-protobuf', 'protobuf', false],
      ['http/json', () => new JsonLogExporter(), 'application/json', 'json', false],
      ['http/protobuf + gzip', () => new ProtoLogExporter(), 'application/x-protobuf', 'protobuf', true],
    ] as const;

    it.each(cases)('%s: the event joins its trace stream, the plain record goes to logs-1-{hour}', async (label, makeExporter, contentType, encoding, gzip) => {
      const run = `logs-${hexId(6)}`;
      const traceId = hexId(16);
      const spanId = hexId(8);
      const results = await withOtelEnv(seedEnv(`env-logs-${label}`, { gzip, encodedAuth: true, run }), async () => {
        const exporter = makeExporter();
        const results = recordResults(exporter);
        const provider = new LoggerProvider({ resource: detectResources({ detectors: [envDetector] }), processors: [new SimpleLogRecordProcessor({ exporter })] });
        const logger = provider.getLogger('opentelemetry.instrumentation.openai');
        // As @opentelemetry/instrumentation-openai does: the `event.name` attribute, plus the LogRecord eventName field.
        logger.emit({
          eventName: 'gen_ai.user.message',
          severityNumber: SeverityNumber.INFO,
          attributes: { 'event.name': 'gen_ai.user.message', 'gen_ai.system': 'openai' },
          body: { content: 'Hello!' },
          context: trace.setSpanContext(ROOT_CONTEXT, { traceId, spanId, traceFlags: TraceFlags.SAMPLED }),
        });
        logger.emit({ severityNumber: SeverityNumber.WARN, severityText: 'WARN', body: 'rate limited, retrying', attributes: { 'test.kind': 'plain' }, context: ROOT_CONTEXT });
        await provider.forceFlush();
        await provider.shutdown();
        return results;
      });

      expectAllSucceeded(results);
      expectRequests('logs', contentType, gzip);

      const inTrace = readEvents(server.dataDir, { stream: `trace-1-${traceId}` });
      expect(inTrace.map((e) => e.type)).toEqual(['LogRecordReceived']);
      const event = inTrace[0]!;
      expect(event.metadata).toMatchObject({ projectId: '1', encoding, schemaVersion: 2 });
      // Stored with attribute maps and a compact body (event schema 2); `otlp` reads it back as received.
      expect(event.data.logRecord).toMatchObject({ attributes: { 'event.name': 'gen_ai.user.message', 'gen_ai.system': 'openai' }, body: { kvlist: { content: 'Hello!' } } });
      expect(event.otlp.logRecord).toMatchObject({
        eventName: 'gen_ai.user.message',
        traceId,
        spanId,
        severityNumber: SeverityNumber.INFO,
        body: { kvlistValue: { values: [{ key: 'content', value: { stringValue: 'Hello!' } }] } },
      });
      expect(event.otlp.logRecord.attributes).toEqual(
        expect.arrayContaining([
          { key: 'event.name', value: { stringValue: 'gen_ai.user.message' } },
          { key: 'gen_ai.system', value: { stringValue: 'openai' } },
        ]),
      );
      expect(event.otlp.resource.attributes).toEqual(expect.arrayContaining([{ key: 'test.run', value: { stringValue: run } }]));
      expect(event.data.scope.name).toBe('opentelemetry.instrumentation.openai');

      const plain = readEvents(server.dataDir, { streamPrefix: 'logs-1-', type: 'LogRecordReceived' }).filter((e) =>
        e.otlp.resource.attributes.some((a: any) => a.key === 'test.run' && a.value.stringValue === run),
      );
      expect(plain).toHaveLength(1);
      expect(plain[0]!.metadata).toMatchObject({ projectId: '1', encoding });
      expect(plain[0]!.otlp.logRecord).toMatchObject({ severityNumber: SeverityNumber.WARN, severityText: 'WARN', body: { stringValue: 'rate limited, retrying' } });
      expect(plain[0]!.otlp.logRecord.traceId).toBeUndefined();
      expect(plain[0]!.otlp.logRecord.spanId).toBeUndefined();
    });
  });

  describe('metrics: gen_ai.client.token.usage', () => {
    const cases = [
      ['http/protobuf', () => new ProtoMetricExporter(), 'application/x-protobuf', 'protobuf', false],
      ['http/json', () => new JsonMetricExporter(), 'application/json', 'json', false],
      ['http/json + gzip', () => new JsonMetricExporter(), 'application/json', 'json', true],
    ] as const;

    it.each(cases)('%s: the histogram is stored in metrics-1-{hour}', async (label, makeExporter, contentType, encoding, gzip) => {
      const run = `metrics-${hexId(6)}`;
      const results = await withOtelEnv(seedEnv(`env-metrics-${label}`, { gzip, run }), async () => {
        const exporter = makeExporter();
        const results = recordResults(exporter);
        const provider = new MeterProvider({
          resource: detectResources({ detectors: [envDetector] }),
          readers: [new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 60_000 })],
        });
        const usage = provider.getMeter('opentelemetry.instrumentation.openai').createHistogram('gen_ai.client.token.usage', {
          unit: '{token}',
          description: 'Measures number of input and output tokens used',
        });
        const common = { 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': 'gpt-4o', 'gen_ai.response.model': 'gpt-4o-2024-08-06' };
        usage.record(150, { ...common, 'gen_ai.token.type': 'input' });
        usage.record(320, { ...common, 'gen_ai.token.type': 'output' });
        await provider.shutdown(); // collects and exports once more, then shuts the exporter down
        return results;
      });

      expectAllSucceeded(results);
      expectRequests('metrics', contentType, gzip);

      const stored = readEvents(server.dataDir, { streamPrefix: 'metrics-1-', type: 'MetricReceived' }).filter((e) =>
        e.otlp.resource.attributes.some((a: any) => a.key === 'test.run' && a.value.stringValue === run),
      );
      expect(stored.length).toBeGreaterThanOrEqual(1);
      for (const event of stored) {
        expect(event.metadata).toMatchObject({ projectId: '1', encoding });
        expect(event.data.scope.name).toBe('opentelemetry.instrumentation.openai');
        expect(event.data.metric).toMatchObject({
          name: 'gen_ai.client.token.usage',
          unit: '{token}',
          description: 'Measures number of input and output tokens used',
          type: 'histogram',
          aggregationTemporality: 2, // OTLP AGGREGATION_TEMPORALITY_CUMULATIVE, the SDK's default
        });
        const points = event.data.metric.dataPoints as any[];
        expect(points).toHaveLength(2);
        const byType = Object.fromEntries(
          points.map((p) => [p.attributes.find((a: any) => a.key === 'gen_ai.token.type')?.value.stringValue, { count: Number(p.count), sum: Number(p.sum), min: p.min, max: p.max }]),
        );
        expect(byType).toEqual({ input: { count: 1, sum: 150, min: 150, max: 150 }, output: { count: 1, sum: 320, min: 320, max: 320 } });
        const input = points.find((p) => p.attributes.some((a: any) => a.value.stringValue === 'input'));
        expect(input.attributes).toEqual(expect.arrayContaining([{ key: 'gen_ai.request.model', value: { stringValue: 'gpt-4o' } }]));
        expect(input.bucketCounts.map(Number).reduce((a: number, b: number) => a + b, 0)).toBe(1);
        expect(input.explicitBounds.length).toBe(input.bucketCounts.length - 1);
      }
    });
  });

  it('the server logged no error while ingesting all of it', () => {
    expect(server.output()).not.toMatch(/error|exception|unhandled/i);
  });
});
