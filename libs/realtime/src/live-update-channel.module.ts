import { type DynamicModule, Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { TRACE_READ_STORE } from '@temps/read-store';
import { LIVE_UPDATE_CHANNEL, openLiveUpdateChannel, type LiveUpdateChannel, type LiveUpdateChannelConfig } from './live-update-channel';
import { LIVE_UPDATE_POLL_MS } from './live-updates';

/**
 * `LiveUpdateChannelModule.forRoot(readStoreConfig)` in the root module opens the shared live update channel
 * in the read store (global: LiveUpdates finds it), and closes it on shutdown, after the tail has stopped.
 */
@Module({})
export class LiveUpdateChannelModule implements OnApplicationShutdown {
  constructor(@Inject(LIVE_UPDATE_CHANNEL) private readonly channel: LiveUpdateChannel) {}

  static forRoot(config: LiveUpdateChannelConfig, options: { pollMs?: number } = {}): DynamicModule {
    return {
      module: LiveUpdateChannelModule,
      global: true,
      providers: [
        // Opened once the read store is (when the app has one): on a fresh SQLite file the read store sets the file up first, on its own.
        { provide: LIVE_UPDATE_CHANNEL, useFactory: () => openLiveUpdateChannel(config), inject: [{ token: TRACE_READ_STORE, optional: true }] },
        { provide: LIVE_UPDATE_POLL_MS, useValue: options.pollMs ?? null },
      ],
      exports: [LIVE_UPDATE_CHANNEL, LIVE_UPDATE_POLL_MS],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.channel.close();
  }
}

/** TEMPS_LIVE_POLL_MS: how often an API instance looks for other instances' commits when idle (default 25 ms). */
export function livePollMsFromEnv(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const raw = (env.TEMPS_LIVE_POLL_MS ?? '').trim();
  if (raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 5 || n > 5000) throw new Error(`TEMPS_LIVE_POLL_MS must be a whole number of milliseconds from 5 to 5000, got "${env.TEMPS_LIVE_POLL_MS}"`);
  return n;
}
