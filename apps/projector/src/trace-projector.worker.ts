import type { MessagePort } from 'node:worker_threads';
import type { TraceSummary } from '@temps/domain';
import { hostProjection } from '@temps/projection-runtime';
import { LiveUpdatePublisher, openLiveUpdateChannel, type LiveUpdateChannel } from '@temps/realtime';
import pino from 'pino';
import type { DialectMapperRef } from './dialect-mappers.module';
import { loadDialectMappers } from './load-dialect-mappers';
import { loadReadModelExtensions, type ReadModelExtensionRef } from './read-model-extensions.module';
import { openStores } from './open-stores';
import { buildThreadsFromEnv, type ProjectorThreadOptions } from './projector-options';
import { createLeasedTraceProjection, createTraceProjection, type TraceProjectionLease } from './create-trace-projection';

/**
 * Runs in the projector thread (TraceProjectorService starts it through ProjectionThread): its own
 * read-only connection to the log and its own connection to the read model (of the configured kinds); each commit's changed
 * trace summaries go to the shared live update channel (`liveOrigin` set: other instances' sockets) and to the main
 * thread, which pushes them to its own sockets.
 */
export function runTraceProjectorThread(
  files: ProjectorThreadOptions & { idlePollMs?: number; dialects?: DialectMapperRef[]; readModels?: ReadModelExtensionRef[]; lease?: TraceProjectionLease | null; liveOrigin?: string | null },
  port: MessagePort,
): Promise<void> {
  // JSON lines like the main thread's log (TEMPS_LOG_LEVEL, checked when the process started).
  const logger = pino({ level: process.env.TEMPS_LOG_LEVEL?.trim().toLowerCase() || 'info', base: { pid: process.pid, thread: 'projector' }, timestamp: pino.stdTimeFunctions.isoTime, formatters: { level: (label) => ({ level: label }) } });
  return hostProjection(port, async (publish, applied, error) => {
    // Team mappers are loaded here by path: functions cannot cross to a thread.
    const extraMappers = loadDialectMappers(files.dialects ?? []);
    const extensions = loadReadModelExtensions(files.readModels ?? []);
    // The same kinds of stores as the process (TEMPS_EVENT_STORE, TEMPS_READ_STORE), opened here.
    const { events, reads, close } = await openStores(files.stores, { reads: true, readOnlyEvents: true });
    const threads = buildThreadsFromEnv();
    // The shared live update channel (in the read store), written right after each commit, here on this thread.
    let channel: LiveUpdateChannel | null = null;
    try {
      if (files.liveOrigin) channel = await openLiveUpdateChannel(files.stores.reads);
    } catch (err) {
      await close();
      throw err;
    }
    const live = channel ? new LiveUpdatePublisher(channel, files.liveOrigin!, (m) => logger.warn(m)) : null;
    const wiring = {
      events,
      reads: reads!,
      // A fresh build's partitions open the same stores on threads of their own.
      bulkLoad: threads > 1 ? { threads: { stores: files.stores, count: threads, dialects: files.dialects, readModels: files.readModels } } : {},
      extraMappers,
      extensions,
      onCommitted: (traces: TraceSummary[]) => {
        live?.publish(traces);
        publish(traces);
      },
      onApplied: applied,
      onError: error,
      log: (message: string) => logger.info(message),
      idlePollMs: files.idlePollMs,
    };
    const process = files.lease ? createLeasedTraceProjection({ ...wiring, lease: files.lease }) : createTraceProjection(wiring);
    const closeAll = async () => {
      await live?.flushed();
      await channel?.close();
      await close();
    };
    return { events, process, close: closeAll };
  });
}
