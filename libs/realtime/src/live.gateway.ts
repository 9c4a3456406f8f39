import { Logger, type OnModuleDestroy } from '@nestjs/common';
import { OnGatewayInit, WebSocketGateway, WebSocketServer } from '@nestjs/websockets';
import { AccessService } from '@temps/access';
import type { Server, Socket } from 'socket.io';
import { projectRoom, type LiveServerEvents } from './live-events';
import { LiveUpdates } from './live-updates';

/** How often the access stream is re-read while sockets are open: a key revoked by another process (the CLI) drops its sockets within a second. */
const ACCESS_POLL_MS = 250;
/** Every socket's credential is re-checked at least this often, changes or not. */
const RECHECK_MS = 30_000;

/** What a socket was let in with: re-checked whenever the access state changes. */
interface SocketCredential {
  token: string | null;
  project: string | null;
}

/**
 * socket.io on the same origin. A client connects with `auth: { token, projectId }`; the handshake
 * is refused (connect_error) unless the token may read that project. Rooms are per project. An open
 * socket keeps being checked: when its key or token is revoked (or loses the project) it is
 * disconnected, so it receives nothing more. Updates come from LiveUpdates: this process's projector
 * commits and, through the shared channel, those of a projector in another process.
 */
@WebSocketGateway({ serveClient: false })
export class LiveGateway implements OnGatewayInit, OnModuleDestroy {
  private readonly logger = new Logger(LiveGateway.name);
  @WebSocketServer() private server!: Server<Record<string, never>, LiveServerEvents>;
  private timer: NodeJS.Timeout | null = null;
  private stopListening: (() => void) | null = null;
  private stopUpdates: (() => void) | null = null;
  private accessChanged = false;
  private lastRecheck = Date.now();
  private checking = false;

  constructor(
    private readonly access: AccessService,
    private readonly live: LiveUpdates,
  ) {}

  afterInit(server: Server): void {
    server.use((socket: Socket, next) => {
      const { token, projectId } = (socket.handshake.auth ?? {}) as { token?: unknown; projectId?: unknown };
      const credential: SocketCredential = { token: typeof token === 'string' ? token : null, project: projectId === undefined || projectId === null ? null : String(projectId) };
      this.access
        .authorize(credential.token, credential.project, 'read')
        .then((decision) => {
          if (!decision.ok) return next(new Error(`unauthorized: ${decision.message}`));
          (socket.data as { credential?: SocketCredential }).credential = credential;
          void socket.join(projectRoom(decision.projectId));
          next();
        })
        .catch((err: Error) => next(err));
    });
    // Any refresh that reads new access events (an HTTP request's, or the poll below) triggers a re-check.
    this.stopListening = this.access.onChange(() => (this.accessChanged = true));
    this.timer = setInterval(() => void this.tick(), ACCESS_POLL_MS);
    this.timer.unref();
    this.stopUpdates = this.live.subscribe((updates) => {
      // socket.io encodes a broadcast before looking for its receivers: under ingest load, with no dashboard
      // open, that was ~2-3% of the main thread. Rooms are this process's own (the in-memory adapter).
      const rooms = this.server.sockets?.adapter?.rooms;
      for (const u of updates) {
        const room = projectRoom(u.projectId);
        if (rooms && !rooms.get(room)?.size) continue;
        this.server.to(room).emit('trace.updated', u.item);
      }
    });
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
    this.stopListening?.();
    this.stopUpdates?.();
  }

  /** Sockets connected now (for /metrics). */
  get connectedSockets(): number {
    return this.server?.sockets?.sockets?.size ?? 0;
  }

  /** While sockets are open: re-read the access stream, and re-check every socket when it changed (or now and then). */
  private async tick(): Promise<void> {
    const sockets = this.server?.sockets?.sockets;
    if (this.checking || !sockets || sockets.size === 0) return;
    this.checking = true;
    try {
      await this.access.refresh();
      if (!this.accessChanged && Date.now() - this.lastRecheck < RECHECK_MS) return;
      this.accessChanged = false;
      this.lastRecheck = Date.now();
      for (const socket of [...sockets.values()]) {
        const credential = (socket.data as { credential?: SocketCredential }).credential;
        if (!credential || !socket.connected) continue;
        const decision = await this.access.authorize(credential.token, credential.project, 'read');
        if (!decision.ok) socket.disconnect(true);
      }
    } catch (err) {
      // The store may be down for a moment: sockets stay as they are, and the next tick tries again.
      this.logger.warn(`could not re-check live sockets' credentials: ${(err as Error).message}`);
    } finally {
      this.checking = false;
    }
  }
}
