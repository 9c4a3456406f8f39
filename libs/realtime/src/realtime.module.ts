import { Module } from '@nestjs/common';
import { AccessModule } from '@temps/access';
import { LiveGateway } from './live.gateway';
import { LiveUpdates } from './live-updates';

/**
 * The live socket.io gateway (same origin; the handshake is checked by access) and LiveUpdates, which feeds it
 * (this process's projector, and other processes' through LIVE_UPDATE_CHANNEL when LiveUpdateChannelModule is in the app). Needs EVENT_STORE for access.
 */
@Module({
  imports: [AccessModule],
  providers: [LiveGateway, LiveUpdates],
  exports: [LiveGateway, LiveUpdates],
})
export class RealtimeModule {}
