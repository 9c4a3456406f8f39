import { join, resolve } from 'node:path';
import { configFromEnv, defaultProjectFromEnv, mongoDatabaseOf, roleFromEnv, roleParts, storesConfigFromEnv } from './temps-config';

describe('store selection (TEMPS_EVENT_STORE, TEMPS_READ_STORE)', () => {
  const dataDir = resolve('/tmp/temps-config-test');

  it('given nothing set, then both stores are the SQLite files of the data dir, as before', () => {
    expect(storesConfigFromEnv({ TEMPS_DATA_DIR: dataDir })).toEqual({
      events: { kind: 'sqlite', path: join(dataDir, 'events.db') },
      reads: { kind: 'sqlite', path: join(dataDir, 'read.db') },
    });
  });

  it('given the query threads and time budget, then the embedded read store carries them', () => {
    expect(storesConfigFromEnv({ TEMPS_DATA_DIR: dataDir, TEMPS_QUERY_THREADS: '3', TEMPS_QUERY_TIMEOUT_MS: '2500' }).reads).toEqual({
      kind: 'sqlite',
      path: join(dataDir, 'read.db'),
      queries: { threads: 3, timeoutMs: 2500 },
    });
  });

  it('given esdb and mongo with their URLs, then they are selected, the database coming from the URL path', () => {
    const config = storesConfigFromEnv({
      TEMPS_EVENT_STORE: 'esdb',
      EVENTSTORE_URL: 'esdb://eventstore:2113?tls=false',
      TEMPS_READ_STORE: 'Mongo',
      MONGO_URL: 'mongodb://mongo:27017/temps_prod?replicaSet=rs0',
      TEMPS_EVENT_STORE_WRITE_TIMEOUT_MS: '5000',
    });
    expect(config).toEqual({
      events: { kind: 'esdb', url: 'esdb://eventstore:2113?tls=false', writeTimeoutMs: 5000 },
      reads: { kind: 'mongo', url: 'mongodb://mongo:27017/temps_prod?replicaSet=rs0', database: 'temps_prod' },
    });
  });

  it('given TEMPS_ESDB_MAX_APPEND_BYTES with esdb, then the adapter gets it; with sqlite it is not read', () => {
    const esdb = { TEMPS_EVENT_STORE: 'esdb', EVENTSTORE_URL: 'esdb://eventstore:2113?tls=false' };
    expect(storesConfigFromEnv({ ...esdb, TEMPS_ESDB_MAX_APPEND_BYTES: '524288' }).events).toEqual({ kind: 'esdb', url: 'esdb://eventstore:2113?tls=false', maxAppendBytes: 524288 });
    expect(storesConfigFromEnv({ ...esdb, TEMPS_ESDB_MAX_APPEND_BYTES: ' ' }).events).toEqual({ kind: 'esdb', url: 'esdb://eventstore:2113?tls=false' });
    expect(storesConfigFromEnv({ TEMPS_DATA_DIR: dataDir, TEMPS_ESDB_MAX_APPEND_BYTES: 'junk' }).events).toEqual({ kind: 'sqlite', path: join(dataDir, 'events.db') });
  });

  it.each(['1MiB', '0', '-1', '4095', '1048576.5'])('given TEMPS_ESDB_MAX_APPEND_BYTES=%s with esdb, then it fails saying what it must be (never silently 1 MiB)', (value) => {
    expect(() => storesConfigFromEnv({ TEMPS_EVENT_STORE: 'esdb', EVENTSTORE_URL: 'esdb://x:2113', TEMPS_ESDB_MAX_APPEND_BYTES: value })).toThrow(
      `TEMPS_ESDB_MAX_APPEND_BYTES must be a whole number of bytes, at least 4096 and at most the server's MaxAppendSize (default 1048576), got "${value}"`,
    );
  });

  it.each([
    [{ TEMPS_EVENT_STORE: 'postgres' }, /TEMPS_EVENT_STORE must be sqlite .* or esdb .*got "postgres"/],
    [{ TEMPS_EVENT_STORE: 'esdb' }, /TEMPS_EVENT_STORE=esdb needs EVENTSTORE_URL/],
    [{ TEMPS_EVENT_STORE: 'esdb', EVENTSTORE_URL: 'http://localhost:2113' }, /EVENTSTORE_URL must start with esdb:\/\//],
    [{ TEMPS_READ_STORE: 'redis' }, /TEMPS_READ_STORE must be sqlite .* or mongo .*got "redis"/],
    [{ TEMPS_READ_STORE: 'mongo', MONGO_URL: ' ' }, /TEMPS_READ_STORE=mongo needs MONGO_URL/],
    [{ TEMPS_READ_STORE: 'mongo', MONGO_URL: 'localhost:27017' }, /MONGO_URL must start with mongodb:\/\//],
    [{ TEMPS_EVENT_STORE_WRITE_TIMEOUT_MS: 'soon' }, /TEMPS_EVENT_STORE_WRITE_TIMEOUT_MS must be a positive number/],
    [{ TEMPS_QUERY_TIMEOUT_MS: '0' }, /TEMPS_QUERY_TIMEOUT_MS must be a positive integer, got "0"/],
    [{ TEMPS_QUERY_THREADS: 'two' }, /TEMPS_QUERY_THREADS must be a positive integer, got "two"/],
  ])('given %j, then it fails with a message saying what to set', (env, message) => {
    expect(() => storesConfigFromEnv(env)).toThrow(message);
  });

  it('given a URL set without its store kind, then the default store is kept (the kind is never guessed)', () => {
    expect(storesConfigFromEnv({ EVENTSTORE_URL: 'esdb://x:2113', MONGO_URL: 'mongodb://x/db' })).toMatchObject({ events: { kind: 'sqlite' }, reads: { kind: 'sqlite' } });
  });

  it.each([
    ['mongodb://localhost:27017/temps', 'temps'],
    ['mongodb://a:1,b:2,c:3/my%20db?replicaSet=rs0', 'my db'],
    ['mongodb+srv://user:pw@cluster.example.net/prod?retryWrites=true', 'prod'],
    ['mongodb://localhost:27017/', undefined],
    ['mongodb://localhost:27017', undefined],
    ['mongodb://localhost:27017/?replicaSet=rs0', undefined],
  ])('the database of %s is %s', (url, database) => {
    expect(mongoDatabaseOf(url)).toBe(database);
  });
});

describe('roles (TEMPS_ROLE)', () => {
  it('defaults to all and accepts ingest, api and projector, alone or combined (in a canonical order)', () => {
    expect(roleFromEnv({})).toBe('all');
    expect(roleFromEnv({ TEMPS_ROLE: 'ingest' })).toBe('ingest');
    expect(roleFromEnv({ TEMPS_ROLE: ' Projector ' })).toBe('projector');
    expect(roleFromEnv({ TEMPS_ROLE: 'api' })).toBe('api');
    expect(roleFromEnv({ TEMPS_ROLE: 'projector, api' })).toBe('api,projector');
    expect(roleFromEnv({ TEMPS_ROLE: 'api,projector,ingest' })).toBe('all');
    expect(roleParts('api,projector')).toEqual({ ingest: false, api: true, projector: true });
    expect(roleParts('all')).toEqual({ ingest: true, api: true, projector: true });
    expect(roleParts('projector')).toEqual({ ingest: false, api: false, projector: true });
  });

  it('refuses anything else, naming the roles', () => {
    expect(() => roleFromEnv({ TEMPS_ROLE: 'query' })).toThrow(/TEMPS_ROLE must be one of all, ingest, api, projector/);
    expect(() => roleFromEnv({ TEMPS_ROLE: 'all,api' })).toThrow(/TEMPS_ROLE must be one of/);
    expect(() => roleFromEnv({ TEMPS_ROLE: ',' })).toThrow(/TEMPS_ROLE must be one of/);
  });

  it('is part of the serve config with the stores', () => {
    expect(configFromEnv({ TEMPS_ROLE: 'ingest', TEMPS_DATA_DIR: '/tmp/x' })).toMatchObject({ role: 'ingest', stores: { events: { kind: 'sqlite', path: '/tmp/x/events.db' } } });
  });
});

describe("the first start's project (TEMPS_DEFAULT_PROJECT)", () => {
  it("is 1 unless set; 2 for the seed's snippets; blanks trimmed", () => {
    expect(defaultProjectFromEnv({})).toBe('1');
    expect(defaultProjectFromEnv({ TEMPS_DEFAULT_PROJECT: '' })).toBe('1');
    expect(defaultProjectFromEnv({ TEMPS_DEFAULT_PROJECT: '2' })).toBe('2');
    expect(defaultProjectFromEnv({ TEMPS_DEFAULT_PROJECT: ' my-ai-app.v2 ' })).toBe('my-ai-app.v2');
    expect(configFromEnv({ TEMPS_DEFAULT_PROJECT: '2', TEMPS_DATA_DIR: '/tmp/x' })).toMatchObject({ defaultProject: '2' });
  });

  it.each(['my project', 'a/b', 'x'.repeat(65), '../1', '.', '..'])('refuses %j, saying what an id may hold', (id) => {
    expect(() => defaultProjectFromEnv({ TEMPS_DEFAULT_PROJECT: id })).toThrow(`TEMPS_DEFAULT_PROJECT must be 1-64 letters, digits, '_', '-' or '.' (not '.' or '..'), got "${id}"`);
  });
});
