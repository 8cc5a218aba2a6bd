import dgram from 'node:dgram';
import net from 'node:net';
import { inviteFixtures } from '../../__fixtures__/siprecInvites';
import { SipMessage, SipRequest, buildResponse, parseSipMessage } from '../message';
import { TcpTransport } from './tcpTransport';
import { RemoteAddress } from './types';
import { UdpTransport } from './udpTransport';

const options = Buffer.from(
  'OPTIONS sip:srs@h SIP/2.0\r\nVia: SIP/2.0/UDP c;branch=z9hG4bKo1\r\nFrom: <sip:c@h>;tag=o\r\nTo: <sip:srs@h>\r\nCall-ID: opt-1\r\nCSeq: 5 OPTIONS\r\nContent-Length: 0\r\n\r\n',
);

function nextEvent<T extends unknown[]>(emitter: { once(e: string, fn: (...a: any[]) => void): unknown }, name: string): Promise<T> {
  return new Promise(resolve => emitter.once(name, (...args: unknown[]) => resolve(args as T)));
}

describe('UdpTransport', () => {
  let transport: UdpTransport;
  let client: dgram.Socket;
  let port: number;

  beforeEach(async () => {
    transport = new UdpTransport({ host: '127.0.0.1', port: 0, maxMessageSize: 4096 });
    port = (await transport.start()).port;
    client = dgram.createSocket('udp4');
    await new Promise<void>(r => client.bind(0, '127.0.0.1', () => r()));
  });
  afterEach(async () => {
    await transport.close();
    await new Promise<void>(r => client.close(() => r()));
  });

  it('emits parsed messages with the remote address and sends responses back', async () => {
    const got = nextEvent<[SipMessage, RemoteAddress]>(transport, 'message');
    client.send(options, port, '127.0.0.1');
    const [msg, remote] = await got;
    expect(msg.headers.get('Call-ID')).toBe('opt-1');
    expect(remote).toMatchObject({ transport: 'udp', address: '127.0.0.1', port: client.address().port });
    const reply = new Promise<Buffer>(r => client.once('message', b => r(b)));
    await transport.send(buildResponse(msg as SipRequest, 200, 'OK'), remote);
    expect(parseSipMessage(await reply)).toMatchObject({ kind: 'response', status: 200 });
  });

  it('answers 400 to an unparseable but addressable request', async () => {
    const bad = Buffer.from(options.toString().replace('Content-Length: 0', 'Content-Length: zz'));
    const err = nextEvent(transport, 'parseError');
    const reply = new Promise<Buffer>(r => client.once('message', b => r(b)));
    client.send(bad, port, '127.0.0.1');
    await err;
    const r = parseSipMessage(await reply);
    expect(r).toMatchObject({ kind: 'response', status: 400, reason: 'Bad Content-Length' });
  });

  it('reports datagrams above the size limit', async () => {
    const big = Buffer.concat([inviteFixtures[0].wire, Buffer.alloc(5000, 0x20)]);
    const err = nextEvent<[{ error: { reason: string } }]>(transport, 'parseError');
    client.send(big, port, '127.0.0.1');
    expect((await err)[0].error.reason).toBe('Message Too Large');
  });
});

describe('TcpTransport', () => {
  let transport: TcpTransport;
  let port: number;
  beforeEach(async () => {
    transport = new TcpTransport({ host: '127.0.0.1', port: 0 });
    port = (await transport.start()).port;
  });
  afterEach(() => transport.close());

  it('frames a stream, answers on the same connection, and answers CRLF pings', async () => {
    const socket = net.connect({ host: '127.0.0.1', port });
    await new Promise(r => socket.once('connect', r));
    const received: Array<[SipMessage, RemoteAddress]> = [];
    const two = new Promise<void>(resolve =>
      transport.on('message', (m, r) => {
        received.push([m, r]);
        if (received.length === 2) resolve();
      }),
    );
    const invite = inviteFixtures[1].wire;
    socket.write(Buffer.concat([options, invite.subarray(0, 1000)]));
    setTimeout(() => socket.write(invite.subarray(1000)), 5);
    await two;
    expect(received[1][0].body.length).toBe(parseSipMessage(invite).body.length);
    expect(received[0][1].connectionId).toBe(received[1][1].connectionId);

    const data: Buffer[] = [];
    socket.on('data', (d: Buffer) => data.push(d));
    await transport.send(buildResponse(received[0][0] as SipRequest, 200, 'OK'), received[0][1]);
    socket.write('\r\n\r\n');
    await new Promise(r => setTimeout(r, 50));
    const text = Buffer.concat(data).toString();
    expect(text.startsWith('SIP/2.0 200 OK\r\n')).toBe(true);
    expect(text.endsWith('\r\n\r\n\r\n')).toBe(true); // response ends CRLFCRLF, pong is CRLF
    socket.destroy();
  });

  it('closes the connection after a fatal framing error, after answering 400', async () => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const data: Buffer[] = [];
    socket.on('data', (d: Buffer) => data.push(d));
    const closed = new Promise(r => socket.once('close', r));
    socket.write(options.toString().replace('Content-Length: 0\r\n', ''));
    await closed;
    expect(Buffer.concat(data).toString()).toMatch(/^SIP\/2.0 400 Missing Content-Length/);
  });
});
