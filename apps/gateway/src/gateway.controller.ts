import { Controller, Get, Post, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { GatewayService } from './gateway.service';

/** The seed's OpenAI-compatible endpoint: `base_url=".../api/ai/v1"` in any OpenAI client. */
@Controller('api/ai/v1')
export class GatewayController {
  constructor(private readonly gateway: GatewayService) {}

  @Post('chat/completions')
  chatCompletions(@Req() req: Request, @Res() res: Response): Promise<void> {
    return this.gateway.chatCompletions(req, res);
  }

  @Post('embeddings')
  embeddings(@Req() req: Request, @Res() res: Response): Promise<void> {
    return this.gateway.embeddings(req, res);
  }

  @Get('models')
  models(@Req() req: Request, @Res() res: Response): Promise<void> {
    return this.gateway.models(req, res);
  }
}
