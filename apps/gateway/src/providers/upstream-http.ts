import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

// Kept-alive connections to the providers: a new TLS handshake per call would cost more than the gateway itself.
const agents = { http: new HttpAgent({ keepAlive: true, maxSockets: 512 }), https: new HttpsAgent({ keepAlive: true, maxSockets: 512 }) };

export interface UpstreamResponse {
  status: number;
  statusText: string;
  header(name: string): string | undefined;
  /** The body as it arrives (async-iterable chunks); aborting the call's signal destroys it. */
  body: IncomingMessage;
  text(): Promise<string>;
}

/**
 * One HTTP request to a provider with node:http and a keep-alive agent (measured ~0.5 ms less per call
 * than fetch at p50 on a local server). The signal aborts it at any point, the body's stream included.
 */
export function upstreamRequest(url: string, init: { method: 'GET' | 'POST'; headers: Record<string, string>; body?: string; signal: AbortSignal }): Promise<UpstreamResponse> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const https = target.protocol === 'https:';
    const headers = init.body === undefined ? init.headers : { ...init.headers, 'content-length': String(Buffer.byteLength(init.body)) };
    const req = (https ? httpsRequest : httpRequest)(target, { method: init.method, headers, agent: https ? agents.https : agents.http, signal: init.signal }, (res) => {
      resolve({
        status: res.statusCode ?? 0,
        statusText: res.statusMessage ?? '',
        header: (name) => {
          const v = res.headers[name.toLowerCase()];
          return Array.isArray(v) ? v[0] : v;
        },
        body: res,
        text: async () => {
          const chunks: Buffer[] = [];
          for await (const c of res) chunks.push(c as Buffer);
          return Buffer.concat(chunks).toString('utf8');
        },
      });
    });
    // An abort rejects with the signal's reason (the gateway's timeout error, or the client gone).
    req.on('error', (err) => reject(init.signal.aborted ? (init.signal.reason ?? err) : err));
    req.end(init.body);
  });
}
