import { EventEmitter } from 'node:events';
import { ResubscribingSubscription, type Subscription } from './resubscribing-subscription';

/** A stand-in for an @eventstore/db-client subscription: no EventStoreDB server can run here. */
class FakeSubscription extends EventEmitter implements Subscription {
  unsubscribed = false;
  constructor(readonly after: bigint | undefined) {
    super();
  }
  async unsubscribe(): Promise<void> {
    this.unsubscribed = true;
  }
}

const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));

function setup(initialDelayMs = 5, maxDelayMs = 40) {
  const opened: FakeSubscription[] = [];
  const seen: number[] = [];
  const opensAt: number[] = [];
  let resubscribed = 0;
  const loop = new ResubscribingSubscription<{ position: bigint; n: number }>({
    open: (after) => {
      opensAt.push(Date.now());
      const s = new FakeSubscription(after);
      opened.push(s);
      return s;
    },
    positionOf: (d) => d.position,
    onData: (d) => seen.push(d.n),
    onResubscribed: () => resubscribed++,
    initialDelayMs,
    maxDelayMs,
  });
  return { loop, opened, seen, opensAt, resubscribed: () => resubscribed };
}

async function until(check: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    await tick(2);
  }
}

describe('ResubscribingSubscription (fake subscriptions: no EventStoreDB server here)', () => {
  it('given a subscription that fails, when it errors, then it resubscribes after the last position seen and keeps delivering', async () => {
    const { loop, opened, seen, resubscribed } = setup();
    loop.start();
    expect(opened).toHaveLength(1);
    expect(opened[0]!.after).toBeUndefined();
    opened[0]!.emit('data', { position: 10n, n: 1 });
    opened[0]!.emit('data', { position: 20n, n: 2 });
    opened[0]!.emit('error', new Error('connection reset'));
    await until(() => opened.length === 2);
    expect(opened[0]!.unsubscribed).toBe(true);
    expect(opened[1]!.after).toBe(20n);
    expect(resubscribed()).toBe(1);
    opened[1]!.emit('data', { position: 30n, n: 3 });
    expect(seen).toEqual([1, 2, 3]);
    await loop.stop();
  });

  it('given repeated failures, then the delay doubles up to the maximum, and resets once data flows', async () => {
    const { loop, opened, opensAt } = setup(10, 40);
    loop.start();
    for (let i = 1; i <= 4; i++) {
      opened[i - 1]!.emit('end');
      await until(() => opened.length === i + 1);
    }
    const gaps = opensAt.slice(1).map((t, i) => t - opensAt[i]!);
    // 10, 20, 40, 40 ms (timers may fire a little late, never early)
    expect(gaps[0]!).toBeGreaterThanOrEqual(9);
    expect(gaps[1]!).toBeGreaterThanOrEqual(19);
    expect(gaps[2]!).toBeGreaterThanOrEqual(39);
    expect(gaps[3]!).toBeGreaterThanOrEqual(39);
    expect(loop.consecutiveFailures).toBe(4);
    opened[4]!.emit('data', { position: 1n, n: 1 });
    expect(loop.consecutiveFailures).toBe(0);
    await loop.stop();
  });

  it('given an error followed by close on the same subscription, then it resubscribes once', async () => {
    const { loop, opened } = setup();
    loop.start();
    opened[0]!.emit('error', new Error('unavailable'));
    opened[0]!.emit('close');
    await tick(60);
    expect(opened).toHaveLength(2);
    await loop.stop();
  });

  it('given stop, then the subscription is cancelled and a pending resubscription never happens', async () => {
    const { loop, opened } = setup(20);
    loop.start();
    opened[0]!.emit('error', new Error('gone'));
    await loop.stop();
    await tick(60);
    expect(opened).toHaveLength(1);
    loop.start();
    expect(opened).toHaveLength(2);
    await loop.stop();
    expect(opened[1]!.unsubscribed).toBe(true);
    opened[1]!.emit('close'); // the cancel's own close event is not a failure
    await tick(30);
    expect(opened).toHaveLength(2);
  });

  it('given data from a replaced subscription, then it is ignored', async () => {
    const { loop, opened, seen } = setup();
    loop.start();
    opened[0]!.emit('error', new Error('x'));
    await until(() => opened.length === 2);
    opened[0]!.emit('data', { position: 5n, n: 99 });
    expect(seen).toEqual([]);
    await loop.stop();
  });
});
