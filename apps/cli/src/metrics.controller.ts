import { createHash, timingSafeEqual } from 'node:crypto';
import { Controller, Get, Inject, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { AccessService, bearerToken } from '@temps/access';
import { TempsMetrics } from './temps-metrics';

/** Nest injection token for TEMPS_METRICS_TOKEN (null: admin API keys only). */
export const METRICS_TOKEN = Symbol('MetricsToken');

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * GET /metrics on the main port (when TEMPS_METRICS_PORT is not set): Prometheus text for a scraper
 * that sends TEMPS_METRICS_TOKEN or an admin API key as a bearer token. The figures span every project
 * (volumes, rejections), hence admin only.
 */
@Controller()
export class MetricsController {
  constructor(
    private readonly metrics: TempsMetrics,
    private readonly access: AccessService,
    @Inject(METRICS_TOKEN) private readonly token: string | null,
  ) {}

  @Get('metrics')
  async scrape(@Req() req: Request, @Res() res: Response): Promise<void> {
    const sent = bearerToken(req.headers.authorization);
    if (!(await this.allowed(sent))) {
      res.status(sent ? 403 : 401).json({ error: sent ? 'GET /metrics needs an admin API key or TEMPS_METRICS_TOKEN' : 'missing credentials: send "Authorization: Bearer <admin API key or TEMPS_METRICS_TOKEN>"' });
      return;
    }
    const text = await this.metrics.metrics();
    res.setHeader('Content-Type', this.metrics.contentType);
    res.setHeader('Cache-Control', 'no-store');
    res.end(text);
  }

  private async allowed(sent: string | null): Promise<boolean> {
    if (!sent) return false;
    // Digests of equal length: the comparison's time says nothing about the token.
    if (this.token && timingSafeEqual(digest(sent), digest(this.token))) return true;
    const decision = await this.access.visibleProjects(sent);
    return decision.ok && decision.role === 'admin' && decision.allProjects;
  }
}
