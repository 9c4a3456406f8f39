/** Keyboard and mouse handling shared by the row lists (traces, sessions). */

export interface ListKeyOptions<T> {
  /** Where keys are left alone (typing in a field, a menu). */
  ignoreIn: string;
  /** Enter on the keyboard's row. */
  open: (item: T) => void;
  /** The element of a row, scrolled into view when the keyboard moves. */
  rowOf: (item: T) => Element | null;
  /** Another key the page handles (true: handled). */
  other?: (key: string) => boolean;
}

/**
 * j/k or arrows move the keyboard's row (`cursor`, -1 for none) through `items`, Enter opens it. Returns the new
 * cursor, or null when the key is not the list's.
 */
export function listKeydown<T>(e: KeyboardEvent, items: T[], cursor: number, o: ListKeyOptions<T>): number | null {
  if (e.defaultPrevented || e.metaKey || e.ctrlKey || e.altKey) return null;
  const target = e.target as HTMLElement | null;
  if (target && (target.closest(o.ignoreIn) || (target.closest('button, a') && e.key === 'Enter'))) return null;
  if (items.length === 0) return null;
  if (e.key === 'j' || e.key === 'ArrowDown') cursor = Math.min(items.length - 1, cursor + 1);
  else if (e.key === 'k' || e.key === 'ArrowUp') cursor = Math.max(0, cursor - 1);
  else if (o.other?.(e.key)) {
    // handled by the page
  } else if (e.key === 'Enter' && cursor >= 0 && items[cursor]) {
    e.preventDefault();
    o.open(items[cursor]);
    return null;
  } else return null;
  e.preventDefault();
  const row = items[cursor];
  if (row) o.rowOf(row)?.scrollIntoView({ block: 'nearest' });
  return cursor;
}

/** A click on a row opens it, unless it was on a real link or button or modified (new tab): those do their own thing. */
export function clickOpensRow(e: MouseEvent): boolean {
  if (e.defaultPrevented || e.metaKey || e.ctrlKey || e.shiftKey || e.button !== 0) return false;
  return !(e.target as HTMLElement).closest('a, button');
}
