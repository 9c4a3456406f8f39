import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { BodyError, readRequestBody, type BodyReadOptions } from './read-request-body';

/** readRequestBody on a real HTTP server and socket: what it returns or throws, and what it asked `reserve` for. */
async function readOnServer(
  send: (req: http.ClientRequest) => void,
  options: Partial<BodyReadOptions> & { headers?: Record<string, string> },
): Promise<{ body?: Buffer; error?: unknown; reserved: number[]; tookMs: number }> {
  const reserved: number[] = [];
  let done!: (r: { body?: Buffer; error?: unknown; tookMs: number }) => void;
  const result = new Promise<{ body?: Buffer; error?: unknown; tookMs: number }>((r) => (done = r));
  const server = http.createServer((req, res) => {
    const started = Date.now();
    readRequestBody(req, {
      maxBytes: options.maxBytes ?? 1024 * 1024,
      timeoutMs: options.timeoutMs ?? 5_000,
      reserve: (bytes) => (reserved.push(bytes), options.reserve ? options.reserve(bytes) : null),
    }).then(
      (body) => done({ body, tookMs: Date.now() - started }),
      (error) => done({ error, tookMs: Date.now() - started }),
    );
    result.then(() => res.writeHead(204, { Connection: 'close' }).end());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const req = http.request({ port: (server.address() as AddressInfo).port, host: '127.0.0.1', method: 'POST', headers: options.headers, agent: false });
    req.on('error', () => undefined); // the server may close under a body it refused
    req.on('response', (res) => res.resume());
    send(req);
    const r = await result;
    req.destroy();
    return { ...r, reserved };
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
}

const text = (bytes: number) => Buffer.from('an agent step with a tool call and its answer. '.repeat(Math.ceil(bytes / 40)).slice(0, bytes));

describe('readRequestBody', () => {
  it('given a gzip body, then it is inflated as it arrives and reserve is asked for the inflated bytes, up to the whole body', async () => {
    const plain = text(600 * 1024);
    const gz = gzipSync(plain);
    const r = await readOnServer((req) => req.end(gz), { headers: { 'Content-Encoding': 'gzip', 'Content-Length': String(gz.length) } });
    expect(r.error).toBeUndefined();
    expect(r.body!.equals(plain)).toBe(true);
    expect(r.reserved.length).toBeGreaterThan(1);
    expect(r.reserved.at(-1)).toBe(plain.length);
    expect(r.reserved.every((n, i) => i === 0 || n > r.reserved[i - 1]!)).toBe(true);
  });

  it('given a gzip body whose inflated bytes reserve refuses, then it stops there with a 429 carrying the refusal', async () => {
    const gz = gzipSync(text(800 * 1024));
    const r = await readOnServer((req) => req.end(gz), {
      headers: { 'Content-Encoding': 'gzip', 'Content-Length': String(gz.length) },
      reserve: (bytes) => (bytes > 100 * 1024 ? 'too many request body bytes in flight for this credential' : null),
    });
    expect(r.error).toBeInstanceOf(BodyError);
    expect(r.error).toMatchObject({ status: 429, message: 'too many request body bytes in flight for this credential' });
    expect(Math.max(...r.reserved)).toBeLessThan(200 * 1024); // stopped at the refusal, not after inflating it all
  });

  it('given a body inflating past maxBytes, then 413 on the decompressed size', async () => {
    const gz = gzipSync(Buffer.alloc(4 * 1024 * 1024));
    const r = await readOnServer((req) => req.end(gz), { maxBytes: 1024 * 1024, headers: { 'Content-Encoding': 'gzip', 'Content-Length': String(gz.length) } });
    expect(r.error).toMatchObject({ status: 413, message: 'decompressed request body is over the limit of 1048576 bytes' });
  });

  it('given a chunked identity body, then reserve is asked for the bytes received so far', async () => {
    const r = await readOnServer(
      (req) => {
        req.write(text(10_000));
        setTimeout(() => req.end(text(5_000)), 50);
      },
      { headers: { 'Transfer-Encoding': 'chunked' } },
    );
    expect(r.body!.length).toBe(15_000);
    expect(r.reserved).toEqual([10_000, 15_000]);
  });

  it('given a sender that stops half way, then 408 after timeoutMs, with Connection: close', async () => {
    const r = await readOnServer((req) => req.write(text(1000)), { timeoutMs: 300, headers: { 'Content-Length': '2000' } });
    expect(r.error).toBeInstanceOf(BodyError);
    expect(r.error).toMatchObject({ status: 408, headers: { Connection: 'close' }, message: expect.stringMatching(/not received within 300 ms/) });
    expect(r.tookMs).toBeGreaterThanOrEqual(290);
    expect(r.tookMs).toBeLessThan(2_000);
  });

  it('given Content-Encoding br, then 415 before reading', async () => {
    const r = await readOnServer((req) => req.end('x'), { headers: { 'Content-Encoding': 'br', 'Content-Length': '1' } });
    expect(r.error).toMatchObject({ status: 415 });
    expect(r.reserved).toEqual([]);
  });
});
