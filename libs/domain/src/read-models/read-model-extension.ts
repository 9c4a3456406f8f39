import type { SpanDocument } from '../span-document';
import { ID_SEPARATOR as SEP, type CounterRow } from './read-model-counters';

/**
 * A team's own read model, folded with the trace projection: what one trace adds to its counter rows,
 * as a pure function of the trace's spans (like model usage). The runtime stores the rows (SQLite or
 * MongoDB), applies the difference when a trace changes (order-insensitive, idempotent), and rebuilds
 * them with the projection: a new extension, or a new `version` of one, starts a new build.
 */
export interface ReadModelExtension {
  /** Short identifier ([a-z0-9_-]): the prefix of its rows. */
  readonly name: string;
  /** Bump it when `contribute` changes meaning: the read models are rebuilt from the first event. */
  readonly version: number;
  /** Rows keyed by `extensionRowId(this.name, projectId, ...key)`; values are numbers that add up. */
  contribute(spans: readonly SpanDocument[]): CounterRow[];
}

const EXTENSION_TABLE = 'x';
export const EXTENSION_NAME = /^[a-z0-9_-]{1,40}$/;

/** Prefix of every row of an extension in a project (range-read it with counterRows). */
export const extensionRowIdPrefix = (name: string, projectId: string) => [EXTENSION_TABLE, name, projectId, ''].join(SEP);

/** The id of one row of an extension: its prefix, then the row's own key parts. */
export const extensionRowId = (name: string, projectId: string, ...key: string[]) => extensionRowIdPrefix(name, projectId) + key.join(SEP);

/** The rows of all extensions for a trace; a row outside its extension's prefix is a bug in the extension. */
export function extensionCounters(extensions: readonly ReadModelExtension[], spans: readonly SpanDocument[]): CounterRow[] {
  if (extensions.length === 0 || spans.length === 0) return [];
  const projectId = spans[0]!.projectId;
  const out: CounterRow[] = [];
  for (const ext of extensions) {
    const prefix = extensionRowIdPrefix(ext.name, projectId);
    for (const row of ext.contribute(spans)) {
      if (!row.id.startsWith(prefix)) throw new Error(`read model extension ${ext.name}: row id ${JSON.stringify(row.id)} must start with extensionRowIdPrefix(${JSON.stringify(ext.name)}, ${JSON.stringify(projectId)})`);
      out.push(row);
    }
  }
  return out;
}
