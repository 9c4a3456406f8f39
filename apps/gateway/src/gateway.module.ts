import { DynamicModule, Module } from '@nestjs/common';
import { AccessModule } from '@temps/access';
import { EVENT_STORE, type EventStore } from '@temps/event-store';
import { GatewayController } from './gateway.controller';
import { GatewayService } from './gateway.service';
import { GatewayTracer } from './gateway-tracer';
import { GATEWAY_OPTIONS, type GatewayOptions } from './gateway.tokens';
import { ProviderCredentials } from './provider-credentials';
import { ProviderRegistry } from './provider-registry';

/**
 * The AI Gateway (`/api/ai/v1`): GatewayModule.forRoot(gatewayOptionsFromEnv(secrets)). Needs EVENT_STORE
 * (EventStoreModule.forRoot) from the host app; keys are checked with AccessModule.
 */
@Module({})
export class GatewayModule {
  static forRoot(options: GatewayOptions): DynamicModule {
    return {
      module: GatewayModule,
      imports: [AccessModule],
      controllers: [GatewayController],
      providers: [
        { provide: GATEWAY_OPTIONS, useValue: options },
        GatewayService,
        GatewayTracer,
        { provide: ProviderCredentials, useFactory: (events: EventStore) => new ProviderCredentials(events, options.secrets, options.env), inject: [EVENT_STORE] },
        { provide: ProviderRegistry, useFactory: () => new ProviderRegistry(options.providers) },
      ],
    };
  }
}
