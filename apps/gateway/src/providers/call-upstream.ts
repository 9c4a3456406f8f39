import { ProviderHttpError, type Upstream } from './chat-provider';

/** Turns a provider's error response (status, body text, headers) into OpenAI's error shape. */
export type ProviderErrorMapper = (status: number, bodyText: string, headers: Headers) => ProviderHttpError;

/**
 * One HTTP call to a provider, cancelled by `upstream.signal`. A non-2xx answer throws the mapped ProviderHttpError;
 * an abort rethrows the abort (the gateway knows whether it was its timeout or the client leaving); a network failure
 * is a 502 in OpenAI's shape. The provider's own headers (its key) win over `upstream.headers`.
 */
export async function callUpstream(
  url: string,
  init: { method: 'GET' | 'POST'; headers: Record<string, string>; body?: string },
  upstream: Upstream,
  toError: ProviderErrorMapper,
): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: init.method,
      headers: { ...upstream.headers, ...init.headers, ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: init.body,
      signal: upstream.signal,
    });
  } catch (err) {
    if (upstream.signal.aborted) throw err;
    const reason = err instanceof Error ? ((err.cause as Error | undefined)?.message ?? err.message) : String(err);
    throw new ProviderHttpError(502, { error: { message: `provider unreachable at ${new URL(url).host}: ${reason}`, type: 'api_connection_error', code: null, param: null } });
  }
  if (!res.ok) throw toError(res.status, await res.text().catch(() => ''), res.headers);
  return res;
}

/** `base` + `path` with exactly one slash between them. */
export function joinUrl(base: string, path: string): string {
  return base.replace(/\/+$/, '') + path;
}

/** OpenAI's usual error type for a status, for providers whose own type names say nothing to OpenAI clients. */
export function openAiErrorType(status: number): string {
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 404) return 'not_found_error';
  if (status === 429) return 'rate_limit_error';
  if (status >= 500) return 'api_error';
  return 'invalid_request_error';
}

/** A 400 for input the provider cannot take, raised before any call. */
export function invalidRequest(message: string, param: string | null = null): ProviderHttpError {
  return new ProviderHttpError(400, { error: { message, type: 'invalid_request_error', code: null, param } });
}

/** A provider's JSON (a response body or one stream event); anything unparsable is a 502 naming the provider. */
export function parseProviderJson(text: string, provider: string): any {
  try {
    return JSON.parse(text);
  } catch {
    throw new ProviderHttpError(502, { error: { message: `${provider} sent a response that is not JSON: ${text.slice(0, 200)}`, type: 'api_error', code: null, param: null } });
  }
}
