import { type DynamicModule, Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { EVENT_STORE, type EventStore } from '../event-store';
import type { EventStoreConfig } from '../event-store-config';
import { openEventStore } from './open-event-store';

/**
 * `EventStoreModule.forRoot(config)` in the root module opens the configured adapter once and provides it as
 * EVENT_STORE to every module of the app (global, as a database module is); the store closes on shutdown,
 * after the HTTP server and the projector have stopped (onApplicationShutdown is Nest's last phase).
 */
@Module({})
export class EventStoreModule implements OnApplicationShutdown {
  constructor(@Inject(EVENT_STORE) private readonly events: EventStore) {}

  /** `decorate`: wraps the opened store (what every module gets, and what closes), e.g. to time appends. */
  static forRoot(config: EventStoreConfig, decorate?: (events: EventStore) => EventStore): DynamicModule {
    return {
      module: EventStoreModule,
      global: true,
      providers: [{ provide: EVENT_STORE, useFactory: async () => (decorate ? decorate(await openEventStore(config)) : openEventStore(config)) }],
      exports: [EVENT_STORE],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.events.close();
  }
}
