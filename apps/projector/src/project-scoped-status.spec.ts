import { projectScopedStatus } from './project-scoped-status';

describe('projectScopedStatus (what a key of some projects sees of /api/projections)', () => {
  const base = { name: 'traces', position: 700n, head: 1000n, lagEvents: 300, lagSeconds: 2.5, state: 'rebuilding' as const, lastError: 'trace 0af7… of project 9 failed', version: 3 };

  it('keeps state, lag in seconds, builds and a rebuild progress as a fraction; drops positions, counts, rate and the last error', () => {
    const status = {
      ...base,
      serving: { namespace: 'traces_v2', version: 2 },
      rebuild: { namespace: 'traces_v3', version: 3, startedAt: '2026-12-06T20:00:00.000Z', position: 499n, head: 999n, eventsPerSecond: 1234, etaSeconds: 0.4 },
    };
    expect(projectScopedStatus(status)).toEqual({
      name: 'traces',
      version: 3,
      state: 'rebuilding',
      lagSeconds: 2.5,
      serving: { namespace: 'traces_v2', version: 2 },
      rebuild: { namespace: 'traces_v3', version: 3, startedAt: '2026-12-06T20:00:00.000Z', progress: 0.5, etaSeconds: 0.4 },
    });
  });

  it('a build that has read nothing yet is at 0, no rebuild is null', () => {
    const rebuild = { namespace: 'traces_v3', version: 3, startedAt: 'x', position: null, head: 999n, eventsPerSecond: 0, etaSeconds: null };
    expect(projectScopedStatus({ ...base, serving: null, rebuild }).rebuild?.progress).toBe(0);
    expect(projectScopedStatus({ ...base, serving: null, rebuild: null }).rebuild).toBeNull();
  });
});
