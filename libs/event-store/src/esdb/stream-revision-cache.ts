/** What this process knows of one stream from its own appends: the revision and recent event ids. */
export interface KnownStream {
  revision: bigint;
  ids: Set<string>;
}

/**
 * The last revision and recent event ids of the streams this process appended to, so the next append to
 * one of them goes straight to the server at the right revision (one round trip) and a retried call skips
 * what it already stored without reading anything. Bounded twice (streams, ids per stream): what falls out
 * costs one conflict and one bounded read later, never a wrong answer, because the server checks the
 * revision on every append.
 */
export class StreamRevisionCache {
  private readonly streams = new Map<string, KnownStream>();

  constructor(
    private readonly maxStreams = 4096,
    private readonly maxIdsPerStream = 2048,
  ) {}

  get(stream: string): KnownStream | undefined {
    const known = this.streams.get(stream);
    if (known) {
      // LRU: touched streams move to the end.
      this.streams.delete(stream);
      this.streams.set(stream, known);
    }
    return known;
  }

  /** The stream is at `revision` and holds `ids` (added to what is known already). */
  record(stream: string, revision: bigint, ids: Iterable<string>): void {
    let known = this.streams.get(stream);
    if (known) this.streams.delete(stream);
    else known = { revision, ids: new Set() };
    known.revision = revision; // server answers are authoritative; appends to one stream are serialized per process
    for (const id of ids) {
      known.ids.delete(id);
      known.ids.add(id);
    }
    while (known.ids.size > this.maxIdsPerStream) known.ids.delete(known.ids.values().next().value!);
    this.streams.set(stream, known);
    while (this.streams.size > this.maxStreams) this.streams.delete(this.streams.keys().next().value!);
  }

  forget(stream: string): void {
    this.streams.delete(stream);
  }
}
