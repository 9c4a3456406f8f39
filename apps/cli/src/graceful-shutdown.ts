import type { Logger } from 'pino';

/**
 * On SIGTERM or SIGINT: `drain` (stop accepting, finish in-flight requests and the projector's batch,
 * close the stores), then exit 0; exit 1 if it failed or took longer than timeoutMs (work was cut
 * short). A second signal while draining exits at once, with 130/143 like an unhandled signal.
 */
export function drainOnSignals(drain: (signal: string) => Promise<void>, options: { timeoutMs: number; logger: Logger; exit?: (code: number) => void }): void {
  const exit = options.exit ?? ((code: number) => process.exit(code));
  let draining = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (draining) {
      options.logger.warn({ signal }, 'second signal while draining: exiting now');
      exit(signal === 'SIGINT' ? 130 : 143);
      return;
    }
    draining = true;
    const started = Date.now();
    options.logger.info({ signal, timeoutMs: options.timeoutMs }, 'shutting down: draining requests and the projector');
    const timer = setTimeout(() => {
      options.logger.error({ signal, timeoutMs: options.timeoutMs }, 'shutdown did not finish in time (TEMPS_SHUTDOWN_TIMEOUT_MS): exiting');
      exit(1);
    }, options.timeoutMs);
    timer.unref();
    drain(signal).then(
      () => {
        clearTimeout(timer);
        options.logger.info({ ms: Date.now() - started }, 'shut down cleanly');
        exit(0);
      },
      (err: Error) => {
        clearTimeout(timer);
        options.logger.error({ err }, 'shutdown failed');
        exit(1);
      },
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}
