import type { ServerResponse } from 'node:http';
import { ProviderHttpError } from './providers/chat-provider';

/** An error the gateway itself answers with, in OpenAI's error shape. */
export class GatewayError extends ProviderHttpError {
  constructor(status: number, message: string, type = status === 401 ? 'authentication_error' : status === 403 ? 'permission_error' : status >= 500 ? 'api_error' : 'invalid_request_error', code: string | null = null) {
    super(status, { error: { message, type, code, param: null } });
  }
}

/** Any failure as OpenAI's `{error: {...}}` with its status (the provider's, for provider errors) and Retry-After. */
export function sendError(res: ServerResponse, err: unknown): void {
  const e = err instanceof ProviderHttpError ? err : new GatewayError(502, `the gateway could not reach the provider: ${(err as Error)?.message ?? String(err)}`, 'api_error', 'upstream_error');
  if (res.headersSent) return void res.end();
  const body = JSON.stringify(e.body);
  const headers: Record<string, string | number> = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) };
  if (e.retryAfter) headers['retry-after'] = e.retryAfter;
  res.writeHead(e.status, headers);
  res.end(body);
}
