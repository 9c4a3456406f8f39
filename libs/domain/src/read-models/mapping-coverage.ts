import type { SpanDocument } from '../span-document';
import { ID_SEPARATOR as SEP, type CounterRow } from './read-model-counters';

/** Counter table of how a project's spans were read: spans per dialect, spans per key no dialect understood. */
export const MAPPING_TABLE = 'mapping';

export const mappingRowIdPrefix = (projectId: string) => `${MAPPING_TABLE}${SEP}${projectId}${SEP}`;

export interface MappingReport {
  dialects: { dialect: string; spans: number }[];
  unmappedKeys: { key: string; spans: number }[];
}

/** What one trace adds to its project's mapping report (each span once per dialect and per unmapped key). */
export function mappingCounters(spans: readonly SpanDocument[]): CounterRow[] {
  const rows = new Map<string, CounterRow>();
  const count = (projectId: string, what: 'dialect' | 'unmapped', name: string) => {
    const id = [MAPPING_TABLE, projectId, what, name].join(SEP);
    const row = rows.get(id) ?? { id, dims: { projectId, what, name }, values: { spans: 0 } };
    row.values.spans! += 1;
    rows.set(id, row);
  };
  for (const s of spans) {
    if (!s.mapping) continue;
    for (const d of new Set(s.mapping.dialects)) count(s.projectId, 'dialect', d);
    for (const k of new Set(s.mapping.unmappedKeys)) count(s.projectId, 'unmapped', k);
  }
  return [...rows.values()];
}

/** The stored rows of one project as its report: most frequent first. */
export function mappingReport(rows: Iterable<CounterRow>): MappingReport {
  const report: MappingReport = { dialects: [], unmappedKeys: [] };
  for (const row of rows) {
    const spans = row.values.spans ?? 0;
    if (spans <= 0 || !row.dims.name) continue;
    if (row.dims.what === 'dialect') report.dialects.push({ dialect: row.dims.name, spans });
    else if (row.dims.what === 'unmapped') report.unmappedKeys.push({ key: row.dims.name, spans });
  }
  const bySpans = <T extends { spans: number }>(name: (t: T) => string) => (a: T, b: T) => b.spans - a.spans || (name(a) < name(b) ? -1 : 1);
  report.dialects.sort(bySpans((d) => d.dialect));
  report.unmappedKeys.sort(bySpans((k) => k.key));
  return report;
}
