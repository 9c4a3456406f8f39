import type { LiveUpdateBatch, LiveUpdateChannel } from './live-update-channel';

export interface LiveUpdateTailOptions {
  /** Read on after this cursor (default: the channel's head when the tail starts, so only what comes next). */
  from?: number;
  /** How long to wait when there was nothing new. */
  pollMs: number;
  /** Batches per read. */
  limit?: number;
  onBatch(batch: LiveUpdateBatch): void;
  onError?(err: unknown): void;
}

/**
 * Follows a LiveUpdateChannel from a cursor: reads what came after it, hands each batch on in order,
 * waits `pollMs` when there was nothing, backs off on errors (the store may be down for a moment).
 */
export class LiveUpdateTail {
  private running = true;
  private timer: NodeJS.Timeout | null = null;
  private wake: (() => void) | null = null;
  private cursor: number | null;
  private readonly done: Promise<void>;

  constructor(
    private readonly channel: LiveUpdateChannel,
    private readonly options: LiveUpdateTailOptions,
  ) {
    this.cursor = options.from ?? null;
    this.done = this.run();
  }

  /** The cursor of the last batch handed on (null until the start cursor is known). */
  get position(): number | null {
    return this.cursor;
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.wake?.();
    await this.done;
  }

  private async run(): Promise<void> {
    const limit = this.options.limit ?? 500;
    let failures = 0;
    while (this.running) {
      try {
        if (this.cursor === null) this.cursor = await this.channel.head();
        const batches = await this.channel.readAfter(this.cursor, limit);
        failures = 0;
        for (const batch of batches) {
          if (!this.running) return;
          this.cursor = batch.cursor;
          this.options.onBatch(batch);
        }
        if (batches.length === limit) continue;
        await this.sleep(this.options.pollMs);
      } catch (err) {
        failures++;
        this.options.onError?.(err);
        await this.sleep(Math.min(5000, this.options.pollMs * 2 ** Math.min(failures, 8)));
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    if (!this.running) return Promise.resolve();
    return new Promise((resolve) => {
      this.wake = () => {
        this.wake = null;
        resolve();
      };
      this.timer = setTimeout(() => this.wake?.(), ms);
    });
  }
}
