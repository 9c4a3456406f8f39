import type { MessagePort } from 'node:worker_threads';
import type { EventStore } from '@temps/event-store';
import { ProjectionRunner, type ProjectionHandler, type ProjectionRunnerOptions, type ProjectionStatus } from './projection-runner';
import type { FromProjectionThread, ToProjectionThread } from './projection-thread';

/** What a thread runs when it hosts more than one runner (e.g. BlueGreenProjection): the runner's surface. */
export interface ProjectionProcess {
  start(): Promise<void>;
  stop(): Promise<void>;
  notify(): void;
  status(): Promise<ProjectionStatus>;
}

/** What a projection thread runs: opened in the thread, on its own connections. */
export type HostedProjection = {
  /** The thread's own (read-only) connection to the log. */
  events: EventStore;
  /** Closes what was opened, once the runner has stopped. */
  close(): Promise<void>;
} & (
  | { handler: ProjectionHandler; options?: Omit<ProjectionRunnerOptions, 'onError'> }
  /** Reports its own applied positions through `applied` (given to open()). */
  | { process: ProjectionProcess }
);

/**
 * The thread side of a ProjectionThread: opens the projection (`open` gets `publish`, which sends a
 * payload to the parent, e.g. the documents a commit changed), runs its ProjectionRunner here and
 * answers the parent: wake-ups, status, stop. Resolves once the runner runs.
 */
export async function hostProjection(
  port: MessagePort,
  open: (publish: (payload: unknown) => void, applied: (position: bigint) => void, error: (err: unknown) => void) => HostedProjection | Promise<HostedProjection>,
): Promise<void> {
  const post = (msg: FromProjectionThread) => port.postMessage(msg);
  const reportError = (err: unknown) => post({ type: 'error', message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  let runner: ProjectionProcess | undefined;
  let hosted: HostedProjection | undefined;
  let stopRequested = false;
  let stopping: Promise<void> | undefined;
  const shutdown = () =>
    (stopping ??= (async () => {
      try {
        await runner?.stop();
        await hosted?.close();
      } finally {
        port.close(); // nothing left to run: the thread exits
      }
    })());

  port.on('message', (msg: ToProjectionThread) => {
    switch (msg.type) {
      case 'wake':
        runner?.notify();
        break;
      case 'status':
        if (!runner) return post({ type: 'status', id: msg.id, status: null });
        runner.status().then(
          (status) => post({ type: 'status', id: msg.id, status }),
          () => post({ type: 'status', id: msg.id, status: null }),
        );
        break;
      case 'stop':
        stopRequested = true;
        if (hosted) void shutdown(); // else once open() returned
        break;
      case 'crash':
        setImmediate(() => {
          throw new Error('projection thread: crash requested (test hook)');
        });
        break;
    }
  });

  hosted = await open(
    (payload) => post({ type: 'published', payload }),
    (position) => post({ type: 'applied', position }),
    reportError,
  );
  if (stopRequested) return shutdown();
  if ('process' in hosted) {
    runner = hosted.process;
    await runner.start();
    const status = await runner.status();
    post({ type: 'ready', position: status.state === 'rebuilding' || status.state === 'standby' ? null : status.position });
    if (stopRequested) await shutdown();
    return;
  }
  const inner = hosted.handler;
  let startPosition: bigint | null = null;
  // Reports each applied batch, so that the parent's whenCaughtUp needs no round trip.
  const handler: ProjectionHandler = {
    name: inner.name,
    checkpoint: async () => (startPosition = await inner.checkpoint()),
    apply: async (events, lastPosition) => {
      await inner.apply(events, lastPosition);
      post({ type: 'applied', position: lastPosition });
    },
  };
  runner = new ProjectionRunner(hosted.events, handler, { ...hosted.options, onError: reportError });
  await runner.start();
  post({ type: 'ready', position: startPosition });
  if (stopRequested) await shutdown();
}
