import diagnosticsChannel from 'node:diagnostics_channel';
import type { ClientRequest, IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { otelPipeline } from '../support/send-spans';
import { storedSpanCounts } from '../support/server-inspect';
import { holdSqliteWriteLock } from '../support/sqlite-lock-holder';
import { eventually, getJson, startServer, TEST_API_KEY, type RunningServer } from '../support/temps-server';

/**
 * Retry: the event store is made unavailable (another process holds SQLite's write lock) while a
 * real OTel exporter sends. The server answers 503 + Retry-After instead of hanging, the exporter
 * retries by itself, and once the lock is gone every span arrives exactly once.
 */
describe('retry: event store unavailable for a while', () => {
  let server: RunningServer;
  const statuses: number[] = [];
  const onResponse = (message: unknown) => {
    const { request, response } = message as { request: ClientRequest; response: IncomingMessage };
    if (request.path.endsWith('/v1/traces')) statuses.push(response.statusCode ?? 0);
  };

  beforeAll(async () => {
    // A short write timeout: the 503 comes quickly and the exporter's retry budget is enough.
    server = await startServer({ env: { TEMPS_EVENT_STORE_WRITE_TIMEOUT_MS: '500' } });
    diagnosticsChannel.subscribe('http.client.response.finish', onResponse);
  });
  afterAll(async () => {
    diagnosticsChannel.unsubscribe('http.client.response.finish', onResponse);
    await server?.stop();
  });

  it('answers 503 while the store is locked, and the exporter retry stores every span once', async () => {
    // Hold the write lock from another process (as a backup job or a stuck CLI might) for 3 s.
    const holder = await holdSqliteWriteLock(join(server.dataDir, 'events.db'), 3000);
    const released = holder.released;

    const { provider, tracer, exporter } = otelPipeline(`${server.url}/api/otel/v1/traces`, { Authorization: `Bearer ${TEST_API_KEY}`, 'X-Temps-Project-Id': '1' });
    const results: ExportResult[] = [];
    const original = exporter.export.bind(exporter);
    exporter.export = (spans, done) => original(spans, (r) => (results.push(r), done(r)));

    const root = tracer.startSpan('invoke_agent retry-agent', { attributes: { 'gen_ai.operation.name': 'invoke_agent' } });
    const traceId = root.spanContext().traceId;
    root.end();
    await provider.forceFlush();
    await released;
    await provider.shutdown();

    expect(statuses).toContain(503);
    expect(statuses[statuses.length - 1]).toBe(200);
    expect(results.map((r) => r.code)).toEqual([ExportResultCode.SUCCESS]);

    const { body } = await eventually(async () => {
      const r = await getJson(server, `/api/projects/1/ai/traces/${traceId}`);
      return r.status === 200 ? r : undefined;
    }, 15_000, 'the retried trace');
    expect(body.spans).toHaveLength(1);
    const counts = storedSpanCounts(server.dataDir);
    expect(counts.get(`${traceId}/${root.spanContext().spanId}`)).toBe(1);
  }, 60_000);
});
