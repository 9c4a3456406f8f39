import { ExportResultCode, type ExportResult } from '@opentelemetry/core';

/** What the OTLP span, log record and metric exporters have in common. */
interface Exporter {
  export(items: any, done: (result: ExportResult) => void): void; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** A failed export's result as one line: the server's status and answer where there was one. */
function describeFailure(result: ExportResult): string {
  const error = result.error as (Error & { code?: unknown; data?: unknown }) | undefined;
  if (!error) return 'export failed';
  const status = typeof error.code === 'number' ? `HTTP ${error.code} ` : '';
  const answer = typeof error.data === 'string' && error.data ? `: ${error.data.slice(0, 300)}` : '';
  return `${status}${error.message || error.name}${answer}`;
}

/**
 * Makes an OTel exporter remember each failed export with its status and the server's answer. The SDK only logs
 * one (after retrying 429s and 503s for a while), so a test that sent data the server refused would otherwise
 * wait for that data until some timeout. `delivered()` throws if any export failed since the last call.
 */
export function checkedExporter<E extends Exporter>(exporter: E, url: string, what = 'spans'): { exporter: E; delivered(): void } {
  const failures: string[] = [];
  const send = exporter.export.bind(exporter);
  exporter.export = (items, done) =>
    send(items, (result) => {
      if (result.code !== ExportResultCode.SUCCESS) failures.push(`${Array.isArray(items) ? `${items.length} ` : ''}${what}: ${describeFailure(result)}`);
      done(result);
    });
  return {
    exporter,
    delivered() {
      if (failures.length === 0) return;
      const message = `the OTLP exporter to ${url} dropped ${failures.join('; ')}`;
      failures.length = 0;
      throw new Error(message);
    },
  };
}
