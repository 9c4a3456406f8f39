/**
 * Additive read models (model usage, mapping coverage) are rows of counters. A trace contributes
 * counters that are a pure function of its span set; when a batch changes a trace, the projector
 * writes the difference between the trace's new and old contributions. The sum over traces is then
 * independent of the order spans arrived in and of spans received twice, like the trace itself.
 */
export interface CounterRow {
  /** Sortable identity, unique across every counter table: its prefix names the table and the project. */
  id: string;
  /** The row's dimensions (project, hour, provider, model, ...), stored beside the counters. */
  dims: Record<string, string | null>;
  values: Record<string, number>;
}

/** Sums rows by id (values added key by key). */
export function sumCounters(rows: Iterable<CounterRow>): Map<string, CounterRow> {
  const out = new Map<string, CounterRow>();
  for (const row of rows) {
    const current = out.get(row.id);
    if (!current) {
      out.set(row.id, { id: row.id, dims: row.dims, values: { ...row.values } });
      continue;
    }
    for (const [k, v] of Object.entries(row.values)) current.values[k] = (current.values[k] ?? 0) + v;
  }
  return out;
}

/** What to add to the stored rows so they move from `before` to `after`; rows whose change is all zero are left out. */
export function counterDelta(before: Iterable<CounterRow>, after: Iterable<CounterRow>): CounterRow[] {
  const delta = sumCounters(after);
  for (const row of sumCounters(before).values()) {
    const current = delta.get(row.id) ?? { id: row.id, dims: row.dims, values: {} };
    delta.set(row.id, current);
    for (const [k, v] of Object.entries(row.values)) current.values[k] = (current.values[k] ?? 0) - v;
  }
  const out: CounterRow[] = [];
  for (const row of delta.values()) {
    for (const k of Object.keys(row.values)) if (row.values[k] === 0) delete row.values[k];
    if (Object.keys(row.values).length > 0) out.push(row);
  }
  return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** Separator of the parts of a counter id: sorts before every printable character. */
export const ID_SEPARATOR = '\u001f';

/** The start of the UTC hour of an ISO time: the time part of hourly counter row ids. */
export const hourStartOf = (iso: string) => `${iso.slice(0, 13)}:00:00.000Z`;
