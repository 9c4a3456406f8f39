import { readServerSentEvents, type ServerSentEvent } from './server-sent-events';

async function parse(chunks: string[]): Promise<ServerSentEvent[]> {
  const enc = new TextEncoder();
  async function* body() {
    for (const c of chunks) yield enc.encode(c);
  }
  const out: ServerSentEvent[] = [];
  for await (const e of readServerSentEvents(body())) out.push(e);
  return out;
}

describe('readServerSentEvents', () => {
  const stream = 'event: message_start\ndata: {"a":1}\n\n: keep-alive comment\n\ndata: line one\ndata: line two\r\n\r\nevent: ping\rdata: {}\r\rdata:no-space\n\ndata: é€😀\n\n';
  const expected = [
    { event: 'message_start', data: '{"a":1}' },
    { event: undefined, data: 'line one\nline two' },
    { event: 'ping', data: '{}' },
    { event: undefined, data: 'no-space' },
    { event: undefined, data: 'é€😀' },
  ];

  it('parses LF, CRLF and CR line ends, comments, multi-line data and events without a space after the colon', async () => {
    expect(await parse([stream])).toEqual(expected);
  });

  it('gives the same events however the bytes are cut into chunks (mid-line, mid-CRLF, mid-character)', async () => {
    const bytes = Buffer.from(stream);
    for (let cut = 1; cut < bytes.length; cut++) {
      const enc = [bytes.subarray(0, cut), bytes.subarray(cut)];
      async function* body() {
        yield* enc;
      }
      const out: ServerSentEvent[] = [];
      for await (const e of readServerSentEvents(body())) out.push(e);
      expect(out).toEqual(expected);
    }
  });

  it('yields a last event that has no blank line after it', async () => {
    expect(await parse(['data: {"x":1}\n\ndata: {"y":2}'])).toEqual([
      { event: undefined, data: '{"x":1}' },
      { event: undefined, data: '{"y":2}' },
    ]);
  });
});
