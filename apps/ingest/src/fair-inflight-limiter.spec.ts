import { FairInflightLimiter, type InflightTicket } from './fair-inflight-limiter';

const budgets = {
  total: { requests: 8, bytes: 800 },
  perCredential: { requests: 2, bytes: 200 },
  perProject: { requests: 4, bytes: 400 },
};

const ticket = (t: InflightTicket | string): InflightTicket => {
  if (typeof t === 'string') throw new Error(`refused (${t})`);
  return t;
};

describe('FairInflightLimiter', () => {
  it('given a credential at its share of requests, then its next request is refused for the credential while another credential is admitted', () => {
    const limiter = new FairInflightLimiter(budgets);
    ticket(limiter.tryAcquire('dt:a', 'p1', 10));
    ticket(limiter.tryAcquire('dt:a', 'p1', 10));
    expect(limiter.tryAcquire('dt:a', 'p1', 10)).toBe('credential');
    expect(typeof limiter.tryAcquire('tk:b', 'p2', 10)).toBe('object');
    expect(limiter.inflight().total).toEqual({ requests: 3, bytes: 30 });
  });

  it('given a credential at its share of bytes, then a request declaring more is refused; a request alone may exceed its share (one body cannot lock its tenant out)', () => {
    const limiter = new FairInflightLimiter(budgets);
    const big = ticket(limiter.tryAcquire('dt:a', 'p1', 500)); // alone in the credential and the project: admitted
    expect(limiter.tryAcquire('dt:a', 'p1', 1)).toBe('credential');
    big.release();
    const first = ticket(limiter.tryAcquire('dt:a', 'p1', 150));
    expect(limiter.tryAcquire('dt:a', 'p1', 51)).toBe('credential');
    expect(typeof limiter.tryAcquire('dt:a', 'p1', 50)).toBe('object');
    first.release();
  });

  it('given several credentials of one project, then the project share bounds them together, and other projects keep the rest of the total', () => {
    const limiter = new FairInflightLimiter(budgets);
    for (const c of ['k1', 'k1', 'k2', 'k2']) ticket(limiter.tryAcquire(c, 'p1', 1));
    expect(limiter.tryAcquire('k3', 'p1', 1)).toBe('project');
    for (const c of ['k4', 'k4', 'k5', 'k5']) ticket(limiter.tryAcquire(c, 'p2', 1));
    expect(limiter.tryAcquire('k6', 'p3', 1)).toBe('total');
  });

  it('given a ticket growing (a body inflating), then growth within every share is granted, growth past a share is refused and keeps what it held', () => {
    const limiter = new FairInflightLimiter(budgets);
    const other = ticket(limiter.tryAcquire('dt:a', 'p1', 20));
    const t = ticket(limiter.tryAcquire('dt:a', 'p1', 10));
    expect(t.growTo(100)).toBeNull();
    expect(t.growTo(50)).toBeNull(); // never lowers
    expect(t.bytes).toBe(100);
    expect(t.growTo(181)).toBe('credential'); // 20 + 181 > 200
    expect(t.bytes).toBe(100);
    expect(limiter.inflight().credentials.get('dt:a')).toEqual({ requests: 2, bytes: 120 });
    other.release();
    expect(t.growTo(400)).toBeNull(); // alone in every scope now
    t.release();
    expect(limiter.inflight().total).toEqual({ requests: 0, bytes: 0 });
  });

  it('given a ticket admitted on an estimate, when it shrinks to the real size, then the difference is free for others at once', () => {
    const limiter = new FairInflightLimiter(budgets);
    const t = ticket(limiter.tryAcquire('dt:a', 'p1', 180));
    expect(limiter.tryAcquire('dt:a', 'p1', 30)).toBe('credential');
    t.shrinkTo(500); // never raises
    t.shrinkTo(40);
    expect(t.bytes).toBe(40);
    expect(typeof limiter.tryAcquire('dt:a', 'p1', 30)).toBe('object');
    expect(limiter.inflight().total).toEqual({ requests: 2, bytes: 70 });
  });

  it('given the total nearly used by other tenants, then growth past the total is refused as "total"', () => {
    const limiter = new FairInflightLimiter({ ...budgets, total: { requests: 8, bytes: 300 } });
    ticket(limiter.tryAcquire('k1', 'p1', 150));
    const t = ticket(limiter.tryAcquire('k2', 'p2', 100));
    expect(t.growTo(151)).toBe('total');
    expect(t.growTo(150)).toBeNull();
  });

  it('given a release called twice, then the slot and bytes come back once, and idle tenants are forgotten', () => {
    const limiter = new FairInflightLimiter(budgets);
    const a = ticket(limiter.tryAcquire('dt:a', 'p1', 30));
    const b = ticket(limiter.tryAcquire('dt:a', 'p1', 40));
    a.release();
    a.release();
    expect(limiter.inflight().credentials.get('dt:a')).toEqual({ requests: 1, bytes: 40 });
    expect(a.growTo(1000)).toBeNull(); // a released ticket holds nothing and takes nothing
    expect(limiter.inflight().total).toEqual({ requests: 1, bytes: 40 });
    b.release();
    expect(limiter.inflight()).toEqual({ total: { requests: 0, bytes: 0 }, credentials: new Map(), projects: new Map() });
    // A refused acquire leaves no trace either.
    for (let i = 0; i < 2; i++) ticket(limiter.tryAcquire('x', 'p9', 1));
    expect(limiter.tryAcquire('y', 'p9', 399)).toBe('project');
    expect(limiter.inflight().credentials.has('y')).toBe(false);
  });
});
