import { SqliteEventStore } from '@temps/event-store/sqlite';
import { AccessService } from './access-service';

/** Two AccessService instances on one event store stand for the server and the CLI (two processes, one data dir). */
describe('AccessService sees what another process wrote a moment ago', () => {
  let events: SqliteEventStore;
  let server: AccessService;
  let cli: AccessService;

  beforeEach(async () => {
    events = await SqliteEventStore.open(':memory:');
    server = new AccessService(events);
    cli = new AccessService(events);
    await cli.createProject('1', 'default');
  });
  afterEach(async () => events.close());

  it('a project created by the CLI is writable at once (no 403 while the server view is fresh)', async () => {
    const { secret } = await cli.createApiKey({ name: 'admin', role: 'admin' });
    expect(await server.authorize(secret, '1', 'ingest')).toMatchObject({ ok: true });
    const id = await cli.createProject(undefined, 'demo');
    await new Promise((r) => setTimeout(r, 60)); // past the refusal re-read's 50 ms floor, well inside the 500 ms refresh
    expect(await server.authorize(secret, id, 'ingest')).toMatchObject({ ok: true });
  });

  it('a project created right after the server read the stream is writable at once (no 50 ms blind spot)', async () => {
    const { secret } = await cli.createApiKey({ name: 'admin', role: 'admin' });
    expect(await server.authorize(secret, '1', 'ingest')).toMatchObject({ ok: true }); // the server has just read
    const id = await cli.createProject(undefined, 'demo');
    expect(await server.authorize(secret, id, 'ingest')).toMatchObject({ ok: true });
    const { secret: member } = await cli.createApiKey({ name: 'demo run', role: 'member', projectIds: [id] });
    expect(await server.roleOf(member)).toBe('member');
  });

  it('a refusal does not rest on a read that was in flight before the CLI wrote', async () => {
    const { secret } = await cli.createApiKey({ name: 'admin', role: 'admin' });
    await server.authorize(secret, '1', 'ingest');
    await new Promise((r) => setTimeout(r, 600)); // the next request re-reads (500 ms refresh)...
    const reading = server.authorize(secret, '1', 'ingest'); // ...and this one starts that read now
    const id = await cli.createProject(undefined, 'demo');
    const [first, second] = await Promise.all([reading, server.authorize(secret, id, 'ingest')]);
    expect(first).toMatchObject({ ok: true });
    expect(second).toMatchObject({ ok: true });
  });

  it('refusals share their re-reads: a burst of unknown keys costs a read or two, not one each', async () => {
    let reads = 0;
    const readStream = events.readStream.bind(events);
    events.readStream = (...args: Parameters<typeof readStream>) => (reads++, readStream(...args));
    await server.refresh();
    reads = 0;
    const started = performance.now();
    const decisions = await Promise.all(Array.from({ length: 200 }, (_, i) => server.authorize(`tk_unknown_key_0123456789_${i}`, '1', 'ingest')));
    expect(decisions.every((d) => !d.ok && d.status === 401)).toBe(true);
    expect(reads).toBeLessThanOrEqual(2);
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it('a project that does not exist is still refused after the re-read', async () => {
    const { secret } = await cli.createApiKey({ name: 'admin', role: 'admin' });
    await new Promise((r) => setTimeout(r, 60));
    expect(await server.authorize(secret, '42', 'ingest')).toMatchObject({ ok: false });
  });
});

describe('AccessService ids', () => {
  it.each(['.', '..', 'a/b', 'x'.repeat(65), ''])('refuses the project id %j, saying what an id may hold', async (id) => {
    const events = await SqliteEventStore.open(':memory:');
    try {
      await expect(new AccessService(events).createProject(id, 'p')).rejects.toThrow(`project id must be 1-64 letters, digits, '_', '-' or '.' (not '.' or '..')`);
    } finally {
      await events.close();
    }
  });

  it('refuses a deployment token whose environment id is ".."', async () => {
    const events = await SqliteEventStore.open(':memory:');
    try {
      const access = new AccessService(events);
      await access.createProject('1', 'p');
      await expect(access.createDeploymentToken({ projectId: '1', environmentId: '..', deploymentId: 'web' })).rejects.toThrow(`environmentId must be 1-64 letters`);
    } finally {
      await events.close();
    }
  });
});
