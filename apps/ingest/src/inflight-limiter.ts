/**
 * Bounds the work ingest holds in memory. Over the bound a request is refused with 429 at once,
 * before its body is read, so memory stays flat under overload and exporters back off and retry.
 */
export class InflightLimiter {
  private requests = 0;
  private bytes = 0;

  constructor(
    private readonly maxRequests: number,
    private readonly maxBytes: number,
  ) {}

  /** Returns a release function, or null when the request must be refused. */
  tryAcquire(bytes: number): (() => void) | null {
    if (this.requests + 1 > this.maxRequests || (this.requests > 0 && this.bytes + bytes > this.maxBytes)) return null;
    this.requests++;
    this.bytes += bytes;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.requests--;
      this.bytes -= bytes;
    };
  }

  get inflight(): { requests: number; bytes: number } {
    return { requests: this.requests, bytes: this.bytes };
  }
}
