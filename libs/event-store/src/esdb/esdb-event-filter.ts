import { excludeSystemEvents, streamNameFilter, type Filter } from '@eventstore/db-client';

/**
 * The server-side filter of every $all read and subscription: our streams only. Without a prefix that
 * is every event whose type does not start with `$` (system events, links, stream metadata); with a
 * prefix (several stores on one server, e.g. test isolation), the streams that start with it.
 */
export function esdbEventFilter(streamPrefix: string): Filter {
  return streamPrefix ? streamNameFilter({ prefixes: [streamPrefix] }) : excludeSystemEvents();
}

/**
 * The same predicate, client side, for the one read the client cannot filter on the server: the
 * backwards read of $all that finds the head (readAll takes no filter in @eventstore/db-client 6).
 */
export function matchesEsdbEventFilter(streamPrefix: string, event: { streamId: string; type: string }): boolean {
  return streamPrefix ? event.streamId.startsWith(streamPrefix) : !event.type.startsWith('$');
}
