import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync, inflateSync } from 'node:zlib';

/** One OTLP/HTTP export request exactly as a client sent it (body decompressed if it was gzip/deflate). */
export interface CapturedRequest {
  signal: 'traces' | 'logs' | 'metrics';
  path: string;
  encoding: 'protobuf' | 'json';
  body: Buffer;
  /** Request headers that were sent, for checks only (never stored: they hold credentials). */
  headers: Record<string, string | string[] | undefined>;
}

export interface OtlpCaptureServer {
  url: string;
  requests: CapturedRequest[];
  /** Forgets what was captured so far (between scenarios). */
  reset(): void;
  close(): Promise<void>;
}

/**
 * A minimal OTLP/HTTP receiver that records request bodies instead of storing them: accepts
 * POST .../v1/{traces,logs,metrics} in protobuf or JSON (any path prefix, like the seed's
 * /api/otel/v1/traces) and answers a full success in the request's encoding (an empty protobuf
 * message is zero bytes; in JSON it is `{}`).
 */
export async function startOtlpCaptureServer(): Promise<OtlpCaptureServer> {
  const requests: CapturedRequest[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = (req.url ?? '').split('?')[0]!;
      const signal = /\/v1\/(traces|logs|metrics)$/.exec(path)?.[1] as CapturedRequest['signal'] | undefined;
      const type = String(req.headers['content-type'] ?? '').split(';')[0]!.trim();
      const encoding = type === 'application/json' ? 'json' : type === 'application/x-protobuf' ? 'protobuf' : undefined;
      if (req.method !== 'POST' || !signal || !encoding) {
        res.writeHead(404).end();
        return;
      }
      let body = Buffer.concat(chunks);
      const contentEncoding = String(req.headers['content-encoding'] ?? '').toLowerCase();
      if (contentEncoding === 'gzip') body = gunzipSync(body);
      else if (contentEncoding === 'deflate') body = inflateSync(body);
      requests.push({ signal, path, encoding, body, headers: { ...req.headers } });
      const reply = encoding === 'json' ? Buffer.from('{}') : Buffer.alloc(0);
      res.writeHead(200, { 'content-type': type, 'content-length': reply.length }).end(reply);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    reset: () => void requests.splice(0),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
