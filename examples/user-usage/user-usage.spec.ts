import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DynamicModule, type INestApplication, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { context, trace } from '@opentelemetry/api';
import { AccessService } from '@temps/access';
import { EVENT_STORE, type EventStore } from '@temps/event-store';
import type { SpanDocument } from '@temps/domain';
import type { StoresConfig } from '@temps/projector';
import { TRACE_READ_STORE, type TraceReadStore } from '@temps/read-store';
import { bootstrapAccess } from '../../apps/cli/src/bootstrap-access';
import { seedDefaultPrices } from '../../apps/cli/src/default-prices';
import { ServeModule } from '../../apps/cli/src/serve.module';
import { otelPipeline } from '../../test/support/send-spans';
import { eventually, getJson, TEST_API_KEY } from '../../test/support/temps-server';
import { userUsage } from './user-usage';
import { UserUsageModule } from './user-usage.module';

/** A team's app: everything `temps serve` runs, with or without the one registration of its read model. */
@Module({})
class TeamApp {
  static with(stores: StoresConfig, withUserUsage: boolean): DynamicModule {
    return { module: TeamApp, imports: [ServeModule.with({ stores }), ...(withUserUsage ? [UserUsageModule] : [])] };
  }
}

async function startApp(config: StoresConfig, withUserUsage: boolean) {
  const app: INestApplication = await NestFactory.create(TeamApp.with(config, withUserUsage), { bodyParser: false, logger: ['error', 'warn'] });
  await bootstrapAccess(app.get(AccessService), TEST_API_KEY);
  await seedDefaultPrices(app.get<EventStore>(EVENT_STORE)); // as `temps serve` does: spans get a cost
  await app.listen(0, '127.0.0.1');
  const url = `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`;
  return {
    url,
    apiKey: TEST_API_KEY,
    reads: app.get<TraceReadStore>(TRACE_READ_STORE),
    // closes the stores too (their modules' shutdown hooks)
    close: () => app.close(),
  };
}

/** One agent run for `userId` (on the root span, as apps usually set it) with one chat call, by the real exporter. */
async function sendRun(url: string, userId: string, input: number, output: number): Promise<string> {
  const { provider, tracer } = otelPipeline(`${url}/api/otel/v1/traces`, { Authorization: `Bearer ${TEST_API_KEY}`, 'X-Temps-Project-Id': '1' });
  const root = tracer.startSpan('invoke_agent support');
  root.setAttributes({ 'gen_ai.operation.name': 'invoke_agent', 'user.id': userId, 'gen_ai.usage.input_tokens': input, 'gen_ai.usage.output_tokens': output });
  const chat = tracer.startSpan('chat gpt-4o', {}, trace.setSpan(context.active(), root));
  chat.setAttributes({ 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': 'gpt-4o', 'gen_ai.usage.input_tokens': input, 'gen_ai.usage.output_tokens': output });
  chat.end();
  root.end();
  await provider.forceFlush();
  await provider.shutdown();
  return root.spanContext().traceId;
}

// gpt-4o at the shipped default price: $2.50 / $10.00 per million tokens
const cost = (input: number, output: number) => (input * 2.5 + output * 10) / 1e6;

describe('examples/user-usage: the fold', () => {
  const span = (extra: Partial<SpanDocument>): SpanDocument => ({ projectId: '1', traceId: 't', spanId: 's', parentSpanId: null, inputTokens: null, outputTokens: null, status: 'ok', ...extra }) as SpanDocument;

  it("gives the trace's counted usage to the first user id any span carries, once", () => {
    const rows = userUsage.contribute([
      span({ spanId: 'root', userId: 'alice', inputTokens: 100, outputTokens: 10 }), // repeats its child: not counted
      span({ spanId: 'chat', parentSpanId: 'root', inputTokens: 100, outputTokens: 10, cost: { total: 0.5, input: 0, output: 0, cacheRead: 0, cacheWrite: 0, currency: 'USD' } }),
    ]);
    expect(rows).toEqual([{ id: expect.stringContaining('alice'), dims: { projectId: '1', userId: 'alice' }, values: { traces: 1, errors: 0, inputTokens: 100, outputTokens: 10, costNanos: 500_000_000 } }]);
    expect(userUsage.contribute([span({ inputTokens: 5 })])).toEqual([]);
  });
});

describe.each([
  ['the embedded SQLite read store', false],
  ['the MongoDB read store (FerretDB in CI)', true],
])('examples/user-usage: registered in a Nest app, on %s', (_label, mongo) => {
  const run = mongo && !process.env.MONGO_URL ? it.skip : it;
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'temps-user-usage-'));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  run('builds the new read model from the existing log when the module is added, then keeps it live', async () => {
    const config: StoresConfig = {
      events: { kind: 'sqlite', path: join(dataDir, 'events.db') },
      reads: mongo ? { kind: 'mongo', url: process.env.MONGO_URL!, database: `user_usage_${randomBytes(4).toString('hex')}` } : { kind: 'sqlite', path: join(dataDir, 'read.db') },
    };
    // Before the team adds its read model: traces are ingested and projected as usual.
    const before = await startApp(config, false);
    try {
      await sendRun(before.url, 'alice', 100, 10);
      await sendRun(before.url, 'alice', 200, 20);
      await sendRun(before.url, 'bob', 1000, 100);
      await eventually(async () => ((await getJson(before, '/api/projects/1/ai/traces')).body.items?.length === 3 ? true : undefined), 20_000, '3 traces');
      expect((await getJson(before, '/api/projects/1/ai/users')).status).toBe(404); // no such endpoint yet
    } finally {
      await before.close();
    }

    // With the module: the registration changes the build's code, so the runtime builds it from the first event.
    const after = await startApp(config, true);
    try {
      const users = await eventually(async () => {
        const { status, body } = await getJson(after, '/api/projects/1/ai/users');
        return status === 200 && body.items.length === 2 ? body.items : undefined;
      }, 30_000, 'the user read model built from history');
      expect(users).toEqual([
        { userId: 'bob', traces: 1, errors: 0, inputTokens: 1000, outputTokens: 100, cost: expect.closeTo(cost(1000, 100), 9) },
        { userId: 'alice', traces: 2, errors: 0, inputTokens: 300, outputTokens: 30, cost: expect.closeTo(cost(300, 30), 9) },
      ]);
      const entry = await after.reads.catalogEntry('traces');
      expect(entry.active).toMatchObject({ version: 3, variant: expect.stringMatching(/^[0-9a-f]{8}$/), namespace: expect.stringMatching(/^traces_v3_x[0-9a-f]{8}$/) });
      expect(entry.building).toBeNull();
      // The traces themselves came along in the new build.
      expect((await getJson(after, '/api/projects/1/ai/traces')).body.items).toHaveLength(3);

      // And it stays live: a new run for alice is counted once.
      await sendRun(after.url, 'alice', 50, 5);
      await eventually(async () => {
        const { body } = await getJson(after, '/api/projects/1/ai/users');
        const alice = body.items.find((u: { userId: string }) => u.userId === 'alice');
        return alice?.traces === 3 && alice.inputTokens === 350 ? true : undefined;
      }, 20_000, 'alice at 3 traces');
      expect((await getJson(after, '/api/projects/1/ai/users', 'tk_wrong_000000000000000000000000000000')).status).toBe(401);
    } finally {
      await after.close();
    }
  });
});
