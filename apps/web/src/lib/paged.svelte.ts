/** "Load more" of a cursor-paged list (traces, sessions, a session's traces). */
export class MorePages {
  /** A page is being fetched (the button says "Loading…"). */
  loading = $state(false);
  /** Why the last page could not be fetched, shown next to the button. */
  error = $state<string | null>(null);

  /** Runs `fetchPage` unless a page is already being fetched; keeps its error. */
  async run(fetchPage: () => Promise<void>): Promise<void> {
    if (this.loading) return;
    this.loading = true;
    this.error = null;
    try {
      await fetchPage();
    } catch (err) {
      this.error = (err as Error).message;
    } finally {
      this.loading = false;
    }
  }
}

/** `items` followed by those of `more` not already among them (a row may move to a later page while paging). */
export function appendNew<T>(items: T[], more: T[], key: (item: T) => string): T[] {
  const known = new Set(items.map(key));
  return [...items, ...more.filter((item) => !known.has(key(item)))];
}
