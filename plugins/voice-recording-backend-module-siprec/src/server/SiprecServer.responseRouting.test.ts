/*
 * Item 13 of issue 14: a response whose TCP connection closed before it was ready goes
 * on a new connection to the Via sent-by port (RFC 3261 §18.2.2), not to the closed
 * connection's source port; failures to send are logged rate-limited.
 */
import * as fs from 'node:fs';
import net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { mockServices } from '@backstage/backend-test-utils';
import {
  CaptureContext,
  LookupAndDecideResult,
} from '@mvr/plugin-voice-recording-node';
import { emptyConversations } from '../__testUtils__/emptyConversations';
import { standaloneServerConfig } from '../__testUtils__/serverConfig';
import { SipResponse, serializeSipMessage } from '../sip/message';
import { StreamFramer, TcpTransport } from '../sip/transport';
import { SrcClient } from '../testing/SrcClient';
import { buildOfferSdp } from '../testing/siprecMessages';
import { SiprecServer } from './SiprecServer';

jest.setTimeout(60_000);

const wait = (ms: number) => new Promise(r => setTimeout(r, ms));

/** A recorder whose recording decision waits until the test lets it go (the SRC closes its connection meanwhile). */
async function startServer() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mvr-routing-'));
  let release!: () => void;
  const gate = new Promise<void>(r => (release = r));
  const decided: string[] = [];
  const ctx: CaptureContext = {
    logger: mockServices.logger.mock(),
    config: { defaultCountry: 'BE', emergencyNumbers: ['112'] },
    policy: {
      lookupAndDecide: async (): Promise<LookupAndDecideResult> => {
        await gate;
        decided.push('unknown-number');
        return {
          participants: [],
          decision: {
            record: false,
            reason: 'unknown-number',
            beep: false,
            message: 'no such number',
          },
        };
      },
    },
    conversations: emptyConversations(),
  };
  const logger = mockServices.logger.mock();
  const server = new SiprecServer({
    ctx,
    logger,
    config: standaloneServerConfig(dir, {
      sip: { port: 0, udp: false, tcp: true },
      instanceId: 'routing',
    }),
  });
  await server.start();
  return {
    server,
    logger,
    decided,
    release: () => release(),
    remove: async () => {
      await server.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Sends a SIPREC INVITE whose Via names `viaPort`, over its own TCP connection, then closes that connection. */
async function inviteAndHangUp(
  tcpPort: number,
  viaPort: number,
  callId: string,
): Promise<number> {
  const client = new SrcClient({
    host: '127.0.0.1',
    port: tcpPort,
    transport: 'tcp',
  });
  await client.start();
  const sourcePort = client.socket!.localPort!;
  const invite = client.buildRequest(
    'INVITE',
    {
      callId,
      fromTag: 'f1',
      routeUri: `sip:srs@127.0.0.1:${tcpPort};transport=tcp`,
    },
    1,
    {
      headers: { Require: 'siprec' },
      body: buildOfferSdp([{ label: '1', port: 40000 }]),
      contentType: 'application/sdp',
    },
  );
  invite.headers.set(
    'Via',
    `SIP/2.0/TCP 127.0.0.1:${viaPort};branch=z9hG4bK${callId.replace(
      /\W/g,
      '',
    )}`,
  );
  await client.sendRaw(serializeSipMessage(invite));
  await wait(50); // the 100 Trying goes back on the connection
  await client.close();
  return sourcePort;
}

/** Resolves when the recorder has seen every TCP connection close. */
async function closedOnRecorder(server: SiprecServer): Promise<void> {
  const tcp = (server as unknown as { tcp: TcpTransport }).tcp;
  const end = Date.now() + 5000;
  while (tcp.connectionCount > 0) {
    if (Date.now() > end)
      throw new Error('the recorder did not see the connections close');
    await wait(10);
  }
}

describe('SIPREC recorder: TCP responses after the connection closed', () => {
  it('sends the final response on a new connection to the Via sent-by port, not to the source port', async () => {
    const s = await startServer();
    // the SRC's listening port, named in its Via
    const received: Array<{ response: SipResponse; fromPort: number }> = [];
    const listener = net.createServer(socket => {
      const framer = new StreamFramer({
        onMessage: m =>
          m.kind === 'response' &&
          received.push({ response: m, fromPort: socket.remotePort! }),
        onError: () => undefined,
      });
      socket.on('data', (d: Buffer) => framer.push(d));
      socket.on('error', () => undefined);
    });
    await new Promise<void>(r => listener.listen(0, '127.0.0.1', () => r()));
    const viaPort = (listener.address() as net.AddressInfo).port;
    try {
      const sourcePort = await inviteAndHangUp(
        s.server.addresses.tcp!,
        viaPort,
        'closed-1@src',
      );
      expect(sourcePort).not.toBe(viaPort);
      await closedOnRecorder(s.server);
      s.release();
      const end = Date.now() + 5000;
      while (!received.length && Date.now() < end) await wait(20);
      expect(received).toHaveLength(1);
      const [{ response }] = received;
      expect(response).toMatchObject({ kind: 'response', status: 404 });
      expect(response.headers.get('Call-ID')).toBe('closed-1@src');
      expect(s.server.stats.refused).toBe(1);
      // nothing went wrong on the way
      expect(s.logger.warn).not.toHaveBeenCalledWith(
        expect.stringContaining('cannot send'),
      );
    } finally {
      listener.close();
      await s.remove();
    }
  });

  it('logs responses that cannot be sent at most once per window, with a count of the others', async () => {
    const s = await startServer();
    // a port where nothing listens
    const probe = net.createServer();
    await new Promise<void>(r => probe.listen(0, '127.0.0.1', () => r()));
    const deadPort = (probe.address() as net.AddressInfo).port;
    await new Promise(r => probe.close(r));
    try {
      for (let i = 0; i < 20; i++)
        await inviteAndHangUp(
          s.server.addresses.tcp!,
          deadPort,
          `dead-${i}@src`,
        );
      await closedOnRecorder(s.server);
      s.release();
      const end = Date.now() + 5000;
      while (s.decided.length < 20 && Date.now() < end) await wait(20);
      await wait(300);
      expect(s.decided).toHaveLength(20);
      const lines = (s.logger.warn as jest.Mock).mock.calls
        .map(c => String(c[0]))
        .filter(l => l.includes('cannot send'));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(
        `127.0.0.1:${deadPort} (Via sent-by port) failed`,
      );
    } finally {
      await s.remove();
    }
  });
});
