import { Logger } from '@nestjs/common';
import { OnGatewayInit, WebSocketGateway, WebSocketServer } from '@nestjs/websockets';
import { AccessService } from '@temps/access';
import type { TraceSummary } from '@temps/domain';
import type { Server, Socket } from 'socket.io';
import { projectRoom, toTraceListItem, type LiveServerEvents } from './live-events';

/**
 * socket.io on the same origin. A client connects with `auth: { token, projectId }`; the handshake
 * is refused (connect_error) unless the token may read that project. Rooms are per project.
 */
@WebSocketGateway({ serveClient: false })
export class LiveGateway implements OnGatewayInit {
  private readonly logger = new Logger(LiveGateway.name);
  @WebSocketServer() private server!: Server<Record<string, never>, LiveServerEvents>;

  constructor(private readonly access: AccessService) {}

  afterInit(server: Server): void {
    server.use((socket: Socket, next) => {
      const { token, projectId } = (socket.handshake.auth ?? {}) as { token?: unknown; projectId?: unknown };
      const project = projectId === undefined || projectId === null ? null : String(projectId);
      this.access
        .authorize(typeof token === 'string' ? token : null, project, 'read')
        .then((decision) => {
          if (!decision.ok) return next(new Error(`unauthorized: ${decision.message}`));
          void socket.join(projectRoom(decision.projectId));
          next();
        })
        .catch((err: Error) => next(err));
    });
  }

  /** Called after each projector commit with the traces it changed. */
  publishTraces(traces: TraceSummary[]): void {
    if (!this.server) return;
    for (const t of traces) this.server.to(projectRoom(t.projectId)).emit('trace.updated', toTraceListItem(t));
  }
}
