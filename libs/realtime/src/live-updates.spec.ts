import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TraceSummary } from '@temps/domain';
import { openLiveUpdateChannel, type LiveUpdateChannel } from './live-update-channel';
import { LiveUpdates } from './live-updates';

const summary = (projectId: string, traceId: string): TraceSummary => ({
  projectId,
  traceId,
  rootSpanName: 'chat gpt-4o',
  serviceName: 'svc',
  startTime: '2026-01-01T00:00:00.000Z',
  endTime: '2026-01-01T00:00:01.000Z',
  startKey: '00000000001767225600000000000',
  durationMs: 1000,
  status: 'ok',
  spanCount: 1,
  errorCount: 0,
  providers: ['openai'],
  models: ['gpt-4o'],
  inputTokens: 3,
  outputTokens: 5,
  agentNames: [],
  conversationId: null,
  inProgress: false,
  updatedPosition: '7',
});

async function until(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Two instances' LiveUpdates on one real SQLite outbox (each its own connection, as two processes would have). */
describe('LiveUpdates over a shared SQLite channel', () => {
  let dir: string;
  let channels: LiveUpdateChannel[];
  let here: LiveUpdates;
  let there: LiveUpdates;
  const heard = { here: [] as string[], there: [] as string[] };

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'temps-live-updates-'));
    const config = { kind: 'sqlite' as const, path: join(dir, 'read.db') };
    channels = [await openLiveUpdateChannel(config), await openLiveUpdateChannel(config)];
    here = new LiveUpdates(channels[0], 10);
    there = new LiveUpdates(channels[1], 10);
    heard.here = [];
    heard.there = [];
    here.subscribe((updates) => heard.here.push(...updates.map((u) => `${u.projectId}/${u.item.traceId}`)));
    there.subscribe((updates) => heard.there.push(...updates.map((u) => `${u.projectId}/${u.item.traceId}`)));
    await new Promise((r) => setTimeout(r, 50)); // both tails have found the head
  });
  afterEach(async () => {
    await here.onModuleDestroy();
    await there.onModuleDestroy();
    for (const c of channels) await c.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a commit published in one instance reaches its own listeners at once and the other instance through the channel, once each', async () => {
    here.publish([summary('1', 'a'), summary('2', 'b')]);
    expect(heard.here).toEqual(['1/a', '2/b']); // in-process, synchronously
    await until(() => heard.there.length === 2, 'the other instance');
    expect(heard.there).toEqual(['1/a', '2/b']);
    await new Promise((r) => setTimeout(r, 100)); // several polls: the own tail skips the own batch
    expect(heard.here).toEqual(['1/a', '2/b']);
    expect(heard.there).toEqual(['1/a', '2/b']);
  });

  it('the item carries no internal fields (project, sort key, log position)', async () => {
    here.publish([summary('1', 'a')]);
    const items: Record<string, unknown>[] = [];
    there.subscribe((updates) => items.push(...updates.map((u) => u.item as unknown as Record<string, unknown>)));
    await until(() => items.length === 1, 'the item');
    expect(items[0]).toMatchObject({ traceId: 'a', spanCount: 1, rootSpanName: 'chat gpt-4o' });
    expect(items[0]).not.toHaveProperty('projectId');
    expect(items[0]).not.toHaveProperty('startKey');
    expect(items[0]).not.toHaveProperty('updatedPosition');
  });

  it('deliverLocally (a commit the projector thread already wrote to the channel) stays in the process', async () => {
    there.deliverLocally([summary('1', 'local')]);
    expect(heard.there).toEqual(['1/local']);
    await new Promise((r) => setTimeout(r, 100));
    expect(heard.here).toEqual([]);
  });

  it('without a channel, everything stays in the process', () => {
    const alone = new LiveUpdates();
    const got: string[] = [];
    alone.subscribe((updates) => got.push(...updates.map((u) => u.item.traceId)));
    alone.publish([summary('1', 'x')]);
    expect(alone.shared).toBe(false);
    expect(got).toEqual(['x']);
  });
});
