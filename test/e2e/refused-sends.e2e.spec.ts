import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { checkedExporter } from '../support/checked-exporter';
import { sendConversation } from '../support/send-conversation';
import { otelPipeline } from '../support/send-spans';
import { temps } from '../support/server-inspect';
import { startServer, type RunningServer } from '../support/temps-server';

/**
 * A send the server refuses fails at once, with the status and the server's message: in the test senders (which
 * tests then wait on) and in `temps demo` (which a user then waits on). Against the real `temps serve`.
 */
describe('refused sends fail at once, saying why', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('the OTel span pipeline: a project that does not exist is a 403 with the server message', async () => {
    const url = `${server.url}/api/otel/v1/traces`;
    const { tracer, flush } = otelPipeline(url, { Authorization: `Bearer ${server.apiKey}`, 'X-Temps-Project-Id': '9' });
    tracer.startSpan('chat gpt-4o').end();
    const started = Date.now();
    await expect(flush()).rejects.toThrow(/dropped 1 spans: HTTP 403 .*project 9 does not exist/);
    expect(Date.now() - started).toBeLessThan(5_000); // not retried: a 403 is final
  });

  it('a conversation sent with an unknown key is a 401', async () => {
    const turn = { question: 'Hi?', answer: 'Hello.', provider: 'openai', model: 'gpt-4o', inputTokens: 3, outputTokens: 2 } as const;
    await expect(sendConversation(server.url, 'tk_not_a_real_key_0123456789', '1', 'refused-conversation', [turn])).rejects.toThrow(/HTTP 401/);
  });

  it('the OTel log pipeline, checked the same way', async () => {
    const url = `${server.url}/api/otel/v1/logs`;
    const { exporter, delivered } = checkedExporter(new OTLPLogExporter({ url, headers: { Authorization: `Bearer ${server.apiKey}`, 'X-Temps-Project-Id': '9' } }), url, 'log records');
    const provider = new LoggerProvider({ processors: [new SimpleLogRecordProcessor({ exporter })] });
    provider.getLogger('refused').emit({ severityNumber: SeverityNumber.INFO, body: 'not stored' });
    await provider.forceFlush();
    await provider.shutdown();
    expect(() => delivered()).toThrow(/dropped 1 log records: HTTP 403 .*project 9 does not exist/);
    expect(() => delivered()).not.toThrow(); // reported once
  });

  it('temps demo run with another data dir than the server: it stops at the first refusal and says so', async () => {
    const otherDir = mkdtempSync(join(tmpdir(), 'temps-other-'));
    try {
      await expect(temps(otherDir, ['demo', '--url', server.url])).rejects.toThrow(
        /temps: 0 of 8 demo requests sent to project demo, then the OTLP endpoint http:\/\/127\.0\.0\.1:\d+\/api\/otel\/v1\/traces answered 401: /,
      );
    } finally {
      rmSync(otherDir, { recursive: true, force: true });
    }
  });
});

describe('Load demo data on a server that refuses the demo', () => {
  let server: RunningServer;
  beforeAll(async () => {
    // Bodies over 512 bytes are refused (413): each demo request is larger.
    server = await startServer({ env: { TEMPS_MAX_BODY_BYTES: '512' } });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("answers 502 with the OTLP endpoint's answer, which the dashboard shows under its button", async () => {
    const res = await fetch(`${server.url}/api/demo`, { method: 'POST', headers: { Authorization: `Bearer ${server.apiKey}` } });
    expect(res.status).toBe(502);
    const body = (await res.json()) as { message: string };
    expect(body.message).toMatch(/^0 of 8 demo requests sent to project demo, then the OTLP endpoint http:\/\/127\.0\.0\.1:\d+\/api\/otel\/v1\/traces answered 413: /);
  });
});
