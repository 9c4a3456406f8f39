import { io, type Socket } from 'socket.io-client';
import type { TraceListItem } from './types';

export type LiveState = 'idle' | 'connecting' | 'live' | 'reconnecting' | 'refused';

type TraceListener = (item: TraceListItem) => void;
type ResyncListener = () => void;

/**
 * The live socket of one project (socket.io, same origin, default path /socket.io). The server
 * emits `trace.updated` with one list item each time a trace of the project changes.
 */
class LiveConnection {
  state = $state<LiveState>('idle');
  error = $state<string | null>(null);
  /** Date.now() of the last `trace.updated`. */
  lastEventAt = $state<number | null>(null);
  events = $state(0);

  #socket: Socket | null = null;
  #key = '';
  #traceListeners = new Set<TraceListener>();
  #resyncListeners = new Set<ResyncListener>();

  connect(token: string, projectId: string) {
    const key = `${projectId}\u0000${token}`;
    if (this.#socket && this.#key === key) return;
    this.close();
    this.#key = key;
    this.state = 'connecting';
    this.error = null;

    // WebSocket only: behind a load balancer with several API instances, no sticky sessions are needed (HTTP long-polling would need them).
    const socket = io({ auth: { token, projectId }, transports: ['websocket'], reconnectionDelayMax: 5000 });
    this.#socket = socket;

    socket.on('connect', () => {
      this.state = 'live';
      this.error = null;
      // Updates sent while we were away are lost, and so are those sent between a view's first fetch and the
      // socket's first connection (a slow handshake on a busy server): let the views refetch, quietly.
      for (const l of this.#resyncListeners) l();
    });
    socket.on('disconnect', (reason) => {
      if (this.#socket !== socket) return;
      if (reason === 'io client disconnect') return;
      this.state = 'reconnecting';
      this.error = `Disconnected (${reason})`;
      // The server closed us on purpose: socket.io will not retry by itself.
      if (reason === 'io server disconnect') setTimeout(() => this.#socket === socket && socket.connect(), 1000);
    });
    socket.on('connect_error', (err: Error) => {
      if (this.#socket !== socket) return;
      // A refusal by the server's middleware (bad key, no access) is final; transport errors are retried.
      const refused = !socket.active;
      this.state = refused ? 'refused' : 'reconnecting';
      this.error = err.message || 'connection failed';
    });
    socket.on('trace.updated', (item: TraceListItem) => {
      if (this.#socket !== socket || !item || typeof item.traceId !== 'string') return;
      this.lastEventAt = Date.now();
      this.events++;
      for (const l of this.#traceListeners) l(item);
    });
  }

  retry() {
    if (!this.#socket) return;
    this.state = 'connecting';
    this.error = null;
    this.#socket.connect();
  }

  close() {
    const s = this.#socket;
    this.#socket = null;
    this.#key = '';
    if (s) {
      s.removeAllListeners();
      s.disconnect();
    }
    this.state = 'idle';
    this.error = null;
  }

  /** Returns the unsubscribe function (suits $effect's teardown). */
  onTrace(listener: TraceListener): () => void {
    this.#traceListeners.add(listener);
    return () => this.#traceListeners.delete(listener);
  }

  /** Called after a reconnection, when updates may have been missed. */
  onResync(listener: ResyncListener): () => void {
    this.#resyncListeners.add(listener);
    return () => this.#resyncListeners.delete(listener);
  }

  /** Both at once, for a page's life: returns one unsubscribe function. */
  watch(onTrace: TraceListener, onResync: ResyncListener): () => void {
    const offTrace = this.onTrace(onTrace);
    const offResync = this.onResync(onResync);
    return () => {
      offTrace();
      offResync();
    };
  }
}

export const live = new LiveConnection();
