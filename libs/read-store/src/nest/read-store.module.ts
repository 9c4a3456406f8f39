import { type DynamicModule, Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import type { ReadStoreConfig } from '../read-store-config';
import { TRACE_READ_STORE, type TraceReadStore } from '../trace-read-store';
import { openReadStore } from './open-read-store';

/**
 * `ReadStoreModule.forRoot(config)` in the root module opens the configured adapter once and provides it as
 * TRACE_READ_STORE to every module of the app (global); the store closes on shutdown, after the HTTP server
 * and the projector have stopped.
 */
@Module({})
export class ReadStoreModule implements OnApplicationShutdown {
  constructor(@Inject(TRACE_READ_STORE) private readonly reads: TraceReadStore) {}

  static forRoot(config: ReadStoreConfig): DynamicModule {
    return {
      module: ReadStoreModule,
      global: true,
      providers: [{ provide: TRACE_READ_STORE, useFactory: () => openReadStore(config) }],
      exports: [TRACE_READ_STORE],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.reads.close();
  }
}
