import { Controller, HttpCode, Param, Post, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { OtlpIngestService } from './otlp-ingest.service';
import type { OtlpResponse } from './otlp-response';

function send(res: Response, out: OtlpResponse | null): void {
  if (!out) return void res.destroy(); // the client is gone
  if (out.outcome) res.locals.otlpOutcome = out.outcome; // counted by the HTTP edge (/metrics)
  res.status(out.status);
  // setHeader, not res.set: Express would append "; charset=utf-8" to the OTLP media types.
  for (const [name, value] of Object.entries({ 'Content-Type': out.contentType, ...out.headers })) res.setHeader(name, value);
  res.end(typeof out.body === 'string' ? out.body : Buffer.from(out.body));
}

/**
 * Every path an OTel exporter may post to: the seed's `/api/otel/v1/{signal}`, the env-var base
 * `/api` (`/api/v1/{signal}`), bare `/v1/{signal}`, and the ids-in-path form for deployment tokens.
 */
@Controller()
export class OtlpController {
  constructor(private readonly ingest: OtlpIngestService) {}

  @Post(['api/otel/v1/:signal', 'api/v1/:signal', 'v1/:signal'])
  @HttpCode(200)
  async export(@Param('signal') signal: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    send(res, await this.ingest.export(signal, req));
  }

  @Post('api/otel/v1/:projectId/:environmentId/:deploymentId/:signal')
  @HttpCode(200)
  async exportScoped(
    @Param('projectId') projectId: string,
    @Param('environmentId') environmentId: string,
    @Param('deploymentId') deploymentId: string,
    @Param('signal') signal: string,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    send(res, await this.ingest.export(signal, req, { projectId, environmentId, deploymentId }));
  }
}
