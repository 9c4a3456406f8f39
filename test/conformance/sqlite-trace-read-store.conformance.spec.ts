import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SQLITE_COMMIT_STEPS, SqliteTraceReadStore, type SqliteCommitStep } from '@temps/read-store/sqlite';
import { describeTraceReadStoreConformance } from './trace-read-store.conformance';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describeTraceReadStoreConformance('sqlite', async (options) => {
  if (!options?.namespace) dirs.push(mkdtempSync(join(tmpdir(), 'temps-read-')));
  return SqliteTraceReadStore.open(join(dirs[dirs.length - 1]!, 'read.db'), { namespace: options?.namespace, failpoint: options?.failpoint as ((step: SqliteCommitStep) => void) | undefined });
}, { freeText: 'substring', commitSteps: SQLITE_COMMIT_STEPS });
