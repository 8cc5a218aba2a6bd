import * as fs from 'node:fs';
import * as path from 'node:path';
import { X509Certificate } from 'node:crypto';
import { mockServices } from '@backstage/backend-test-utils';
import { TestPki, createTestPki } from '../__testUtils__/tlsCertificates';
import { loadTlsCredentials, readRecorderConfig, tlsCertificateWarnings } from './config';

let pki: TestPki;
beforeAll(() => {
  pki = createTestPki();
});
afterAll(() => pki?.remove());

/** a JSON object, as mockServices.rootConfig takes it */
type JsonObject = NonNullable<NonNullable<Parameters<typeof mockServices.rootConfig>[0]>['data']>;

const read = (sip: JsonObject) =>
  readRecorderConfig(mockServices.rootConfig({ data: { voiceRecording: { recorder: { bindAddress: '127.0.0.1', sip } } } }));
const tlsWith = (tls: JsonObject) => read({ tls: { certificate: pki.serverCert, privateKey: pki.serverKey, ...tls } });

describe('voiceRecording.recorder.sip.tls', () => {
  it('is off without a tls section, and reads file paths with defaults', () => {
    expect(read({}).sip.tls).toBeUndefined();
    const rel = path.relative(process.cwd(), pki.serverCert);
    const c = read({ tls: { certificate: rel, privateKey: pki.serverKey } });
    expect(c.sip.tls).toEqual({
      port: 5061,
      certificate: pki.serverCert, // made absolute
      privateKey: pki.serverKey,
      ca: undefined,
      requestClientCertificate: false,
    });
    const creds = loadTlsCredentials(c.sip.tls!);
    expect(creds.cert.equals(fs.readFileSync(pki.serverCert))).toBe(true);
    expect(creds.leaf.subject).toBe('CN=localhost');
  });

  it('accepts inline PEM text (e.g. from $env) as well as paths', () => {
    const c = tlsWith({ certificate: fs.readFileSync(pki.serverCert, 'utf8'), privateKey: fs.readFileSync(pki.serverKey, 'utf8') });
    expect(c.sip.tls!.certificate.startsWith('-----BEGIN CERTIFICATE-----')).toBe(true);
    expect(loadTlsCredentials(c.sip.tls!).leaf.checkIP('127.0.0.1')).toBe('127.0.0.1');
  });

  it.each([
    ['a missing certificate file', () => ({ certificate: path.join(pki.dir, 'nope.pem') }), /^voiceRecording\.recorder\.sip\.tls\.certificate: cannot read the file \/.*\/nope\.pem \(no such file\)$/],
    ['a missing key file', () => ({ privateKey: path.join(pki.dir, 'nope.key') }), /^voiceRecording\.recorder\.sip\.tls\.privateKey: cannot read the file \/.*\/nope\.key \(no such file\)$/],
    ['a certificate that is not PEM', () => ({ certificate: pki.serverKey }), /^voiceRecording\.recorder\.sip\.tls\.certificate: the file \/.*server\.key is not a PEM certificate/],
    ['a DER certificate', () => ({ certificate: der() }), /^voiceRecording\.recorder\.sip\.tls\.certificate: the file \/.*server\.der is not a PEM certificate .*openssl x509 -inform der/],
    ['a damaged certificate', () => ({ certificate: damaged() }), /^voiceRecording\.recorder\.sip\.tls\.certificate: certificate 1 in the file \/.*damaged\.pem is not valid/],
    ['a key that is not PEM', () => ({ privateKey: pki.serverCert }), /^voiceRecording\.recorder\.sip\.tls\.privateKey: the file \/.*server\.crt is not a PEM private key/],
    ['a key of another certificate', () => ({ privateKey: pki.clientKey }), /^voiceRecording\.recorder\.sip\.tls\.privateKey: the file \/.*client\.key does not match the certificate \(voiceRecording\.recorder\.sip\.tls\.certificate, CN=localhost\)$/],
    ['an encrypted key', () => ({ privateKey: encrypted() }), /^voiceRecording\.recorder\.sip\.tls\.privateKey: the file \/.*enc\.key is encrypted/],
    ['requestClientCertificate without ca', () => ({ requestClientCertificate: true }), /^voiceRecording\.recorder\.sip\.tls\.ca: required with requestClientCertificate: true/],
    ['ca without requestClientCertificate', () => ({ ca: pki.caCert }), /^voiceRecording\.recorder\.sip\.tls\.ca: only used with requestClientCertificate: true/],
    ['a ca file that is missing', () => ({ ca: '/nonexistent/ca.pem', requestClientCertificate: true }), /^voiceRecording\.recorder\.sip\.tls\.ca: cannot read the file \/nonexistent\/ca\.pem \(no such file\)$/],
    ['a bad port', () => ({ port: 70000 }), /^voiceRecording\.recorder\.sip\.tls\.port: invalid port 70000$/],
  ])('refuses %s with an error naming the key', (_what, extra, error) => {
    expect(() => tlsWith(extra())).toThrow(error);
  });

  it('refuses a tls section without a certificate or a key', () => {
    expect(() => read({ tls: { port: 5061, privateKey: pki.serverKey } })).toThrow(
      /^voiceRecording\.recorder\.sip\.tls\.certificate: required when sip\.tls is configured \(path of a PEM file\)$/,
    );
    expect(() => read({ tls: { certificate: pki.serverCert } })).toThrow(/^voiceRecording\.recorder\.sip\.tls\.privateKey: required when sip\.tls is configured/);
  });

  it('refuses the TCP port as TLS port, and tls in sip.transports', () => {
    expect(() => read({ port: 5080, tls: { port: 5080, certificate: pki.serverCert, privateKey: pki.serverKey } })).toThrow(
      /^voiceRecording\.recorder\.sip\.tls\.port: 5080 is also the SIP TCP port/,
    );
    expect(read({ port: 5080, transports: ['udp'], tls: { port: 5080, certificate: pki.serverCert, privateKey: pki.serverKey } }).sip.tls!.port).toBe(5080);
    expect(() => read({ transports: ['udp', 'tls'] })).toThrow(/sip\.transports: TLS is turned on by the sip\.tls section/);
  });

  it('reads a CA for client certificates', () => {
    const c = tlsWith({ ca: pki.caCert, requestClientCertificate: true });
    expect(c.sip.tls).toMatchObject({ ca: pki.caCert, requestClientCertificate: true });
    expect(loadTlsCredentials(c.sip.tls!).ca!.toString()).toContain('-----BEGIN CERTIFICATE-----');
  });

  it('warns about expiry and a certificate that does not name the advertised address', () => {
    const leaf = new X509Certificate(fs.readFileSync(pki.serverCert));
    expect(tlsCertificateWarnings(leaf, '127.0.0.1')).toEqual([]);
    expect(tlsCertificateWarnings(leaf, 'localhost')).toEqual([]);
    expect(tlsCertificateWarnings(leaf, '10.1.2.3')).toEqual([expect.stringMatching(/does not name the advertised address 10\.1\.2\.3 \(subjectAltName: IP Address:127\.0\.0\.1, DNS:localhost\)/)]);
    const validTo = new Date(leaf.validTo).getTime();
    expect(tlsCertificateWarnings(leaf, '127.0.0.1', new Date(validTo - 20 * 86_400_000))).toEqual([]);
    expect(tlsCertificateWarnings(leaf, '127.0.0.1', new Date(validTo - 36 * 3_600_000))).toEqual([expect.stringMatching(/^the TLS certificate expires in 1 day\(s\)/)]);
    expect(tlsCertificateWarnings(leaf, '127.0.0.1', new Date(validTo + 1000))).toEqual([expect.stringMatching(/^the TLS certificate expired on /)]);
    expect(tlsCertificateWarnings(leaf, '127.0.0.1', new Date(new Date(leaf.validFrom).getTime() - 60_000))).toEqual([expect.stringMatching(/^the TLS certificate is not valid before /)]);
  });
});

function der(): string {
  const file = path.join(pki.dir, 'server.der');
  fs.writeFileSync(file, new X509Certificate(fs.readFileSync(pki.serverCert)).raw);
  return file;
}

function damaged(): string {
  const file = path.join(pki.dir, 'damaged.pem');
  const pem = fs.readFileSync(pki.serverCert, 'utf8').split('\n');
  pem[3] = pem[3].replace(/[A-Za-z]/g, 'A');
  fs.writeFileSync(file, pem.join('\n'));
  return file;
}

function encrypted(): string {
  const { createPrivateKey } = require('node:crypto') as typeof import('node:crypto');
  const file = path.join(pki.dir, 'enc.key');
  fs.writeFileSync(file, createPrivateKey(fs.readFileSync(pki.serverKey)).export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: 'secret' }));
  return file;
}

describe('voiceRecording.recorder.sip.connections', () => {
  it('has defaults that a flood of idle connections cannot exhaust and that fit SIP keep-alives', () => {
    expect(read({}).sip.connections).toEqual({
      maxConnections: 1024,
      maxConnectionsPerAddress: 256,
      messageTimeoutMs: 10_000,
      firstMessageTimeoutMs: 30_000,
      idleTimeoutMs: 900_000,
    });
  });

  it('reads every key, in seconds, and idleTimeoutSeconds 0 = never', () => {
    expect(
      read({
        connections: { maxConnections: 50, maxConnectionsPerAddress: 5, messageTimeoutSeconds: 0.5, firstMessageTimeoutSeconds: 2, idleTimeoutSeconds: 0 },
      }).sip.connections,
    ).toEqual({ maxConnections: 50, maxConnectionsPerAddress: 5, messageTimeoutMs: 500, firstMessageTimeoutMs: 2000, idleTimeoutMs: 0 });
    // a total below the per-address default lowers the per-address default with it
    expect(read({ connections: { maxConnections: 100 } }).sip.connections?.maxConnectionsPerAddress).toBe(100);
  });

  it.each([
    [{ maxConnections: 0 }, /^voiceRecording\.recorder\.sip\.connections\.maxConnections: 0 is not a whole number of connections/],
    [{ maxConnectionsPerAddress: 2.5 }, /^voiceRecording\.recorder\.sip\.connections\.maxConnectionsPerAddress: 2\.5 is not a whole number/],
    [{ maxConnections: 10, maxConnectionsPerAddress: 20 }, /^voiceRecording\.recorder\.sip\.connections\.maxConnectionsPerAddress: 20 is more than maxConnections \(10\)$/],
    [{ messageTimeoutSeconds: 0 }, /^voiceRecording\.recorder\.sip\.connections\.messageTimeoutSeconds: 0 is not a number of seconds above 0/],
    [{ firstMessageTimeoutSeconds: -1 }, /^voiceRecording\.recorder\.sip\.connections\.firstMessageTimeoutSeconds: -1 is not/],
    [{ idleTimeoutSeconds: -5 }, /^voiceRecording\.recorder\.sip\.connections\.idleTimeoutSeconds: -5 is not a number of seconds from 0 \(never\)/],
  ])('refuses %j with an error naming the key', (connections, error) => {
    expect(() => read({ connections })).toThrow(error);
  });
});

describe('voiceRecording.recorder.policyRecheckSeconds', () => {
  const readRecorder = (recorder: JsonObject) =>
    readRecorderConfig(mockServices.rootConfig({ data: { voiceRecording: { recorder: { bindAddress: '127.0.0.1', ...recorder } } } }));

  it('re-checks the calls in progress every 60 s by default, any interval in seconds, 0 = never', () => {
    expect(readRecorder({}).policyRecheckMs).toBe(60_000);
    expect(readRecorder({ policyRecheckSeconds: 0.5 }).policyRecheckMs).toBe(500);
    expect(readRecorder({ policyRecheckSeconds: 0 }).policyRecheckMs).toBe(0);
  });

  it('refuses a negative interval, naming the key', () => {
    expect(() => readRecorder({ policyRecheckSeconds: -1 })).toThrow(/voiceRecording\.recorder\.policyRecheckSeconds: -1 is not a number of seconds >= 0/);
  });
});

describe('voiceRecording.recorder.drain.timeoutSeconds', () => {
  const readRecorder = (recorder: JsonObject) =>
    readRecorderConfig(mockServices.rootConfig({ data: { voiceRecording: { recorder: { bindAddress: '127.0.0.1', ...recorder } } } }));

  it('drains for up to 120 s by default, any time in seconds, 0 = no drain', () => {
    expect(readRecorder({}).drain).toEqual({ timeoutMs: 120_000 });
    expect(readRecorder({ drain: { timeoutSeconds: 1.5 } }).drain).toEqual({ timeoutMs: 1500 });
    expect(readRecorder({ drain: { timeoutSeconds: 0 } }).drain).toEqual({ timeoutMs: 0 });
  });

  it('refuses a negative time, naming the key', () => {
    expect(() => readRecorder({ drain: { timeoutSeconds: -3 } })).toThrow(/^voiceRecording\.recorder\.drain\.timeoutSeconds: -3 is not a number of seconds >= 0 \(0 = no drain\)$/);
  });
});

describe('voiceRecording.recorder.qualityCheck', () => {
  const readRecorder = (recorder: JsonObject) =>
    readRecorderConfig(mockServices.rootConfig({ data: { voiceRecording: { recorder: { bindAddress: '127.0.0.1', ...recorder } } } }));

  it('has the documented defaults and reads every key', () => {
    expect(readRecorder({}).qualityCheck).toEqual({
      enabled: true,
      silentMaxSpeechShare: 0.02,
      packetLossWarningPercent: 5,
      packetLossFailedPercent: 20,
      latePacketsWarningPercent: 5,
      jitterWarningMs: 60,
      clippingWarningPercent: 5,
      minDurationSeconds: 3,
      maxGapSeconds: 5,
    });
    const q = {
      enabled: false,
      silentMaxSpeechShare: 0.05,
      packetLossWarningPercent: 2,
      packetLossFailedPercent: 10,
      latePacketsWarningPercent: 3,
      jitterWarningMs: 40,
      clippingWarningPercent: 1,
      minDurationSeconds: 10,
      maxGapSeconds: 2,
    };
    expect(readRecorder({ qualityCheck: q }).qualityCheck).toEqual(q);
  });

  it('refuses values out of range, naming the key', () => {
    expect(() => readRecorder({ qualityCheck: { silentMaxSpeechShare: 2 } })).toThrow(
      /voiceRecording\.recorder\.qualityCheck\.silentMaxSpeechShare: 2 is not a number between 0 and 1/,
    );
    expect(() => readRecorder({ qualityCheck: { maxGapSeconds: -1 } })).toThrow(/qualityCheck\.maxGapSeconds: -1/);
    expect(() => readRecorder({ qualityCheck: { packetLossFailedPercent: 3 } })).toThrow(
      /voiceRecording\.recorder\.qualityCheck\.packetLossFailedPercent: 3 is below packetLossWarningPercent \(5\)/,
    );
  });
});

describe('voiceRecording.recorder.opus: frame duration and silence', () => {
  const readRecorder = (opus: object) =>
    readRecorderConfig(mockServices.rootConfig({ data: { voiceRecording: { recorder: { bindAddress: '127.0.0.1', opus } } } }));

  it('encodes 60 ms frames and skips silence by default; both can be set', () => {
    expect(readRecorder({}).opus).toMatchObject({ frameMs: 60, skipSilence: true });
    expect(readRecorder({ frameMs: 20, skipSilence: false }).opus).toMatchObject({ frameMs: 20, skipSilence: false });
    expect(readRecorder({ frameMs: 40 }).opus.frameMs).toBe(40);
  });

  it('refuses another frame duration, naming the key', () => {
    expect(() => readRecorder({ frameMs: 30 })).toThrow(/^voiceRecording\.recorder\.opus\.frameMs: 30 is not one of 20, 40, 60/);
    expect(() => readRecorder({ skipSilence: 'sometimes' })).toThrow(/opus\.skipSilence/);
  });
});

describe('voiceRecording.recorder.opus.layer', () => {
  const readRecorder = (opus: object) =>
    readRecorderConfig(mockServices.rootConfig({ data: { voiceRecording: { recorder: { bindAddress: '127.0.0.1', opus } } } }));

  it('codes CELT at 18800 bit/s by default; SILK at 15000 when asked; a bit rate set is kept for either', () => {
    expect(readRecorder({}).opus).toMatchObject({ layer: 'celt', bitrate: 18800, complexity: 0, frameMs: 60, skipSilence: true });
    expect(readRecorder({ layer: 'silk' }).opus).toMatchObject({ layer: 'silk', bitrate: 15000 });
    expect(readRecorder({ layer: 'celt' }).opus).toMatchObject({ layer: 'celt', bitrate: 18800 });
    expect(readRecorder({ layer: 'silk', bitrate: 16000 }).opus).toMatchObject({ layer: 'silk', bitrate: 16000 });
    expect(readRecorder({ bitrate: 24000 }).opus).toMatchObject({ layer: 'celt', bitrate: 24000 });
  });

  it('refuses another layer, naming the key and the choices', () => {
    expect(() => readRecorder({ layer: 'hybrid' })).toThrow(/^voiceRecording\.recorder\.opus\.layer: "hybrid" is not one of celt, silk$/);
    expect(() => readRecorder({ layer: 'CELT' })).toThrow(/opus\.layer: "CELT" is not one of celt, silk/);
    expect(() => readRecorder({ layer: 7 })).toThrow(/opus\.layer/);
  });
});

describe('voiceRecording.recorder.storage.journalSync', () => {
  const readStorage = (storage: object) =>
    readRecorderConfig(mockServices.rootConfig({ data: { voiceRecording: { recorder: { bindAddress: '127.0.0.1', storage } } } })).storage;

  it('syncs the journals of a tick together (filesystem) by default; file when asked', () => {
    expect(readStorage({}).journalSync).toBe('filesystem');
    expect(readStorage({ journalSync: 'file' }).journalSync).toBe('file');
    expect(readStorage({ journalSync: 'filesystem' }).journalSync).toBe('filesystem');
  });

  it('refuses another value, naming the key and the choices', () => {
    expect(() => readStorage({ journalSync: 'none' })).toThrow(/^voiceRecording\.recorder\.storage\.journalSync: "none" is not one of filesystem, file$/);
  });
});
