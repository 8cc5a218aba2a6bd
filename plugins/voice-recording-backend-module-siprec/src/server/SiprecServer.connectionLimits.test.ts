/*
 * Item 9 of issue 14: a flood of idle connections and a slowloris peer must not keep a
 * genuine SIPREC call out, on TCP and on TLS. Real sockets from three loopback
 * addresses (127.0.0.2 and .3 attack, the SRC calls from 127.0.0.1), low limits so that
 * the test opens a few dozen connections instead of a thousand.
 */
import net from 'node:net';
import tls from 'node:tls';
import { TestDatabases } from '@backstage/backend-test-utils';
import { encodeG711, synthSpeech } from '../audio/__testUtils__/speech';
import { RecorderBackend, finishedConversation, startRecorderBackend, twoPartyMetadata, twoStreamOffer } from '../__testUtils__/recorderBackend';
import { TestPki, createTestPki } from '../__testUtils__/tlsCertificates';
import { SrcClient, streamRtp } from '../testing/SrcClient';
import { TcpTransport } from '../sip/transport';

jest.setTimeout(120_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3'] });

const LIMITS = {
  maxConnections: 24,
  maxConnectionsPerAddress: 16,
  messageTimeoutSeconds: 0.5,
  firstMessageTimeoutSeconds: 4,
  idleTimeoutSeconds: 60,
};

const wait = (ms: number) => new Promise(r => setTimeout(r, ms));

interface Peer {
  socket: net.Socket;
  closedAt?: number;
  closed: Promise<void>;
}

/** A connection from `localAddress` that sends nothing (plain TCP, also on the TLS port: it stays in its handshake). */
function idlePeer(port: number, localAddress: string): Promise<Peer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port, localAddress });
    socket.on('error', () => undefined);
    const peer: Peer = { socket, closed: new Promise(r => socket.once('close', () => r())) };
    peer.closed.then(() => (peer.closedAt = Date.now()));
    socket.once('connect', () => resolve(peer));
    socket.once('error', reject);
  });
}

/** A peer that sends the start of an INVITE one byte every 100 ms (over TLS when `ca` is given). */
async function slowloris(port: number, localAddress: string, ca?: Buffer): Promise<Peer & { sent: () => number; startedAt: number }> {
  const socket: net.Socket = await new Promise((resolve, reject) => {
    const s = ca
      ? tls.connect({ socket: net.connect({ host: '127.0.0.1', port, localAddress }), host: '127.0.0.1', ca })
      : net.connect({ host: '127.0.0.1', port, localAddress });
    s.once(ca ? 'secureConnect' : 'connect', () => resolve(s));
    s.once('error', reject);
  });
  socket.on('error', () => undefined);
  const text = Buffer.from('INVITE sip:srs@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.2:5060;branch=z9hG4bKslow\r\nFrom: <sip:a@b>;tag=1\r\n');
  let sent = 0;
  const startedAt = Date.now();
  const timer = setInterval(() => {
    if (socket.destroyed || sent >= text.length) return;
    socket.write(text.subarray(sent, sent + 1));
    sent++;
  }, 100);
  const peer = {
    socket,
    startedAt,
    sent: () => sent,
    closed: new Promise<void>(r =>
      socket.once('close', () => {
        clearInterval(timer);
        r();
      }),
    ),
  } as Peer & { sent: () => number; startedAt: number };
  peer.closed.then(() => (peer.closedAt = Date.now()));
  return peer;
}

describe.each(databases.eachSupportedId())('SIPREC recorder connection limits on %s', databaseId => {
  let rb: RecorderBackend;
  let pki: TestPki;

  beforeAll(async () => {
    pki = createTestPki();
    const knex = await databases.init(databaseId);
    rb = await startRecorderBackend(knex, {
      sip: {
        port: 0,
        connections: LIMITS,
        tls: { port: 0, certificate: pki.serverCert, privateKey: pki.serverKey },
      },
    });
  });
  afterAll(async () => {
    await rb?.stop();
    pki?.remove();
  });

  it.each(['tcp', 'tls'] as const)(
    'over %s: a connection flood from two addresses and a slowloris do not keep a genuine call out',
    async transport => {
      const port = transport === 'tcp' ? rb.server.addresses.tcp! : rb.server.addresses.tls!;
      const listener = (rb.server as unknown as Record<'tcp' | 'tls', TcpTransport>)[transport];
      expect(listener.limits).toMatchObject({ maxConnections: 24, maxConnectionsPerAddress: 16, messageTimeoutMs: 500 });
      const counts = { ...listener.limitCounts };
      const peers: Peer[] = [];
      try {
        // 127.0.0.2 opens one more than its share: the last one is closed at once
        for (let i = 0; i < LIMITS.maxConnectionsPerAddress + 1; i++) peers.push(await idlePeer(port, '127.0.0.2'));
        const overShare = peers[peers.length - 1];
        await Promise.race([overShare.closed, wait(2000)]);
        expect(overShare.closedAt).toBeDefined();
        expect(peers.slice(0, -1).every(p => p.closedAt === undefined)).toBe(true);

        // 127.0.0.3 fills the listener up to maxConnections with idle connections
        for (let i = 0; i < LIMITS.maxConnections - LIMITS.maxConnectionsPerAddress; i++) peers.push(await idlePeer(port, '127.0.0.3'));
        // then a slowloris: the listener is full, the oldest idle connection makes room
        const slow = await slowloris(port, '127.0.0.3', transport === 'tls' ? pki.read(pki.caCert) : undefined);
        peers.push(slow);
        await Promise.race([peers[0].closed, wait(2000)]);
        expect(peers[0].closedAt).toBeDefined();

        // the genuine SRC: the listener is full again; its connection gets in, and its call is recorded
        const client = new SrcClient({
          host: '127.0.0.1',
          port,
          transport,
          ...(transport === 'tls' ? { tls: { ca: pki.read(pki.caCert) } } : {}),
        });
        await client.start();
        try {
          const pcm = synthSpeech('Sell two hundred bonds at the limit price.').subarray(0, 8000);
          const call = await client.invite({ sdp: twoStreamOffer(), metadata: twoPartyMetadata() });
          expect(call.response!.status).toBe(200);
          await Promise.all(call.mediaPorts.map(p => streamRtp({ port: p, payload: encodeG711('pcma', pcm), payloadType: 8 })));
          // the slowloris was cut off half a second after its first byte, long before its headers were complete
          await Promise.race([slow.closed, wait(3000)]);
          expect(slow.closedAt).toBeDefined();
          expect(slow.closedAt! - slow.startedAt).toBeLessThan(2000);
          expect(slow.sent()).toBeLessThan(25);
          expect((await client.bye(call)).status).toBe(200);
          const row = await finishedConversation(rb.knex, call.callId);
          expect(row).toMatchObject({ state: 'finished', ended_by: 'bye' });
          expect(JSON.parse(row.quality)).toMatchObject({ packetsReceived: 100, packetsLost: 0 });
        } finally {
          await client.close();
        }
        const after = listener.limitCounts;
        expect(after['address-limit'] - counts['address-limit']).toBe(1);
        expect(after.evicted - counts.evicted).toBe(2);
        expect(after['message-timeout'] - counts['message-timeout']).toBe(1);

        // the idle connections that never sent a message are closed after firstMessageTimeoutSeconds
        await Promise.all(peers.map(p => Promise.race([p.closed, wait(LIMITS.firstMessageTimeoutSeconds * 1000 + 2000)])));
        expect(peers.filter(p => p.closedAt === undefined)).toHaveLength(0);
        // all 26 admitted but the 2 evicted, the slowloris and the SRC's
        expect(listener.limitCounts['first-message-timeout'] - counts['first-message-timeout']).toBe(LIMITS.maxConnections - 2);
      } finally {
        for (const p of peers) p.socket.destroy();
      }
    },
  );
});
