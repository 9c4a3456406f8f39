/** A budget of requests and bytes held at once. */
export interface InflightBudget {
  requests: number;
  bytes: number;
}

export interface FairInflightBudgets {
  /** All tenants together. */
  total: InflightBudget;
  /** One credential (an API key or a deployment token). */
  perCredential: InflightBudget;
  /** One project, over all the credentials that send to it. */
  perProject: InflightBudget;
}

/** Which budget a refusal came from: the message tells the sender whose share ran out. */
export type InflightScope = 'total' | 'credential' | 'project';

class Usage {
  requests = 0;
  bytes = 0;
}

/** One admitted request: its bytes can grow while it runs (a body inflating), and it is released once. */
export interface InflightTicket {
  /** Bytes held now. */
  readonly bytes: number;
  /**
   * Raises the bytes held to `bytes` (never lowers them). Returns the scope whose budget it would exceed
   * (the ticket keeps what it held), or null when granted.
   */
  growTo(bytes: number): InflightScope | null;
  /** Sets the bytes held to `bytes` when that is less (an estimate made on admission, once the real size is known). */
  shrinkTo(bytes: number): void;
  release(): void;
}

/**
 * Bounds the work ingest holds in memory, with a share per tenant: a credential may hold at most its
 * share of the in-flight requests and bytes, a project (all its credentials) at most its share, and all
 * of them together at most the total. A tenant that floods, stalls or inflates big bodies fills its own
 * share and gets 429s; the rest of the total stays free for the others.
 *
 * A request alone in a scope may exceed that scope's byte budget (it is bounded by the body limit
 * anyway): a budget smaller than one body must not lock its tenant out for good.
 */
export class FairInflightLimiter {
  private readonly total = new Usage();
  private readonly byCredential = new Map<string, Usage>();
  private readonly byProject = new Map<string, Usage>();

  constructor(private readonly budgets: FairInflightBudgets) {}

  /** A ticket holding one request slot and `bytes`, or the scope that refused it. */
  tryAcquire(credential: string, project: string, bytes: number): InflightTicket | InflightScope {
    const scopes: [InflightScope, Usage, InflightBudget][] = [
      ['total', this.total, this.budgets.total],
      ['credential', this.usage(this.byCredential, credential), this.budgets.perCredential],
      ['project', this.usage(this.byProject, project), this.budgets.perProject],
    ];
    for (const [scope, used, budget] of scopes) {
      if (used.requests + 1 > budget.requests || (used.requests > 0 && used.bytes + bytes > budget.bytes)) {
        this.forgetIdle(credential, project);
        return scope;
      }
    }
    for (const [, used] of scopes) {
      used.requests++;
      used.bytes += bytes;
    }
    let held = bytes;
    let released = false;
    return {
      get bytes() {
        return held;
      },
      growTo: (wanted: number): InflightScope | null => {
        if (released || wanted <= held) return null;
        const more = wanted - held;
        for (const [scope, used, budget] of scopes) {
          if (used.requests > 1 && used.bytes + more > budget.bytes) return scope;
        }
        for (const [, used] of scopes) used.bytes += more;
        held = wanted;
        return null;
      },
      shrinkTo: (wanted: number): void => {
        if (released || wanted >= held) return;
        for (const [, used] of scopes) used.bytes -= held - wanted;
        held = wanted;
      },
      release: () => {
        if (released) return;
        released = true;
        for (const [, used] of scopes) {
          used.requests--;
          used.bytes -= held;
        }
        this.forgetIdle(credential, project);
      },
    };
  }

  /** What is held now, in all and per credential / project (for tests and diagnostics). */
  inflight(): { total: InflightBudget; credentials: Map<string, InflightBudget>; projects: Map<string, InflightBudget> } {
    const copy = (m: Map<string, Usage>) => new Map([...m].map(([k, u]) => [k, { requests: u.requests, bytes: u.bytes }]));
    return { total: { requests: this.total.requests, bytes: this.total.bytes }, credentials: copy(this.byCredential), projects: copy(this.byProject) };
  }

  private usage(map: Map<string, Usage>, key: string): Usage {
    let u = map.get(key);
    if (!u) map.set(key, (u = new Usage()));
    return u;
  }

  /** Idle tenants are dropped, so the maps hold only tenants with work in flight. */
  private forgetIdle(credential: string, project: string): void {
    if (this.byCredential.get(credential)?.requests === 0) this.byCredential.delete(credential);
    if (this.byProject.get(project)?.requests === 0) this.byProject.delete(project);
  }
}
