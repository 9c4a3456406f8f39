import { LiveUpdateTail, type LiveUpdate, type LiveUpdateBatch, type LiveUpdateChannel } from '@temps/realtime';

/** Two connections to one store, as two processes would have (a projector publishing, an API instance tailing). */
export interface ChannelPair {
  publisher: LiveUpdateChannel;
  subscriber: LiveUpdateChannel;
  /** Another connection to the same store (a second publisher, or a restart). */
  another(): Promise<LiveUpdateChannel>;
}

const update = (projectId: string, traceId: string, spanCount = 1): LiveUpdate => ({
  projectId,
  item: { traceId, name: `root ${traceId}`, startTime: '2026-01-01T00:00:00.000Z', endTime: null, durationMs: null, spanCount, errorCount: 0, models: [], inputTokens: 0, outputTokens: 0, costUsd: 0 } as unknown as LiveUpdate['item'],
});

async function eventually<T>(check: () => T | undefined, what: string, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The LiveUpdateChannel port's contract, run against each adapter on a real store. */
export function describeLiveUpdateChannelConformance(name: string, open: () => Promise<ChannelPair>): void {
  describe(`LiveUpdateChannel conformance: ${name}`, () => {
    let pair: ChannelPair;
    const extra: LiveUpdateChannel[] = [];
    beforeEach(async () => {
      pair = await open();
    });
    afterEach(async () => {
      for (const c of extra.splice(0)) await c.close();
      await pair.publisher.close();
      await pair.subscriber.close();
    });
    const another = async () => {
      const c = await pair.another();
      extra.push(c);
      return c;
    };

    it('starts empty: head 0, nothing after 0', async () => {
      expect(await pair.subscriber.head()).toBe(0);
      expect(await pair.subscriber.readAfter(0, 10)).toEqual([]);
    });

    it('a batch published on one connection is read back on another, whole and in publish order, with increasing cursors', async () => {
      await pair.subscriber.readAfter(0, 10); // a read before, so a cached "nothing new" would show
      await pair.publisher.publish('a', [update('1', 't1'), update('2', 't2', 3)]);
      await pair.publisher.publish('a', [update('1', 't3')]);
      await pair.publisher.publish('b', []);
      const batches = await pair.subscriber.readAfter(0, 10);
      expect(batches.map((b) => [b.origin, b.updates.map((u) => `${u.projectId}/${u.item.traceId}`)])).toEqual([
        ['a', ['1/t1', '2/t2']],
        ['a', ['1/t3']],
        ['b', []],
      ]);
      expect(batches[0]!.updates[1]).toEqual(update('2', 't2', 3));
      expect(batches[0]!.cursor).toBeGreaterThan(0);
      expect(batches[1]!.cursor).toBeGreaterThan(batches[0]!.cursor);
      expect(batches[2]!.cursor).toBeGreaterThan(batches[1]!.cursor);
      expect(Math.abs(batches[0]!.at - Date.now())).toBeLessThan(10_000);
      expect(await pair.subscriber.head()).toBe(batches[2]!.cursor);
    });

    it('reads only after the cursor, at most `limit` at a time', async () => {
      for (let i = 0; i < 7; i++) await pair.publisher.publish('a', [update('1', `t${i}`)]);
      const first = await pair.subscriber.readAfter(0, 3);
      expect(first.map((b) => b.updates[0]!.item.traceId)).toEqual(['t0', 't1', 't2']);
      const rest = await pair.subscriber.readAfter(first[2]!.cursor, 10);
      expect(rest.map((b) => b.updates[0]!.item.traceId)).toEqual(['t3', 't4', 't5', 't6']);
      expect(await pair.subscriber.readAfter(rest[3]!.cursor, 10)).toEqual([]);
    });

    it('a tail from the head hears only what is published after it started, in order, within its poll', async () => {
      await pair.publisher.publish('a', [update('1', 'before')]);
      const seen: LiveUpdateBatch[] = [];
      const tail = new LiveUpdateTail(pair.subscriber, { pollMs: 20, onBatch: (b) => seen.push(b) });
      try {
        await eventually(() => (tail.position !== null ? true : undefined), 'the tail to start');
        const started = Date.now();
        await pair.publisher.publish('a', [update('1', 'x1')]);
        await eventually(() => (seen.length >= 1 ? true : undefined), 'the first batch');
        expect(Date.now() - started).toBeLessThan(1000);
        for (let i = 2; i <= 5; i++) await pair.publisher.publish('a', [update('1', `x${i}`)]);
        await eventually(() => (seen.length >= 5 ? true : undefined), 'five batches');
        expect(seen.map((b) => b.updates[0]!.item.traceId)).toEqual(['x1', 'x2', 'x3', 'x4', 'x5']);
      } finally {
        await tail.stop();
      }
    });

    it('prunes all but the newest `keep`, and by age; the head stays, and cursors are never reused (also after a reopen)', async () => {
      for (let i = 0; i < 6; i++) await pair.publisher.publish('a', [update('1', `t${i}`)]);
      const head = await pair.subscriber.head();
      expect(await pair.publisher.prune({ maxAgeMs: 60_000, keep: 2 })).toBe(4);
      expect((await pair.subscriber.readAfter(0, 10)).map((b) => b.updates[0]!.item.traceId)).toEqual(['t4', 't5']);
      await new Promise((r) => setTimeout(r, 30));
      expect(await pair.publisher.prune({ maxAgeMs: 10, keep: 100 })).toBe(1);
      expect((await pair.subscriber.readAfter(0, 10)).map((b) => b.cursor)).toEqual([head]);
      expect(await pair.subscriber.head()).toBe(head);
      const reopened = await another();
      await reopened.publish('b', [update('1', 'after')]);
      const after = await pair.subscriber.readAfter(head, 10);
      expect(after.map((b) => [b.origin, b.updates[0]!.item.traceId])).toEqual([['b', 'after']]);
      expect(after[0]!.cursor).toBeGreaterThan(head);
    });

    it('two publishers (a lease hand-over) interleaving: every batch is read once, each publisher in its own order', async () => {
      const second = await another();
      for (let i = 0; i < 5; i++) {
        await pair.publisher.publish('a', [update('1', `a${i}`)]);
        await second.publish('b', [update('1', `b${i}`)]);
      }
      await Promise.all([pair.publisher.publish('a', [update('1', 'a5')]), second.publish('b', [update('1', 'b5')])]);
      const batches = await pair.subscriber.readAfter(0, 100);
      expect(new Set(batches.map((b) => b.cursor)).size).toBe(12);
      expect(batches.filter((b) => b.origin === 'a').map((b) => b.updates[0]!.item.traceId)).toEqual(['a0', 'a1', 'a2', 'a3', 'a4', 'a5']);
      expect(batches.filter((b) => b.origin === 'b').map((b) => b.updates[0]!.item.traceId)).toEqual(['b0', 'b1', 'b2', 'b3', 'b4', 'b5']);
    });
  });
}
