import { createSocket } from 'node:dgram';
import { createServer, type Server } from 'node:net';

export interface ServiceDns {
  /** host:port, for a resolver setting (Caddy's `resolvers`). */
  address: string;
  /** The A questions answered, by name asked. */
  asked: Map<string, number>;
  close(): Promise<void>;
}

/**
 * A minimal DNS server on loopback (UDP and TCP on one port: Caddy's custom resolvers ask over TCP) that answers A questions for service names with every replica's
 * address, as compose's embedded DNS does (`api` -> each api replica); the first label of the name asked is the
 * service (a resolver may append its search domain). AAAA and unknown names: an empty answer / NXDOMAIN.
 */
export async function startServiceDns(records: Record<string, string[]>): Promise<ServiceDns> {
  const asked = new Map<string, number>();
  const answer = (msg: Buffer): Buffer | null => {
    if (msg.length < 12) return null;
    let at = 12;
    const labels: string[] = [];
    while (at < msg.length && msg[at] !== 0) {
      const len = msg[at]!;
      labels.push(msg.subarray(at + 1, at + 1 + len).toString('ascii').toLowerCase());
      at += 1 + len;
    }
    const questionEnd = at + 5; // the 0 byte, QTYPE, QCLASS
    if (questionEnd > msg.length) return null;
    const qtype = msg.readUInt16BE(at + 1);
    const addresses = records[labels[0] ?? ''];
    const answers = qtype === 1 && addresses ? addresses : [];
    if (qtype === 1) asked.set(labels.join('.'), (asked.get(labels.join('.')) ?? 0) + 1);
    const header = Buffer.alloc(12);
    msg.copy(header, 0, 0, 2); // id
    header.writeUInt16BE(0x8180 | (msg.readUInt16BE(2) & 0x0100) | (addresses ? 0 : 3), 2); // response, recursion available, NXDOMAIN when unknown
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(answers.length, 6);
    const records_ = answers.map((ip) => {
      const rr = Buffer.alloc(16);
      rr.writeUInt16BE(0xc00c, 0); // the name: a pointer to the question's
      rr.writeUInt16BE(1, 2); // A
      rr.writeUInt16BE(1, 4); // IN
      rr.writeUInt32BE(1, 6); // TTL 1 s
      rr.writeUInt16BE(4, 10);
      ip.split('.').forEach((octet, i) => rr.writeUInt8(Number(octet), 12 + i));
      return rr;
    });
    return Buffer.concat([header, msg.subarray(12, questionEnd), ...records_]);
  };
  for (let attempt = 0; ; attempt++) {
    const socket = createSocket('udp4');
    socket.on('message', (msg, from) => {
      const reply = answer(msg);
      if (reply) socket.send(reply, from.port, from.address);
    });
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    const port = socket.address().port;
    // TCP: each message is preceded by its length (2 bytes)
    const tcp = createServer((conn) => {
      let buffered = Buffer.alloc(0);
      conn.on('data', (d: Buffer) => {
        buffered = Buffer.concat([buffered, d]);
        while (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) {
          const reply = answer(buffered.subarray(2, 2 + buffered.readUInt16BE(0)));
          buffered = buffered.subarray(2 + buffered.readUInt16BE(0));
          if (reply) conn.write(Buffer.concat([Buffer.from([reply.length >> 8, reply.length & 0xff]), reply]));
        }
      });
      conn.on('error', () => undefined);
    });
    const listening = await new Promise<boolean>((resolve) => {
      tcp.once('error', () => resolve(false));
      tcp.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (!listening) {
      socket.close();
      if (attempt < 10) continue;
      throw new Error('no loopback port free for both UDP and TCP');
    }
    return {
      address: `127.0.0.1:${port}`,
      asked,
      close: async () => {
        await new Promise<void>((resolve) => socket.close(() => resolve()));
        await closeServer(tcp);
      },
    };
  }
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}
