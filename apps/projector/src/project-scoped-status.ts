import type { ProjectionStatus, VersionedProjectionStatus } from '@temps/projection-runtime';

/**
 * What a key limited to some projects may see of the projection's status: its state, lag in seconds and
 * builds, and a rebuild's progress as a fraction. Event positions, the head, the lag and rate in events and
 * the last error are about every tenant's data (their volume, their traces), so they are left out.
 */
export function projectScopedStatus(status: ProjectionStatus & Partial<VersionedProjectionStatus>) {
  const rebuild = status.rebuild ?? null;
  const progress = rebuild ? Math.min(1, Math.max(0, Number((rebuild.position ?? -1n) + 1n) / Math.max(1, Number(rebuild.head + 1n)))) : null;
  return {
    name: status.name,
    version: status.version,
    state: status.state,
    lagSeconds: status.lagSeconds,
    serving: status.serving ?? null,
    rebuild: rebuild ? { namespace: rebuild.namespace, version: rebuild.version, startedAt: rebuild.startedAt, progress, etaSeconds: rebuild.etaSeconds } : null,
  };
}
