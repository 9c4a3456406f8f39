import { Controller, HttpCode, Post, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { IngestTracesService } from './ingest-traces.service';

/** Every path an OTel exporter may post traces to: the seed's, the env-var base `/api`, and bare. */
@Controller()
export class OtlpTracesController {
  constructor(private readonly ingest: IngestTracesService) {}

  @Post(['api/otel/v1/traces', 'api/v1/traces', 'v1/traces'])
  @HttpCode(200)
  async traces(@Req() req: Request, @Res() res: Response): Promise<void> {
    const out = await this.ingest.export(req);
    res.status(out.status).set({ 'Content-Type': out.contentType, ...out.headers }).end(Buffer.from(out.body));
  }
}
