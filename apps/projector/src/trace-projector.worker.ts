import type { MessagePort } from 'node:worker_threads';
import { SqliteEventStore } from '@temps/event-store';
import { hostProjection } from '@temps/projection-runtime';
import { SqliteTraceReadStore } from '@temps/read-store';
import type { ProjectorThreadOptions } from './projector-options';
import { TraceProjectionHandler } from './trace-projection.handler';

/**
 * Runs in the projector thread (TraceProjectorService starts it through ProjectionThread): its own
 * read-only connection to the log and its own connection to the read model; each commit's changed
 * trace summaries go to the main thread, which pushes them to the live gateway.
 */
export function runTraceProjectorThread(files: ProjectorThreadOptions & { idlePollMs?: number }, port: MessagePort): Promise<void> {
  return hostProjection(port, (publish) => {
    const events = SqliteEventStore.open(files.eventsPath, { readOnly: true });
    let reads: SqliteTraceReadStore;
    try {
      reads = SqliteTraceReadStore.open(files.readStorePath);
    } catch (err) {
      void events.close();
      throw err;
    }
    return {
      events,
      handler: new TraceProjectionHandler(reads, events, publish),
      options: { idlePollMs: files.idlePollMs },
      async close() {
        await reads.close();
        await events.close();
      },
    };
  });
}
