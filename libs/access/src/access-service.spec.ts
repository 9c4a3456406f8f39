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

  it('a project that does not exist is still refused after the re-read', async () => {
    const { secret } = await cli.createApiKey({ name: 'admin', role: 'admin' });
    await new Promise((r) => setTimeout(r, 60));
    expect(await server.authorize(secret, '42', 'ingest')).toMatchObject({ ok: false });
  });
});
