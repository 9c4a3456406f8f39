import { TRACE_PROJECTION } from '@temps/domain';
import type { EventStore } from '@temps/event-store';
import type { BuildProgress, ProjectionStatus, VersionedProjectionStatus } from '@temps/projection-runtime';
import type { ProjectionCatalog, ProjectionLeases } from '@temps/read-store';

/**
 * The trace projection's status read from the stores alone: the catalog's serving build and its
 * checkpoint, a build in progress and its checkpoint, the lease, against the log's head. What a process
 * that does not run the projection reports (an `api` instance, a standby projector): the state is
 * 'standby' for a projector waiting for the lease, else derived from the lag ('caught-up' or 'running').
 */
export async function storedProjectionStatus(
  events: Pick<EventStore, 'headPosition' | 'readAll'>,
  reads: Pick<ProjectionCatalog, 'catalogEntry' | 'checkpoint'> & Pick<ProjectionLeases, 'currentLease'>,
  options: { standby?: boolean } = {},
): Promise<VersionedProjectionStatus> {
  const name = TRACE_PROJECTION.name;
  const [entry, head, lease] = await Promise.all([reads.catalogEntry(name), events.headPosition(), reads.currentLease(name)]);
  const position = entry.active ? await reads.checkpoint(entry.active.namespace) : null;
  const lagEvents = Math.max(0, Number(head - (position ?? -1n)));
  const [oldest] = lagEvents > 0 ? await events.readAll({ after: position ?? undefined, limit: 1 }) : [];
  let rebuild: BuildProgress | null = null;
  if (entry.building) {
    const at = await reads.checkpoint(entry.building.namespace);
    rebuild = { ...entry.building, position: at, head, eventsPerSecond: 0, etaSeconds: null };
  }
  const state: ProjectionStatus['state'] = options.standby ? 'standby' : rebuild && !entry.active ? 'rebuilding' : lagEvents === 0 ? 'caught-up' : 'running';
  const live = lease && lease.expiresAt > Date.now();
  return {
    name,
    version: TRACE_PROJECTION.version,
    serving: entry.active,
    rebuild,
    position,
    head,
    lagEvents,
    lagSeconds: oldest ? Math.max(0, (Date.now() - Date.parse(oldest.created)) / 1000) : 0,
    state,
    lastError: null,
    ...(lease ? { lease: { role: 'observer', holder: '', epoch: lease.epoch, heldBy: live ? lease.holder : null, expiresAt: lease.expiresAt, acquisitions: 0 } } : {}),
  };
}
