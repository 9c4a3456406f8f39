import { counterDelta, ID_SEPARATOR as SEP, type CounterRow } from './read-model-counters';

/**
 * The usage one span gives one API response (provider + response id). Of all the spans that name the
 * same response, project usage counts one: the claimant that sorts first (`{traceId}/{spanId}`), so
 * the result does not depend on which trace arrived first.
 */
export interface ResponseUsage {
  /** The response: `response␟{projectId}␟{provider}␟{responseId}`. */
  response: string;
  /** `{traceId}/{spanId}` of the span. */
  claimant: string;
  /** The usage rows the span adds when it is the one counted; null: it no longer names this response. */
  rows: CounterRow[] | null;
  /** The rows it claimed before this change (null: none); a bulk load counts with them and settles duplicates at its end. */
  previous?: CounterRow[] | null;
}

/** A stored claim: a span naming a response, with the usage it adds when counted. */
export type ResponseClaim = Omit<ResponseUsage, 'previous'> & { rows: CounterRow[] };

export const responseKey = (projectId: string, provider: string | null, responseId: string) => ['response', projectId, provider ?? '', responseId].join(SEP);

/** The counted claim of a response: the first claimant in sort order. */
function owner(claims: Iterable<ResponseClaim>): ResponseClaim | null {
  let first: ResponseClaim | null = null;
  for (const c of claims) if (!first || c.claimant < first.claimant) first = c;
  return first;
}

/**
 * What a batch's response claims change in model usage. `stored`: every stored claim of the responses
 * in `changes`; `changes`: the batch's new, changed and withdrawn claims. Returns the counter delta
 * (the old counted claim's rows out, the new one's in, per response whose counted claim changed) and
 * the claims to store or delete. Applying the same changes again changes nothing.
 */
export function resolveResponseUsage(stored: readonly ResponseClaim[], changes: readonly ResponseUsage[]): { counters: CounterRow[]; upserts: ResponseClaim[]; deletes: ResponseUsage[] } {
  const byResponse = new Map<string, Map<string, ResponseClaim>>();
  for (const c of stored) {
    let claims = byResponse.get(c.response);
    if (!claims) byResponse.set(c.response, (claims = new Map()));
    claims.set(c.claimant, c);
  }
  const before = new Map<string, ResponseClaim | null>();
  // By claim: a claim changed twice in one batch is written once, as it ends.
  const upserts = new Map<string, ResponseClaim>();
  const deletes = new Map<string, ResponseUsage>();
  for (const change of changes) {
    let claims = byResponse.get(change.response);
    if (!claims) byResponse.set(change.response, (claims = new Map()));
    if (!before.has(change.response)) before.set(change.response, owner(claims.values()));
    const id = `${change.response}${SEP}${change.claimant}`;
    if (change.rows) {
      const claim = { response: change.response, claimant: change.claimant, rows: change.rows };
      claims.set(change.claimant, claim);
      upserts.set(id, claim);
      deletes.delete(id);
    } else if (claims.delete(change.claimant)) {
      deletes.set(id, change);
      upserts.delete(id);
    }
  }
  const out: CounterRow[] = [];
  const rows: CounterRow[] = [];
  for (const [response, was] of before) {
    const now = owner(byResponse.get(response)!.values());
    out.push(...(was?.rows ?? []));
    rows.push(...(now?.rows ?? []));
  }
  return { counters: counterDelta(out, rows), upserts: [...upserts.values()], deletes: [...deletes.values()] };
}
