import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import net from 'node:net';
import * as path from 'node:path';
import tls from 'node:tls';
import { TestDatabases } from '@backstage/backend-test-utils';
import { decodeOggOpus } from '../audio/opusFile';
import { bestCorrelation, channel, encodeG711, synthSpeech } from '../audio/__testUtils__/speech';
import { NUMBERS, RecorderBackend, finishedConversation, startRecorderBackend, twoPartyMetadata, twoStreamOffer } from '../__testUtils__/recorderBackend';
import { TestPki, createTestPki } from '../__testUtils__/tlsCertificates';
import { parseVia } from '../sip/message';
import { SrcClient, streamRtp } from '../testing/SrcClient';

jest.setTimeout(120_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });

const twoParty = () => twoPartyMetadata();
const offer = (direction?: 'sendonly' | 'inactive') => twoStreamOffer({ direction });

let pki: TestPki;
beforeAll(() => {
  pki = createTestPki();
});
afterAll(() => pki?.remove());

const tlsConfig = (extra: Record<string, unknown> = {}) => ({
  sip: { port: 0, tls: { port: 0, certificate: pki.serverCert, privateKey: pki.serverKey, ...extra } },
});

describe.each(databases.eachSupportedId())('SIPREC recorder over TLS on %s', databaseId => {
  let rb: RecorderBackend;
  let stopped = false;
  let tlsPort: number;
  const src = (o: { sips?: boolean } = {}) =>
    new SrcClient({ host: '127.0.0.1', port: tlsPort, transport: 'tls', tls: { ca: pki.read(pki.caCert), sips: o.sips } });

  beforeAll(async () => {
    const knex = await databases.init(databaseId);
    rb = await startRecorderBackend(knex, tlsConfig());
    tlsPort = rb.server.addresses.tls!;
  });
  afterAll(async () => {
    if (!stopped) await rb?.stop();
  });

  it('listens on its own TLS port next to UDP and TCP', () => {
    expect(tlsPort).toBeGreaterThan(0);
    expect(rb.server.addresses.udp).toBeGreaterThan(0);
    expect(rb.server.addresses.tcp).toBe(rb.server.addresses.udp);
    expect(tlsPort).not.toBe(rb.server.addresses.tcp);
  });

  it('records a 2-stream call signalled over TLS: finished row, sha256 of the stored file, both channels correlate', async () => {
    const client = src();
    await client.start();
    try {
      const opt = await client.options();
      expect(opt.status).toBe(200);
      expect(parseVia(opt.headers.getAll('Via')[0]).transport).toBe('TLS');

      const a = synthSpeech('Buy one thousand shares of the fund at market price before noon today.').subarray(0, 8000 * 3);
      const b = synthSpeech('Confirmed, one thousand shares at market, executed, thank you very much.', 'en-gb').subarray(0, 8000 * 3);
      const call = await client.invite({ sdp: offer(), metadata: twoParty() });
      expect(call.response!.status).toBe(200);
      expect(call.response!.headers.get('Contact')).toBe(`<sip:srs@127.0.0.1:${tlsPort};transport=tls>`);
      expect(parseVia(call.response!.headers.getAll('Via')[0]).transport).toBe('TLS');
      expect(call.mediaPorts).toHaveLength(2);
      const t0 = Date.now();
      await Promise.all([
        streamRtp({ port: call.mediaPorts[0], payload: encodeG711('pcma', a), payloadType: 8 }),
        streamRtp({ port: call.mediaPorts[1], payload: encodeG711('pcma', b), payloadType: 8 }),
      ]);
      await new Promise(r => setTimeout(r, 200));
      expect((await client.bye(call)).status).toBe(200);
      const wall = Date.now() - t0;

      const row = await finishedConversation(rb.knex, call.callId);
      expect(row).toMatchObject({ state: 'finished', ended_by: 'bye', number: NUMBERS.recorded, other_party: NUMBERS.other, capture_source: 'siprec' });
      const file = fs.readFileSync(path.join(rb.archiveDir, row.storage_key));
      expect(createHash('sha256').update(file).digest('hex')).toBe(row.sha256);
      expect(Number(row.bytes)).toBe(file.length);
      expect(Math.abs(Number(row.duration_ms) - wall)).toBeLessThan(600);
      const decoded = decodeOggOpus(file, 8000);
      const cl = bestCorrelation(a, channel(decoded.pcm, 0).subarray(0, a.length + 8000), 8000);
      const cr = bestCorrelation(b, channel(decoded.pcm, 1).subarray(0, b.length + 8000), 8000);
      // eslint-disable-next-line no-console
      console.log(`TLS call (${databaseId}): ${file.length} bytes, ${row.duration_ms} ms (wall ${wall}), correlation L ${cl.value.toFixed(3)} R ${cr.value.toFixed(3)}`);
      expect(cl.value).toBeGreaterThan(0.8);
      expect(cr.value).toBeGreaterThan(0.8);
      expect(JSON.parse(row.quality)).toMatchObject({ packetsReceived: 300, packetsLost: 0 });
      // every answer (100, 200s) came back on the one TLS connection
      expect(client.responses.map(r => r.status)).toEqual([200, 100, 200, 200]);
    } finally {
      await client.close();
    }
  });

  it('answers a SIPS dialog with a sips: Contact, also on re-INVITE', async () => {
    const client = src({ sips: true });
    await client.start();
    try {
      const call = await client.invite({ sdp: offer(), metadata: twoParty() });
      expect(call.invite.uri).toBe(`sips:srs@127.0.0.1:${tlsPort}`);
      expect(call.response!.status).toBe(200);
      expect(call.response!.headers.get('Contact')).toBe(`<sips:srs@127.0.0.1:${tlsPort}>`);
      call.routeUri = `sips:srs@127.0.0.1:${tlsPort}`;
      const hold = await client.reinvite(call, { sdp: offer('inactive') });
      expect(hold.status).toBe(200);
      expect(hold.headers.get('Contact')).toBe(`<sips:srs@127.0.0.1:${tlsPort}>`);
      expect((await client.bye(call)).status).toBe(200);
      expect(await finishedConversation(rb.knex, call.callId)).toMatchObject({ ended_by: 'bye' });
    } finally {
      await client.close();
    }
  });

  it('drops a plain-TCP client on the TLS port and a client that does not trust the recorder, and lives on', async () => {
    const plain = net.connect({ host: '127.0.0.1', port: tlsPort });
    const plainData: Buffer[] = [];
    plain.on('data', (d: Buffer) => plainData.push(d));
    plain.on('error', () => undefined);
    plain.write(Buffer.from('OPTIONS sip:srs@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:9;branch=z9hG4bKplain\r\nContent-Length: 0\r\n\r\n'));
    await new Promise(r => plain.once('close', r));
    expect(Buffer.concat(plainData).toString('latin1')).not.toContain('SIP/2.0');

    const untrusting = tls.connect({ host: '127.0.0.1', port: tlsPort });
    const err = await new Promise<Error>(resolve => untrusting.once('error', resolve));
    expect(err.message).toMatch(/unable to (verify the first|get local issuer) certificate/);

    const client = src();
    await client.start();
    try {
      expect((await client.options()).status).toBe(200);
    } finally {
      await client.close();
    }
  });

  it('stop() closes the TLS listener and the connections on it', async () => {
    const client = src();
    await client.start();
    expect((await client.options()).status).toBe(200);
    const closed = new Promise(r => client.socket!.once('close', r));
    stopped = true;
    await rb.stop();
    await closed;
    const refused = await new Promise<NodeJS.ErrnoException>(resolve => {
      const s = net.connect({ host: '127.0.0.1', port: tlsPort });
      s.once('error', resolve);
      s.once('connect', () => resolve(Object.assign(new Error('connected'), { code: 'CONNECTED' })));
    });
    expect(refused.code).toBe('ECONNREFUSED');
  });
});

describe('SIPREC recorder TLS startup errors', () => {
  let knex: Awaited<ReturnType<typeof databases.init>>;
  beforeAll(async () => {
    knex = await databases.init('SQLITE_3');
  });

  it('fails to start with the config key and the file when the certificate file is missing', async () => {
    const missing = path.join(pki.dir, 'no-such-cert.pem');
    await expect(startRecorderBackend(knex, tlsConfig({ certificate: missing }))).rejects.toThrow(
      `voiceRecording.recorder.sip.tls.certificate: cannot read the file ${missing} (no such file)`,
    );
  });

  it('fails to start when the private key is not a PEM key', async () => {
    await expect(startRecorderBackend(knex, tlsConfig({ privateKey: pki.caCert }))).rejects.toThrow(
      `voiceRecording.recorder.sip.tls.privateKey: the file ${pki.caCert} is not a PEM private key`,
    );
  });

  it('does not start the recorder when the TLS port is taken: the error names the key and is audited', async () => {
    const blocker = net.createServer();
    await new Promise<void>(r => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      await expect(startRecorderBackend(knex, tlsConfig({ port }))).rejects.toThrow('the SIPREC recorder did not start');
      const rows = await knex('vr_audit_log').where({ action: 'capture-source-start', target_id: 'siprec' });
      const details = rows.map(r => JSON.parse(r.details ?? '{}'));
      expect(details).toContainEqual(
        expect.objectContaining({
          outcome: 'failed',
          error: expect.stringMatching(new RegExp(`^voiceRecording\\.recorder\\.sip\\.tls: cannot listen on 127\\.0\\.0\\.1:${port}: listen EADDRINUSE`)),
        }),
      );
    } finally {
      await new Promise(r => blocker.close(r));
    }
  });
});
