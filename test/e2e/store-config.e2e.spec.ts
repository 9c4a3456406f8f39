import { startServer } from '../support/temps-server';

/**
 * `temps serve` refuses a store, role or first-project configuration it cannot honour, before listening, saying what to set.
 * URLs are blanked where they must be missing: CI exports MONGO_URL to every test.
 */
describe('temps serve: store, role and first-project configuration errors', () => {
  it.each([
    [{ TEMPS_EVENT_STORE: 'esdb', EVENTSTORE_URL: '' }, /temps: TEMPS_EVENT_STORE=esdb needs EVENTSTORE_URL/],
    [{ TEMPS_EVENT_STORE: 'kafka' }, /temps: TEMPS_EVENT_STORE must be sqlite .* or esdb/],
    [{ TEMPS_READ_STORE: 'mongo', MONGO_URL: '' }, /temps: TEMPS_READ_STORE=mongo needs MONGO_URL/],
    [{ TEMPS_ROLE: 'query' }, /temps: TEMPS_ROLE must be one of all, ingest, api, projector/],
    [{ TEMPS_DEFAULT_PROJECT: 'my project' }, /temps: TEMPS_DEFAULT_PROJECT must be 1-64 letters, digits, '_', '-' or '.' \(not '.' or '..'\), got "my project"/],
    [{ TEMPS_EVENT_STORE: 'esdb', EVENTSTORE_URL: 'esdb://127.0.0.1:1?tls=false' }, /temps: cannot reach EventStoreDB at esdb:\/\/127\.0\.0\.1:1\?tls=false/],
    [{ TEMPS_EVENT_STORE: 'esdb', EVENTSTORE_URL: 'esdb://127.0.0.1:1?tls=false', TEMPS_ESDB_MAX_APPEND_BYTES: '1MiB' }, /temps: TEMPS_ESDB_MAX_APPEND_BYTES must be a whole number of bytes, at least 4096 .*got "1MiB"/],
  ])('given %j, then it exits before listening with a clear message', async (env, message) => {
    await expect(startServer({ env })).rejects.toThrow(message);
  });
});
