import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request a mock provider server saw. */
export interface RecordedRequest {
  method: string;
  /** Path and query. */
  path: string;
  headers: IncomingMessage['headers'];
  body: any;
  /** The client closed the connection before the answer was complete. */
  closedEarly: boolean;
}

export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('error', reject);
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

/** The requests a mock server saw, and a way to wait until the client closes one early (a cancelled stream). */
export function requestLog() {
  const requests: RecordedRequest[] = [];
  const waiters = new Map<RecordedRequest, () => void>();
  return {
    requests,
    /** Records the request and watches its response: closed before it finished marks it closedEarly. */
    record(req: IncomingMessage, res: ServerResponse, url: URL, body: any): RecordedRequest {
      const record: RecordedRequest = { method: req.method ?? '', path: url.pathname + url.search, headers: req.headers, body, closedEarly: false };
      requests.push(record);
      res.on('close', () => {
        if (!res.writableFinished) {
          record.closedEarly = true;
          waiters.get(record)?.();
        }
      });
      return record;
    },
    closedEarly: (request: RecordedRequest, timeoutMs = 5000): Promise<void> =>
      request.closedEarly
        ? Promise.resolve()
        : new Promise((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error('the mock never saw the connection closed')), timeoutMs);
            waiters.set(request, () => {
              clearTimeout(timer);
              resolve();
            });
          }),
  };
}

/** Serves `handle` on 127.0.0.1 (a free port); a handler that throws answers with `onError` or, once answering, drops the connection. */
export async function listenMock(
  handle: (req: IncomingMessage, res: ServerResponse) => Promise<void>,
  onError: (res: ServerResponse, err: unknown) => void,
): Promise<{ port: number; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    handle(req, res).catch((err) => {
      if (!res.headersSent) onError(res, err);
      else res.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
