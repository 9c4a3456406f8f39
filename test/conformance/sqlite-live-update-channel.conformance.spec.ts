import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteTraceReadStore } from '@temps/read-store/sqlite';
import { openLiveUpdateChannel } from '@temps/realtime';
import { describeLiveUpdateChannelConformance } from './live-update-channel.conformance';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

// The outbox is a table of the read store's own file: each test opens a read store there first, then the channel beside it.
describeLiveUpdateChannelConformance('sqlite (the read store file)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'temps-live-'));
  dirs.push(dir);
  const path = join(dir, 'read.db');
  await (await SqliteTraceReadStore.open(path)).close();
  const config = { kind: 'sqlite' as const, path };
  return { publisher: await openLiveUpdateChannel(config), subscriber: await openLiveUpdateChannel(config), another: () => openLiveUpdateChannel(config) };
});
