import { Module } from '@nestjs/common';
import { EVENT_STORE, type EventStore } from '@temps/event-store';
import { GatewayController } from './gateway.controller';
import { GatewayService } from './gateway.service';
import { GatewayTracer } from './gateway-tracer';
import { GATEWAY_OPTIONS, type GatewayOptions } from './gateway.tokens';
import { ProviderCredentials } from './provider-credentials';
import { ProviderRegistry } from './provider-registry';

/** The AI Gateway (`/api/ai/v1`). Needs EVENT_STORE, AccessService and GATEWAY_OPTIONS from the host module. */
@Module({
  controllers: [GatewayController],
  providers: [
    GatewayService,
    GatewayTracer,
    { provide: ProviderCredentials, useFactory: (events: EventStore, o: GatewayOptions) => new ProviderCredentials(events, o.secrets, o.env), inject: [EVENT_STORE, GATEWAY_OPTIONS] },
    { provide: ProviderRegistry, useFactory: (o: GatewayOptions) => new ProviderRegistry(o.providers), inject: [GATEWAY_OPTIONS] },
  ],
})
export class GatewayModule {}
