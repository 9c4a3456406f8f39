import { Controller, Delete, HttpCode, HttpException, Post, Req } from '@nestjs/common';
import type { Request } from 'express';
import { AccessService, bearerToken } from '@temps/access';
import { removeDemo, sendDemo, type DemoSent } from './send-demo';

/**
 * The dashboard's "Load demo data" button (admin keys): `temps demo` run by the server itself, which sends the
 * demo to its own OTLP endpoint over loopback HTTP, like any client would.
 */
@Controller('api/demo')
export class DemoController {
  constructor(private readonly access: AccessService) {}

  private async requireAdmin(req: Request): Promise<void> {
    const role = await this.access.roleOf(bearerToken(req.headers.authorization));
    if (role === null) throw new HttpException({ statusCode: 401, error: 'access denied', message: 'unknown or revoked API key' }, 401);
    if (role !== 'admin') throw new HttpException({ statusCode: 403, error: 'access denied', message: 'loading demo data needs an admin API key (or run "npx temps demo")' }, 403);
  }

  @Post()
  @HttpCode(201)
  async load(@Req() req: Request): Promise<DemoSent> {
    await this.requireAdmin(req);
    // The dashboard shows this message: what the OTLP endpoint answered, not "Internal server error".
    return sendDemo(this.access, ownUrl(req)).catch((err: Error) => {
      throw new HttpException({ statusCode: 502, error: 'demo data not loaded', message: err.message }, 502);
    });
  }

  @Delete()
  async remove(@Req() req: Request): Promise<{ removed: string[] }> {
    await this.requireAdmin(req);
    return { removed: await removeDemo(this.access) };
  }
}

/** This server as seen from itself: the address and port the request came in on. */
function ownUrl(req: Request): string {
  const address = req.socket.localAddress ?? '127.0.0.1';
  const host = address.includes(':') ? (address.startsWith('::ffff:') ? address.slice(7) : `[${address}]`) : address;
  return `http://${host}:${req.socket.localPort}`;
}
