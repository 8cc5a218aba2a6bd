import net from 'node:net';
import tls from 'node:tls';
import { inviteFixtures } from '../../__fixtures__/siprecInvites';
import { TestPki, createTestPki } from '../../__testUtils__/tlsCertificates';
import { SipMessage, SipRequest, buildResponse, parseSipMessage, parseVia } from '../message';
import { StreamFramer } from './streamFramer';
import { TlsTransport, TlsTransportOptions } from './tlsTransport';
import { RemoteAddress } from './types';

const options = (callId: string) =>
  Buffer.from(
    `OPTIONS sip:srs@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TLS 127.0.0.1:5999;branch=z9hG4bK${callId}\r\nFrom: <sip:c@h>;tag=o\r\nTo: <sip:srs@h>\r\nCall-ID: ${callId}\r\nCSeq: 5 OPTIONS\r\nContent-Length: 0\r\n\r\n`,
  );

let pki: TestPki;
beforeAll(() => {
  pki = createTestPki();
});
afterAll(() => pki?.remove());

const wait = (ms: number) => new Promise(r => setTimeout(r, ms));

async function startTransport(extra: Partial<TlsTransportOptions> = {}) {
  const transport = new TlsTransport({
    host: '127.0.0.1',
    port: 0,
    cert: pki.read(pki.serverCert),
    key: pki.read(pki.serverKey),
    ...extra,
  });
  const messages: Array<[SipMessage, RemoteAddress]> = [];
  const errors: Error[] = [];
  transport.on('message', (m, r) => messages.push([m, r]));
  transport.on('transportError', e => errors.push(e));
  const { port } = await transport.start();
  return { transport, port, messages, errors };
}

function connectTls(port: number, o: tls.ConnectionOptions = {}): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port, ca: pki.read(pki.caCert), ...o });
    s.once('secureConnect', () => resolve(s));
    s.once('error', reject);
  });
}

/** Resolves when the socket is closed, with what it received meanwhile. */
function closed(socket: net.Socket): Promise<{ data: Buffer; error?: Error }> {
  const chunks: Buffer[] = [];
  let error: Error | undefined;
  socket.on('data', (d: Buffer) => chunks.push(d));
  socket.on('error', e => (error = e));
  return new Promise(resolve => socket.once('close', () => resolve({ data: Buffer.concat(chunks), error })));
}

async function until(check: () => boolean, what: string, ms = 5000) {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await wait(10);
  }
}

describe('TlsTransport', () => {
  it('frames several messages in one TLS write and one message split across writes, answers on the same connection', async () => {
    const { transport, port, messages } = await startTransport();
    try {
      const socket = await connectTls(port);
      expect(socket.getProtocol()).toMatch(/^TLSv1\.[23]$/);
      const replies: SipMessage[] = [];
      const framer = new StreamFramer({ onMessage: m => replies.push(m), onError: () => undefined, onKeepAlive: () => undefined });
      const raw: Buffer[] = [];
      socket.on('data', (d: Buffer) => {
        raw.push(d);
        framer.push(d);
      });
      const invite = inviteFixtures[1].wire;
      // one write: two OPTIONS, a keep-alive, one whole INVITE and the start of another
      socket.write(Buffer.concat([options('o-1'), options('o-2'), Buffer.from('\r\n\r\n'), invite, invite.subarray(0, 700)]));
      await until(() => messages.length >= 3, 'three messages');
      await wait(100);
      expect(messages).toHaveLength(3); // the partial INVITE is held back
      socket.write(invite.subarray(700, 1500));
      await wait(50);
      expect(messages).toHaveLength(3);
      socket.write(invite.subarray(1500));
      await until(() => messages.length === 4, 'the split INVITE');
      expect(messages.map(([m]) => m.headers.get('Call-ID'))).toEqual(['o-1', 'o-2', ...[invite, invite].map(w => parseSipMessage(w).headers.get('Call-ID'))]);
      expect(messages[3][0].body.equals(parseSipMessage(invite).body)).toBe(true);
      const remotes = messages.map(([, r]) => r);
      expect(remotes[0]).toMatchObject({ transport: 'tls', address: '127.0.0.1', port: socket.localPort });
      expect(remotes[0].connectionId).toMatch(/^tls-\d+$/);
      expect(new Set(remotes.map(r => r.connectionId)).size).toBe(1);
      expect(transport.connectionCount).toBe(1);

      // responses go back on this connection, Via (SIP/2.0/TLS) copied from the request
      await transport.send(buildResponse(messages[1][0] as SipRequest, 200, 'OK'), remotes[1]);
      await until(() => replies.length === 1, 'the response');
      expect(replies[0]).toMatchObject({ kind: 'response', status: 200 });
      expect(replies[0].headers.get('Call-ID')).toBe('o-2');
      expect(parseVia(replies[0].headers.getAll('Via')[0]).transport).toBe('TLS');
      // the CRLFCRLF ping in the stream was answered with a CRLF pong (before the response)
      expect(Buffer.concat(raw).subarray(0, 2).toString()).toBe('\r\n');
      socket.destroy();
      await until(() => transport.connectionCount === 0, 'the connection to be forgotten');
      // gone connection: no new TLS connection is opened, the send fails clearly
      await expect(transport.send(buildResponse(messages[0][0] as SipRequest, 200, 'OK'), remotes[0])).rejects.toThrow(
        /TLS connection tls-\d+ to 127\.0\.0\.1:\d+ is closed \(responses are only sent on the connection the request came in on\)/,
      );
    } finally {
      await transport.close();
    }
  });

  it('drops a plain-TCP client on the TLS port without answering it, and keeps serving TLS clients', async () => {
    const { transport, port, messages, errors } = await startTransport();
    try {
      const plain = net.connect({ host: '127.0.0.1', port });
      const result = closed(plain);
      plain.write(options('plain-1'));
      const { data } = await result;
      expect(data.toString('latin1')).not.toContain('SIP/2.0');
      await until(() => errors.length > 0, 'the dropped connection to be reported');
      expect(errors[0].message).toMatch(/^TLS connection from 127\.0\.0\.1:\d+ dropped: /);
      expect(messages).toHaveLength(0);

      const socket = await connectTls(port);
      socket.write(options('after-plain'));
      await until(() => messages.length === 1, 'a message from the TLS client');
      expect(messages[0][0].headers.get('Call-ID')).toBe('after-plain');
      socket.destroy();
    } finally {
      await transport.close();
    }
  });

  it('drops a connection that never completes its handshake, and close() does not wait for it', async () => {
    const { transport, port, errors } = await startTransport({ handshakeTimeoutMs: 300 });
    const silent = net.connect({ host: '127.0.0.1', port });
    const t0 = Date.now();
    await closed(silent);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
    expect(Date.now() - t0).toBeLessThan(3000);
    await until(() => errors.length > 0, 'the timeout to be reported');
    expect(errors[0].message).toMatch(/dropped: TLS handshake timeout/);

    const another = net.connect({ host: '127.0.0.1', port });
    await new Promise(r => another.once('connect', r));
    const done = closed(another);
    const c0 = Date.now();
    await transport.close();
    await done;
    expect(Date.now() - c0).toBeLessThan(250);
  });

  it('refuses TLS 1.1 and older', async () => {
    const { transport, port, errors, messages } = await startTransport();
    try {
      const old = tls.connect({ host: '127.0.0.1', port, ca: pki.read(pki.caCert), minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT:@SECLEVEL=0' });
      const result = await closed(old);
      expect(result.error?.message).toMatch(/alert|protocol|version/i);
      await until(() => errors.length > 0, 'the refusal to be reported');
      expect(errors[0].message).toMatch(/unsupported protocol|version/i);
      expect(messages).toHaveLength(0);
    } finally {
      await transport.close();
    }
  });

  it('with requestClientCertificate, accepts only clients whose certificate chains to the CA', async () => {
    expect(() => new TlsTransport({ port: 0, cert: 'x', key: 'y', requestClientCertificate: true })).toThrow(/needs the CA certificate/);
    const { transport, port, messages, errors } = await startTransport({ ca: pki.read(pki.caCert), requestClientCertificate: true });
    try {
      const good = await connectTls(port, { cert: pki.read(pki.clientCert), key: pki.read(pki.clientKey) });
      good.write(options('with-cert'));
      await until(() => messages.length === 1, 'the authenticated client message');
      good.destroy();

      for (const [what, o] of [
        ['no certificate', {}],
        ['an untrusted certificate', { cert: pki.read(pki.strangerCert), key: pki.read(pki.strangerKey) }],
      ] as const) {
        const before = errors.length;
        const s = tls.connect({ host: '127.0.0.1', port, ca: pki.read(pki.caCert), ...o });
        const result = closed(s);
        s.on('secureConnect', () => s.write(options(`refused-${what}`)));
        await result;
        await until(() => errors.length > before, `the refusal of ${what} to be reported`);
        expect(errors[errors.length - 1].message).toMatch(
          what === 'no certificate'
            ? /^TLS connection from 127\.0\.0\.1:\d+ dropped: no client certificate$/
            : /^TLS connection from 127\.0\.0\.1:\d+ dropped: client certificate not trusted \(DEPTH_ZERO_SELF_SIGNED_CERT\)$/,
        );
      }
      await wait(100);
      expect(messages.map(([m]) => m.headers.get('Call-ID'))).toEqual(['with-cert']);
    } finally {
      await transport.close();
    }
  });

  it('fails to start with a clear error when the key does not belong to the certificate', async () => {
    const t = new TlsTransport({ port: 0, cert: pki.read(pki.serverCert), key: pki.read(pki.clientKey) });
    await expect(t.start()).rejects.toThrow(/^TLS transport: cannot use the certificate and private key: .*key values mismatch/);
    await t.close();
  });
});
