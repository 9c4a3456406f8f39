/** One server-sent event: its `event:` name (when given) and its `data:` lines joined by newlines. */
export interface ServerSentEvent {
  event?: string;
  data: string;
}

/**
 * Parses a text/event-stream body (the WHATWG rules the providers follow: events end at a blank line, CRLF, LF or
 * CR line ends, `:` comments ignored, several `data:` lines joined). Lazy: a consumer that stops early stops the read.
 */
export async function* readServerSentEvents(body: AsyncIterable<Uint8Array>): AsyncGenerator<ServerSentEvent> {
  const decoder = new TextDecoder();
  let buffer = '';
  let event: string | undefined;
  let data: string[] = [];
  const line = (text: string): ServerSentEvent | undefined => {
    if (text === '') {
      const done = data.length > 0 ? { event, data: data.join('\n') } : undefined;
      event = undefined;
      data = [];
      return done;
    }
    if (text.startsWith(':')) return undefined;
    const colon = text.indexOf(':');
    const field = colon < 0 ? text : text.slice(0, colon);
    let value = colon < 0 ? '' : text.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') data.push(value);
    else if (field === 'event') event = value;
    return undefined;
  };
  for await (const chunk of body) {
    buffer += decoder.decode(chunk, { stream: true });
    let start = 0;
    for (let i = 0; i < buffer.length; i++) {
      const c = buffer.charCodeAt(i);
      if (c !== 10 && c !== 13) continue;
      // A CR at the very end may be the first half of a CRLF split across chunks: wait for more.
      if (c === 13 && i === buffer.length - 1) break;
      const done = line(buffer.slice(start, i));
      if (c === 13 && buffer.charCodeAt(i + 1) === 10) i++;
      start = i + 1;
      if (done) yield done;
    }
    buffer = buffer.slice(start);
  }
  buffer += decoder.decode();
  if (buffer) {
    const done = line(buffer.replace(/\r$/, ''));
    if (done) yield done;
  }
  const last = line('');
  if (last) yield last;
}
