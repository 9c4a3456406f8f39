import 'reflect-metadata';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DynamicModule, type INestApplication, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { SpanKind, SpanStatusCode, context, trace } from '@opentelemetry/api';
import { AccessService } from '@temps/access';
import { TraceProjectorService, type StoresConfig } from '@temps/projector';
import { bootstrapAccess } from '../../apps/cli/src/bootstrap-access';
import { ServeModule } from '../../apps/cli/src/serve.module';
import { otelPipeline } from '../../test/support/send-spans';
import { eventually, getJson, startServer, TEST_API_KEY, type RunningServer } from '../../test/support/temps-server';
import { AcmeDialectModule } from './acme-dialect.module';

/** What a team's app module looks like: everything `temps serve` runs, plus the one registration. */
@Module({})
class AcmeTracingApp {
  static with(stores: StoresConfig): DynamicModule {
    return { module: AcmeTracingApp, imports: [ServeModule.with({ stores }), AcmeDialectModule] };
  }
}

/** Two acme-llm calls under one request span, sent by the real OTel SDK and OTLP/protobuf exporter. */
async function sendAcmeTrace(url: string): Promise<string> {
  const { provider, tracer } = otelPipeline(`${url}/api/otel/v1/traces`, { Authorization: `Bearer ${TEST_API_KEY}`, 'X-Temps-Project-Id': '1' }, 'acme-support-bot');
  const root = tracer.startSpan('POST /support/answer', { kind: SpanKind.SERVER });
  const ctx = trace.setSpan(context.active(), root);
  const first = tracer.startSpan('acme.llm.call', { kind: SpanKind.CLIENT }, ctx);
  first.setAttributes({
    'gen_ai.system': 'acme-gateway',
    'acme.llm.vendor': 'OpenAI',
    'acme.llm.model': 'gpt-4o-mini',
    'acme.llm.tokens.prompt': 42,
    'acme.llm.tokens.completion': 7,
    'acme.llm.prompt': JSON.stringify([
      { role: 'system', text: 'You answer in one word.' },
      { role: 'user', text: 'Capital of France?' },
    ]),
    'acme.llm.completion': 'Paris.',
    'acme.llm.session': 'ticket-1234',
  });
  first.setStatus({ code: SpanStatusCode.OK });
  first.end();
  const second = tracer.startSpan('acme.llm.call', { kind: SpanKind.CLIENT }, ctx);
  second.setAttributes({
    'acme.llm.vendor': 'anthropic',
    'acme.llm.model': 'claude-sonnet-4',
    'acme.llm.tokens.prompt': '100',
    'acme.llm.tokens.completion': '20',
    'acme.llm.prompt': JSON.stringify([{ role: 'user', text: 'And of Italy?' }]),
    'acme.llm.completion': 'Rome.',
    'acme.llm.session': 'ticket-1234',
    // a field of a newer acme-llm that the mapper does not read yet: reported, thanks to ownsPrefixes
    'acme.llm.cache_policy': 'semantic',
  });
  second.end();
  root.end();
  await provider.forceFlush();
  await provider.shutdown();
  return root.spanContext().traceId;
}

/** Sends the acme trace and checks what the query API serves, fields read by acmeDialect only. */
async function expectAcmeTraceNormalized(server: { url: string; apiKey: string }): Promise<void> {
  const traceId = await sendAcmeTrace(server.url);
  const body = await eventually(async () => {
    const res = await getJson(server, `/api/projects/1/ai/traces/${traceId}`);
    return res.status === 200 && res.body.spans?.length === 3 ? res.body : undefined;
  }, 20_000, `trace ${traceId} with 3 spans`);

  const calls = (body.spans as any[]).filter((s) => s.name === 'acme.llm.call').sort((a, b) => a.inputTokens - b.inputTokens);
  expect(calls[0]).toMatchObject({
    kind: 'generation',
    operation: 'chat',
    // acme.llm.vendor, not the built-in reading of gen_ai.system = "acme-gateway": team mappers run first
    provider: 'openai',
    requestModel: 'gpt-4o-mini',
    inputTokens: 42,
    outputTokens: 7,
    conversationId: 'ticket-1234',
    inputMessages: [{ role: 'user', parts: [{ type: 'text', content: 'Capital of France?' }] }],
    systemInstructions: [{ type: 'text', content: 'You answer in one word.' }],
    outputMessages: [{ role: 'assistant', parts: [{ type: 'text', content: 'Paris.' }] }],
  });
  expect(calls[0].mapping).toEqual({ dialects: ['acme-llm', 'otel-genai'], unmappedKeys: [] });
  expect(calls[1]).toMatchObject({ provider: 'anthropic', requestModel: 'claude-sonnet-4', inputTokens: 100, outputTokens: 20 });
  expect(calls[1].mapping).toEqual({ dialects: ['acme-llm'], unmappedKeys: ['acme.llm.cache_policy'] });

  expect(body.trace).toMatchObject({ traceId, providers: ['anthropic', 'openai'], inputTokens: 142, outputTokens: 27, conversationId: 'ticket-1234' });
}

describe.each([
  ['on its thread', '1'],
  ['in-process', '0'],
])('examples/custom-dialect: a Nest app with AcmeDialectModule, projector %s', (_mode, threadFlag) => {
  let dataDir: string;
  let app: INestApplication;
  let url: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'temps-acme-'));
    const config: StoresConfig = { events: { kind: 'sqlite', path: join(dataDir, 'events.db') }, reads: { kind: 'sqlite', path: join(dataDir, 'read.db') } };
    const previous = process.env.TEMPS_PROJECTOR_THREAD;
    process.env.TEMPS_PROJECTOR_THREAD = threadFlag; // ServeModule reads it once, when built
    try {
      app = await NestFactory.create(AcmeTracingApp.with(config), { bodyParser: false, logger: ['error', 'warn'] });
    } finally {
      if (previous === undefined) delete process.env.TEMPS_PROJECTOR_THREAD;
      else process.env.TEMPS_PROJECTOR_THREAD = previous;
    }
    await bootstrapAccess(app.get(AccessService), TEST_API_KEY);
    await app.listen(0, '127.0.0.1');
    url = `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`;
  });
  afterAll(async () => {
    await app?.close(); // and the stores, by their modules
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('normalizes acme-llm spans with the registered mapper, ahead of the built-in ones', async () => {
    expect(app.get(TraceProjectorService).mode).toBe(threadFlag === '1' ? 'thread' : 'in-process');
    await expectAcmeTraceNormalized({ url, apiKey: TEST_API_KEY });
  });
});

describe('examples/custom-dialect: `temps serve` with TEMPS_DIALECTS', () => {
  const mapperPath = join(__dirname, 'acme-dialect.ts'); // Node 24 loads it as is (its types are erasable)
  let server: RunningServer;

  beforeAll(async () => {
    server = await startServer({ env: { TEMPS_DIALECTS: `${mapperPath}#acmeDialect` } });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('normalizes acme-llm spans with the mapper named in TEMPS_DIALECTS', async () => {
    await expectAcmeTraceNormalized(server);
  });

  it('refuses to start, saying why, when the export is missing or not a mapper', async () => {
    await expect(startServer({ env: { TEMPS_DIALECTS: `${mapperPath}#acmeDialcet` } })).rejects.toThrow(/acme-dialect\.ts#acmeDialcet: the module has no export "acmeDialcet" \(it exports: acmeDialect\)/);
    await expect(startServer({ env: { TEMPS_DIALECTS: `${join(__dirname, 'missing.js')}#acmeDialect` } })).rejects.toThrow(/missing\.js#acmeDialect: cannot load the module/);
    await expect(startServer({ env: { TEMPS_DIALECTS: 'acme-dialect.js' } })).rejects.toThrow(/TEMPS_DIALECTS: "acme-dialect\.js" must be \/absolute\/path\/to\/module\.js#exportName/);
  });
});
