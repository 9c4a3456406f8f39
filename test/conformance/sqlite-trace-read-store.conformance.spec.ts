import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteTraceReadStore } from '@temps/read-store';
import { describeTraceReadStoreConformance } from './trace-read-store.conformance';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describeTraceReadStoreConformance('sqlite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'temps-read-'));
  dirs.push(dir);
  return SqliteTraceReadStore.open(join(dir, 'read.db'));
});
