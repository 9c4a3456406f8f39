import { performance } from 'node:perf_hooks';
import { postOtlp } from './otlp-raw';

export interface ExportRun {
  statuses: number[];
  latencies: number[];
}

/**
 * Another tenant's exporter, as the isolation e2e tests watch it: one export after another (20 ms apart, like a
 * batch processor under steady traffic) for a given time, cycling through prebuilt bodies, with every status and latency.
 * `url` is read per export: a suite's server starts after the exporter is made.
 */
export function tenantExporter(url: () => string, bodies: readonly { body: Buffer | Uint8Array }[], headers: () => Record<string, string>): (ms: number) => Promise<ExportRun> {
  let next = 0;
  return async (ms) => {
    const statuses: number[] = [];
    const latencies: number[] = [];
    const until = Date.now() + ms;
    while (Date.now() < until) {
      const body = bodies[next++ % bodies.length]!.body;
      const started = performance.now();
      const reply = await postOtlp(url(), body, headers());
      latencies.push(performance.now() - started);
      statuses.push(reply.status);
      await new Promise((r) => setTimeout(r, 20));
    }
    return { statuses, latencies };
  };
}
