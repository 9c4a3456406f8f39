import { Controller, Get, HttpException, HttpStatus, Inject } from '@nestjs/common';
import { EVENT_STORE, type EventStore } from '@temps/event-store';

/** Nest injection token for the role this process runs (TEMPS_ROLE), reported by /healthz. */
export const TEMPS_ROLE = Symbol('TempsRole');

/**
 * GET /healthz for container health checks and load balancers: 200 while the event store answers (every
 * role needs it: ingest appends to it, the projector reads it, access is read from it) and can take
 * writes (not on a full disk), 503 with the reason otherwise.
 */
@Controller()
export class HealthController {
  constructor(
    @Inject(EVENT_STORE) private readonly events: EventStore,
    @Inject(TEMPS_ROLE) private readonly role: string,
  ) {}

  @Get('healthz')
  async healthz(): Promise<{ status: 'ok'; role: string }> {
    let problem: string | null;
    try {
      await this.events.headPosition();
      problem = (await this.events.writeProblem?.()) ?? null;
    } catch (err) {
      problem = (err as Error).message;
    }
    if (problem) throw new HttpException({ status: 'unavailable', role: this.role, reason: `event store: ${problem}` }, HttpStatus.SERVICE_UNAVAILABLE);
    return { status: 'ok', role: this.role };
  }
}
