import { Module } from '@nestjs/common';
import { AccessModule } from '@temps/access';
import { LiveGateway } from './live.gateway';

/** The live socket.io gateway (same origin; the handshake is checked by access). Needs EVENT_STORE for access. */
@Module({
  imports: [AccessModule],
  providers: [LiveGateway],
  exports: [LiveGateway],
})
export class RealtimeModule {}
