import type { IncomingMessage } from 'node:http';
import { promisify } from 'node:util';
import { gunzip, inflate } from 'node:zlib';

const gunzipAsync = promisify(gunzip);
const inflateAsync = promisify(inflate);

export class BodyError extends Error {
  constructor(
    readonly status: 400 | 413 | 415,
    message: string,
    /** Response headers the error needs (a refused upload still in flight closes its connection). */
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = 'BodyError';
  }
}

/** The client went away mid-upload (exporters abort on their own timeouts): nothing to answer. */
export class ClientGoneError extends Error {
  constructor() {
    super('the client closed the connection before sending the whole body');
    this.name = 'ClientGoneError';
  }
}

const CLOSE = { Connection: 'close' };

function readRaw(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const cleanup = () => {
      req.removeListener('data', onData);
      req.removeListener('end', onEnd);
      req.removeListener('error', onGone);
      req.removeListener('close', onClose);
    };
    const settle = (err: Error | null, body?: Buffer) => {
      if (settled) return;
      settled = true;
      cleanup();
      if (err) reject(err);
      else resolve(body!);
    };
    function onData(chunk: Buffer) {
      size += chunk.length;
      if (size > maxBytes) {
        // Stop buffering, keep draining until the 413 is out, then close: the connection is not reusable.
        req.resume();
        settle(new BodyError(413, `request body is over the limit of ${maxBytes} bytes`, CLOSE));
        return;
      }
      chunks.push(chunk);
    }
    function onEnd() {
      settle(null, chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    }
    function onGone() {
      settle(new ClientGoneError());
    }
    function onClose() {
      if (!req.complete) settle(new ClientGoneError());
    }
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('error', onGone);
    req.once('close', onClose);
  });
}

/**
 * Reads the whole body with a cap, then decompresses it with the same cap on the output, so a
 * gzip bomb stops at the limit instead of filling memory.
 */
export async function readRequestBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) {
    req.resume();
    throw new BodyError(413, `request body of ${declared} bytes is over the limit of ${maxBytes} bytes`, CLOSE);
  }
  const raw = await readRaw(req, maxBytes);
  const encoding = String(req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  if (encoding === 'identity' || encoding === '') return raw;
  if (encoding !== 'gzip' && encoding !== 'deflate') {
    throw new BodyError(415, `unsupported Content-Encoding "${encoding}": send gzip, deflate or none`);
  }
  try {
    return encoding === 'gzip' ? await gunzipAsync(raw, { maxOutputLength: maxBytes }) : await inflateAsync(raw, { maxOutputLength: maxBytes });
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError) {
      throw new BodyError(413, `decompressed request body is over the limit of ${maxBytes} bytes`);
    }
    throw new BodyError(400, `could not decompress the ${encoding} request body: ${(err as Error).message}`);
  }
}
