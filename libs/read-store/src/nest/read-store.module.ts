import { type DynamicModule, Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import type { ReadStoreConfig } from '../read-store-config';
import { TRACE_QUERIES, TRACE_READ_STORE, type TraceQueries, type TraceReadStore } from '../trace-read-store';
import { openQueries, openReadStore } from './open-read-store';

/**
 * `ReadStoreModule.forRoot(config)` in the root module opens the configured adapter once and provides it as
 * TRACE_READ_STORE to every module of the app (global); the store closes on shutdown, after the HTTP server
 * and the projector have stopped.
 */
@Module({})
export class ReadStoreModule implements OnApplicationShutdown {
  constructor(
    @Inject(TRACE_READ_STORE) private readonly reads: TraceReadStore,
    @Inject(TRACE_QUERIES) private readonly queries: TraceQueries & { close(): Promise<void> },
  ) {}

  static forRoot(config: ReadStoreConfig): DynamicModule {
    return {
      module: ReadStoreModule,
      global: true,
      providers: [
        { provide: TRACE_READ_STORE, useFactory: () => openReadStore(config) },
        // TRACE_QUERIES: what the API reads through (query threads on the embedded store; started on first use).
        { provide: TRACE_QUERIES, useFactory: (reads: TraceReadStore) => openQueries(config, reads), inject: [TRACE_READ_STORE] },
      ],
      exports: [TRACE_READ_STORE, TRACE_QUERIES],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.queries !== this.reads) await this.queries.close();
    await this.reads.close();
  }
}
