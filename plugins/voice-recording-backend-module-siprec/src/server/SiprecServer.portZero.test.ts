/*
 * SIP port 0 (tests, ad-hoc runs): TCP listens on the number UDP got. When a TCP socket
 * of someone else already holds that number (an outgoing connection's ephemeral port, a
 * listener), the recorder tries another number instead of failing its start (CI once saw
 * "the SIPREC recorder did not start" that way).
 */
import * as fs from 'node:fs';
import net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { mockServices } from '@backstage/backend-test-utils';
import { CaptureContext } from '@mvr/plugin-voice-recording-node';
import { emptyConversations } from '../__testUtils__/emptyConversations';
import { standaloneServerConfig } from '../__testUtils__/serverConfig';
import { UdpTransport } from '../sip/transport';
import { SiprecServer } from './SiprecServer';

jest.setTimeout(60_000);

/** a TCP listener on a free port: the number the test makes UDP get first */
async function tcpHolder(): Promise<{ port: number; close(): Promise<void> }> {
  const holder = net.createServer();
  await new Promise<void>(r => holder.listen(0, '127.0.0.1', () => r()));
  return {
    port: (holder.address() as net.AddressInfo).port,
    close: () => new Promise<void>(r => holder.close(() => r())),
  };
}

describe('SIP port 0', () => {
  it('moves UDP and TCP to another number when TCP cannot have the one UDP got', async () => {
    const held = await tcpHolder();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mvr-port0-'));
    // the first UDP bind gets the held number (as an unlucky ephemeral pick would); later ones are free
    const start = UdpTransport.prototype.start;
    let binds = 0;
    const spy = jest.spyOn(UdpTransport.prototype, 'start').mockImplementation(function (this: UdpTransport) {
      binds++;
      if (binds === 1) (this as unknown as { options: { port: number } }).options.port = held.port;
      return start.call(this);
    });
    const ctx: CaptureContext = {
      logger: mockServices.logger.mock(),
      config: { defaultCountry: 'BE', emergencyNumbers: ['112'] },
      policy: { lookupAndDecide: async () => ({ participants: [], decision: { record: false, reason: 'unknown-number', beep: false, message: '' } }) },
      conversations: emptyConversations(),
    };
    const server = new SiprecServer({
      ctx,
      logger: mockServices.logger.mock(),
      config: standaloneServerConfig(dir, { sip: { port: 0, udp: true, tcp: true }, instanceId: 'port0' }),
    });
    try {
      await server.start();
      expect({
        binds,
        sameNumber: server.addresses.udp === server.addresses.tcp,
        moved: server.addresses.tcp !== held.port,
      }).toEqual({ binds: 2, sameNumber: true, moved: true });
      // both really listen: a TCP connection is accepted on the new number
      const socket = net.connect(server.addresses.tcp!, '127.0.0.1');
      await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
      socket.destroy();
    } finally {
      spy.mockRestore();
      await server.stop();
      await held.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a fixed port that TCP cannot have still fails the start, naming the cause', async () => {
    const held = await tcpHolder();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mvr-port0-'));
    const ctx: CaptureContext = {
      logger: mockServices.logger.mock(),
      config: { defaultCountry: 'BE', emergencyNumbers: ['112'] },
      policy: { lookupAndDecide: async () => ({ participants: [], decision: { record: false, reason: 'unknown-number', beep: false, message: '' } }) },
      conversations: emptyConversations(),
    };
    const server = new SiprecServer({
      ctx,
      logger: mockServices.logger.mock(),
      config: standaloneServerConfig(dir, { sip: { port: held.port, udp: false, tcp: true }, instanceId: 'fixed' }),
    });
    try {
      await expect(server.start()).rejects.toThrow(/EADDRINUSE/);
    } finally {
      await server.stop().catch(() => undefined);
      await held.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
