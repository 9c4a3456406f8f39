import type { IncomingMessage } from 'node:http';
import { createGunzip, createInflate, type Gunzip, type Inflate } from 'node:zlib';

export class BodyError extends Error {
  constructor(
    readonly status: 400 | 408 | 413 | 415 | 429,
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

export interface BodyReadOptions {
  /** Largest body, before and after decompression: more is a 413. */
  maxBytes: number;
  /** Time allowed to receive the whole body: a slower sender gets a 408. */
  timeoutMs: number;
  /**
   * Asked for the bytes the body holds in memory so far (received bytes, or inflated bytes for a
   * compressed body) each time they grow: a refusal (its message) stops the read with a 429.
   */
  reserve: (bytes: number) => string | null;
}

const CLOSE = { Connection: 'close' };

/**
 * Reads the body with a cap and a deadline, inflating gzip/deflate as it arrives, so the memory held is
 * asked for (`reserve`) as it is used: a small body that inflates large is refused while it inflates,
 * and a gzip bomb stops at the limit instead of filling memory.
 */
export function readRequestBody(req: IncomingMessage, options: BodyReadOptions): Promise<Buffer> {
  const { maxBytes, timeoutMs, reserve } = options;
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) {
    req.resume();
    return Promise.reject(new BodyError(413, `request body of ${declared} bytes is over the limit of ${maxBytes} bytes`, CLOSE));
  }
  const encoding = String(req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  if (encoding !== 'identity' && encoding !== '' && encoding !== 'gzip' && encoding !== 'deflate') {
    req.resume();
    return Promise.reject(new BodyError(415, `unsupported Content-Encoding "${encoding}": send gzip, deflate or none`));
  }
  const inflater: Gunzip | Inflate | null = encoding === 'gzip' ? createGunzip() : encoding === 'deflate' ? createInflate() : null;

  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    let held = 0;
    let settled = false;
    // The deadline counts the time spent waiting for the sender, not the time this server holds the body
    // back (paused while the inflater catches up): a busy server does not make its senders slow.
    let remainingMs = timeoutMs;
    let clockStartedAt = 0;
    let timer: NodeJS.Timeout | undefined;
    const startClock = () => {
      clockStartedAt = Date.now();
      timer = setTimeout(expire, remainingMs);
    };
    const stopClock = () => {
      clearTimeout(timer);
      remainingMs -= Date.now() - clockStartedAt;
    };
    function expire() {
      // After a blocked event loop the timer runs before the socket reads that were waiting: let them in first.
      setImmediate(() => fail(408, `the request body was not received within ${timeoutMs} ms (TEMPS_INGEST_BODY_TIMEOUT_MS): send it faster or in smaller batches`));
    }
    startClock();

    const cleanup = () => {
      clearTimeout(timer);
      req.removeListener('data', onData);
      req.removeListener('end', onEnd);
      req.removeListener('error', onGone);
      req.removeListener('close', onClose);
      if (inflater) {
        inflater.removeAllListeners();
        inflater.on('error', () => undefined); // destroying mid-stream may still report
        inflater.destroy();
      }
    };
    const settle = (err: Error | null, body?: Buffer) => {
      if (settled) return;
      settled = true;
      cleanup();
      if (err) reject(err);
      else resolve(body!);
    };
    /** Refuses the body; an upload still arriving is drained and its connection closed after the answer. */
    function fail(status: BodyError['status'], message: string) {
      if (settled) return;
      const incomplete = !req.complete;
      settle(new BodyError(status, message, incomplete || status === 408 ? CLOSE : undefined));
      if (incomplete) req.resume();
    }
    /** Counts `size` more bytes held in memory; false when the read had to stop. */
    function hold(size: number, inflated: boolean): boolean {
      held += size;
      if (held > maxBytes) {
        fail(413, inflated ? `decompressed request body is over the limit of ${maxBytes} bytes` : `request body is over the limit of ${maxBytes} bytes`);
        return false;
      }
      const refusal = reserve(held);
      if (refusal) {
        fail(429, refusal);
        return false;
      }
      return true;
    }

    function onData(chunk: Buffer) {
      received += chunk.length;
      if (received > maxBytes) return fail(413, `request body is over the limit of ${maxBytes} bytes`);
      if (!inflater) {
        if (hold(chunk.length, false)) chunks.push(chunk);
        return;
      }
      if (!inflater.write(chunk)) {
        req.pause();
        stopClock();
        inflater.once('drain', () => {
          if (settled) return;
          startClock();
          req.resume();
        });
      }
    }
    function onEnd() {
      if (inflater) inflater.end();
      else settle(null, chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, held));
    }
    function onGone() {
      settle(new ClientGoneError());
    }
    function onClose() {
      if (!req.complete) settle(new ClientGoneError());
    }
    if (inflater) {
      inflater.on('data', (out: Buffer) => {
        if (hold(out.length, true)) chunks.push(out);
      });
      inflater.once('end', () => settle(null, Buffer.concat(chunks, held)));
      inflater.once('error', (err) => fail(400, `could not decompress the ${encoding} request body: ${err.message}`));
    }
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('error', onGone);
    req.once('close', onClose);
  });
}
