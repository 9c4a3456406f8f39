import { MongoClient } from 'mongodb';

/** The server's URL with `database` as its path (the database temps uses by default). */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/** Drops a test's database (cleanup; a server that is gone is no error). */
export async function dropDatabase(url: string, database: string): Promise<void> {
  const admin = new MongoClient(url);
  try {
    await admin.db(database).dropDatabase();
  } catch {
    /* already gone, or the server is */
  } finally {
    await admin.close();
  }
}

/**
 * Where MONGO_URL is not set: a visible skip named after what did not run (`eval "$(node scripts/ferretdb.mjs start)"`
 * sets it), or, with TEMPS_REQUIRE_MONGO=1 (CI), a failing test: a run meant to cover MongoDB must not pass without it.
 */
export function describeMongoMissing(title: string, cases: string[]): void {
  if (process.env.TEMPS_REQUIRE_MONGO === '1') {
    describe(title, () => {
      it('needs MONGO_URL (TEMPS_REQUIRE_MONGO=1)', () => {
        throw new Error('TEMPS_REQUIRE_MONGO=1 but MONGO_URL is not set: eval "$(node scripts/ferretdb.mjs start)"');
      });
    });
    return;
  }
  describe.skip(`${title} (skipped: MONGO_URL not set; eval "$(node scripts/ferretdb.mjs start)")`, () => {
    for (const c of cases) it(c, () => undefined);
  });
}
