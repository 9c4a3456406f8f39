import type { EventStore } from '@temps/event-store';
import type { TempsMetrics } from './temps-metrics';

/**
 * The event store with its appends timed into temps_event_store_append_seconds: the port's edge, so
 * neither ingest nor access know about metrics. Everything else goes to the store itself.
 */
export function timedEventStore(events: EventStore, metrics: TempsMetrics): EventStore {
  // Not an async function: its frame would keep `args` (a request's events and their JSON) alive until the
  // commit, long enough for the young generation to promote them; the callbacks below do not hold them.
  const timed = <A extends unknown[], R>(call: (...args: A) => Promise<R>) =>
    (...args: A): Promise<R> => {
      const end = metrics.appendTimer();
      let pending: Promise<R>;
      try {
        pending = call(...args);
      } catch (err) {
        end('error');
        return Promise.reject(err as Error);
      }
      return pending.then(
        (result) => {
          end('ok');
          return result;
        },
        (err: unknown) => {
          end('error');
          throw err;
        },
      );
    };
  const append = timed(events.append.bind(events));
  const appendMany = timed(events.appendMany.bind(events));
  return new Proxy(events, {
    get(target, prop) {
      if (prop === 'append') return append;
      if (prop === 'appendMany') return appendMany;
      const value = Reflect.get(target, prop, target) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
