/**
 * The time a span's event id starts with (timeOrderedEventId): its end in ms, its start if it has no end.
 * Spans of one export ended about together, so their ids sort together; taken from the span's own
 * fields, so a retried export gets the same ids.
 */
export function spanIdTimeMs(span: { startTimeUnixNano: string; endTimeUnixNano: string }): number {
  const nanos = span.endTimeUnixNano !== '0' && span.endTimeUnixNano !== '' ? span.endTimeUnixNano : span.startTimeUnixNano;
  return nanos.length > 6 ? Number(nanos.slice(0, -6)) : 0;
}
