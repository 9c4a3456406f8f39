import { SqliteEventStore } from '@temps/event-store/sqlite';
import { ProviderCredentials } from './provider-credentials';
import { SecretBox } from './secret-box';

/** Two instances on one event store stand for the CLI (writes) and the server (reads), as in one data dir. */
describe('ProviderCredentials: a project setting wins over the environment default', () => {
  let events: SqliteEventStore;
  const box = new SecretBox(Buffer.alloc(32, 3));
  beforeEach(async () => {
    events = await SqliteEventStore.open(':memory:');
  });
  afterEach(async () => events.close());

  it.each([
    [{}, false],
    [{ TEMPS_AI_CAPTURE_CONTENT: 'true' }, true],
    [{ TEMPS_AI_CAPTURE_CONTENT: 'on' }, true],
    [{ TEMPS_AI_CAPTURE_CONTENT: '0' }, false],
  ])('content capture with %j and no project setting: %s; the project turning it the other way wins', async (env, expected) => {
    const server = new ProviderCredentials(events, box, env);
    expect(await server.contentCapture('1')).toBe(expected);
    const cli = new ProviderCredentials(events, box, env);
    await cli.setContentCapture('1', !expected);
    await server.refresh();
    expect(await server.contentCapture('1')).toBe(!expected);
    expect(await server.contentCapture('2')).toBe(expected); // other projects keep the default
  });

  it('a provider set on one project only is configured for that project, with its own key and base URL', async () => {
    const env = { TEMPS_AI_OPENAI_API_KEY: 'sk-env' };
    const server = new ProviderCredentials(events, box, env);
    expect(await server.configured('2')).toEqual(['openai']);
    await new ProviderCredentials(events, box, env).set('2', 'mistral', 'mistral-key', 'http://127.0.0.1:9/v1/');
    await server.refresh();
    expect(await server.configured('2')).toEqual(expect.arrayContaining(['openai', 'mistral']));
    expect(await server.configured('1')).toEqual(['openai']);
    expect(await server.resolve('2', 'mistral')).toEqual({ apiKey: 'mistral-key', baseUrl: 'http://127.0.0.1:9/v1', source: 'project' });
    expect(await server.resolve('1', 'mistral')).toBeNull();
  });
});
