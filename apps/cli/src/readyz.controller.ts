import { Controller, Get, Inject, Res } from '@nestjs/common';
import type { Response } from 'express';
import type { Logger } from 'pino';
import { ReadinessProbe } from './readiness-probe';

/** Nest injection token for the process's pino logger. */
export const TEMPS_LOGGER = Symbol('TempsLogger');

/**
 * GET /readyz for load balancers and Kubernetes readiness probes: 200 when this instance can take
 * traffic (stores reachable and writable, projector running and caught up, not draining), 503 otherwise,
 * with the checks by name. Why a check failed (store errors may name hosts and paths) goes to the log,
 * not to this unauthenticated answer; the projector's state and lag are given.
 */
@Controller()
export class ReadyzController {
  private lastFailures = '';

  constructor(
    private readonly probe: ReadinessProbe,
    @Inject(TEMPS_LOGGER) private readonly logger: Logger,
  ) {}

  @Get('readyz')
  async readyz(@Res() res: Response): Promise<void> {
    const { ready, checks } = await this.probe.check();
    const failures = checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail ?? 'failed'}`).join('; ');
    // Logged when the reason changes, not at every probe.
    if (failures !== this.lastFailures) {
      if (failures) this.logger.warn({ checks: checks.filter((c) => !c.ok) }, `not ready: ${failures}`);
      else this.logger.info('ready again');
      this.lastFailures = failures;
    }
    res.setHeader('Cache-Control', 'no-store');
    res.status(ready ? 200 : 503).json({
      status: ready ? 'ready' : 'not ready',
      checks: checks.map((c) => ({ name: c.name, ok: c.ok, ...(c.name.startsWith('projector') || c.name === 'accepting requests' ? { detail: c.detail } : {}) })),
    });
  }
}
