import { RootConfigService } from '@backstage/backend-plugin-api';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import * as fs from 'node:fs';
import { isIP } from 'node:net';
import os from 'node:os';
import * as path from 'node:path';
import { DEFAULT_COMPRESSION_OPUS, DEFAULT_OPUS_BITRATES, OpusLayer, isOpusLayer } from '@mvr/plugin-voice-recording-node';
import { ArchiveFormat } from '../capture/finalize';
import { DEFAULT_QUALITY_CHECK, QualityCheckConfig } from '../call/qualityCheck';
import { DEFAULT_STREAM_CONNECTION_LIMITS, StreamConnectionLimits } from '../sip/transport';

/** `voiceRecording.recorder.drain.timeoutSeconds` when not configured. */
/** How the call journals are made durable (storage.journalSync). */
export type JournalSyncMode = 'filesystem' | 'file';

export const DEFAULT_DRAIN_TIMEOUT_SECONDS = 120;

/** The recorder's settings (`voiceRecording.recorder`), with defaults applied. */
export interface RecorderConfig {
  enabled: boolean;
  bindAddress: string;
  /** Address written in SDP answers and Contact (what the SRC can reach). */
  advertisedAddress: string;
  sip: {
    port: number;
    udp: boolean;
    tcp: boolean;
    /** SIP over TLS; absent = not listening. */
    tls?: RecorderTlsConfig;
    /** Limits and deadlines of TCP and TLS connections (each listener its own); absent = the defaults. */
    connections?: StreamConnectionLimits;
  };
  rtp: {
    /** absent = ephemeral ports (tests) */
    portRange?: { min: number; max: number };
    inactivityTimeoutMs: number;
  };
  storage: {
    journalDir: string;
    archiveDir: string;
    minFreeBytes: number;
    /**
     * How the call journals reach the disk: `filesystem` (default) writes every call's
     * second into the page cache and makes them durable together with one syncfs of the
     * journal directory's file system (needs the native addon, else `file`); `file`: each
     * journal's writes are durable by themselves (O_DSYNC), one wait for the disk per call.
     */
    journalSync: JournalSyncMode;
  };
  archiveFormat: ArchiveFormat;
  /** Ogg/Opus encoder settings (archiveFormat opus). */
  opus: {
    /**
     * Opus layer: `celt` (default: a third of SILK's CPU per second of speech) or `silk`
     * (the default before; smaller files in conversation). See docs/recorder.md.
     */
    layer: OpusLayer;
    /** bit/s of both channels (default per layer: DEFAULT_OPUS_BITRATES, CELT 18800, SILK 15000) */
    bitrate: number;
    complexity: number;
    encoderThreads: number;
    /**
     * When Opus is encoded: `background` (default) registers the call at its end with a
     * lossless WAV and replaces it with the Opus file from encoder threads of the lowest
     * priority (CPU the calls leave idle); `call-end` encodes before registering.
     */
    encode: OpusEncodeMode;
    /** Opus frame duration in ms (default 60: fewer packets, same fidelity, less CPU than 20). */
    frameMs: 20 | 40 | 60;
    /**
     * Skip the encoder on silent frames (default true): frames below -60 dBFS, away from
     * speech onsets and tails, are written as DTX packets (OggOpusWriterOptions.skipSilence).
     */
    skipSilence: boolean;
  };
  instanceId: string;
  sessionTimer: { minSE: number; maxInterval: number };
  /**
   * How often the recording decision is taken again for the calls in progress (a safety
   * net for number changes the recorder was not told about); 0 or absent = never.
   */
  policyRecheckMs?: number;
  /**
   * Graceful drain when the backend is told to stop (SIGTERM): how long the calls in
   * progress may run on to their BYE before the rest are ended (`shutdown`). 0 = no drain.
   */
  drain?: { timeoutMs: number };
  /** Thresholds of the quality check made as each call is archived (call/qualityCheck.ts). */
  qualityCheck: QualityCheckConfig;
}

/**
 * `voiceRecording.recorder.sip.tls`. `certificate`, `privateKey` and `ca` are each
 * a PEM file path (made absolute) or, when the configured value itself starts with
 * `-----BEGIN`, the PEM text (e.g. from `$env`/`$file` substitution).
 */
export interface RecorderTlsConfig {
  port: number;
  certificate: string;
  privateKey: string;
  /** CA certificate(s) that client certificates must chain to. */
  ca?: string;
  requestClientCertificate: boolean;
}

/** The TLS files read and checked (see {@link loadTlsCredentials}). */
export interface TlsCredentials {
  cert: Buffer;
  key: Buffer;
  ca?: Buffer;
  /** The first (leaf) certificate of `cert`. */
  leaf: X509Certificate;
}

function resolveDir(p: string): string {
  return path.resolve(p);
}

/** Reads `voiceRecording.recorder`; throws with the config key on invalid values. */
export function readRecorderConfig(root: RootConfigService): RecorderConfig {
  const c = root.getOptionalConfig('voiceRecording.recorder');
  const key = (k: string) => `voiceRecording.recorder.${k}`;
  const bindAddress = c?.getOptionalString('bindAddress') ?? '0.0.0.0';
  let advertised = c?.getOptionalString('advertisedAddress');
  if (!advertised) {
    advertised = bindAddress === '0.0.0.0' || bindAddress === '::' ? firstExternalAddress() : bindAddress;
  }
  const port = c?.getOptionalNumber('sip.port') ?? 5060;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`${key('sip.port')}: invalid port ${port}`);
  const transports = c?.getOptionalStringArray('sip.transports') ?? ['udp', 'tcp'];
  for (const t of transports) {
    if (t === 'tls') throw new Error(`${key('sip.transports')}: TLS is turned on by the sip.tls section (certificate, privateKey), not listed here`);
    if (t !== 'udp' && t !== 'tcp') throw new Error(`${key('sip.transports')}: unknown transport "${t}" (udp, tcp)`);
  }
  const tls = readTlsConfig(c?.getOptionalConfig('sip.tls'), key);
  if (tls && tls.port !== 0 && tls.port === port && transports.includes('tcp')) {
    throw new Error(`${key('sip.tls.port')}: ${tls.port} is also the SIP TCP port (sip.port); give TLS its own port (default 5061)`);
  }
  const min = c?.getOptionalNumber('rtp.portMin');
  const max = c?.getOptionalNumber('rtp.portMax');
  if ((min === undefined) !== (max === undefined)) {
    throw new Error(`${key('rtp')}: give both portMin and portMax, or neither`);
  }
  if (min !== undefined && max !== undefined && (min < 1024 || max > 65535 || max <= min)) {
    throw new Error(`${key('rtp')}: invalid port range ${min}-${max}`);
  }
  const timeoutS = c?.getOptionalNumber('rtp.inactivityTimeoutSeconds') ?? 30;
  if (timeoutS < 0) throw new Error(`${key('rtp.inactivityTimeoutSeconds')}: must be >= 0`);
  const recheckS = c?.getOptionalNumber('policyRecheckSeconds') ?? 60;
  if (!Number.isFinite(recheckS) || recheckS < 0) {
    throw new Error(`${key('policyRecheckSeconds')}: ${recheckS} is not a number of seconds >= 0 (0 = never)`);
  }
  const drainS = c?.getOptionalNumber('drain.timeoutSeconds') ?? DEFAULT_DRAIN_TIMEOUT_SECONDS;
  if (!Number.isFinite(drainS) || drainS < 0) {
    throw new Error(`${key('drain.timeoutSeconds')}: ${drainS} is not a number of seconds >= 0 (0 = no drain)`);
  }
  const format = c?.getOptionalString('archiveFormat') ?? 'opus';
  if (format !== 'opus' && format !== 'wav-g711') {
    throw new Error(`${key('archiveFormat')}: "${format}" is not one of opus, wav-g711`);
  }
  const journalDir = c?.getOptionalString('storage.journalDir') ?? './.data/journal';
  const journalSync = c?.getOptionalString('storage.journalSync') ?? 'filesystem';
  if (journalSync !== 'filesystem' && journalSync !== 'file') {
    throw new Error(`${key('storage.journalSync')}: "${journalSync}" is not one of filesystem, file`);
  }
  const archiveDir = c?.getOptionalString('storage.archiveDir') ?? './.data/recordings';
  return {
    enabled: c?.getOptionalBoolean('enabled') ?? true,
    bindAddress,
    advertisedAddress: advertised,
    sip: { port, udp: transports.includes('udp'), tcp: transports.includes('tcp'), tls, connections: readConnectionLimits(c, key) },
    rtp: {
      portRange: min !== undefined && max !== undefined ? { min, max } : undefined,
      inactivityTimeoutMs: Math.round(timeoutS * 1000),
    },
    storage: {
      journalDir: resolveDir(journalDir),
      archiveDir: resolveDir(archiveDir),
      minFreeBytes: Math.round((c?.getOptionalNumber('storage.minFreeMegabytes') ?? 64) * 1024 * 1024),
      journalSync,
    },
    archiveFormat: format,
    opus: readOpusConfig(c, key),
    instanceId: c?.getOptionalString('instanceId') ?? os.hostname(),
    sessionTimer: {
      minSE: c?.getOptionalNumber('sessionTimer.minSE') ?? 90,
      maxInterval: c?.getOptionalNumber('sessionTimer.maxInterval') ?? 7200,
    },
    policyRecheckMs: Math.round(recheckS * 1000),
    drain: { timeoutMs: Math.round(drainS * 1000) },
    qualityCheck: readQualityCheckConfig(c, key),
  };
}

/** `qualityCheck`: the verdict's thresholds, checked (defaults: DEFAULT_QUALITY_CHECK). */
export function readQualityCheckConfig(
  c: ReturnType<RootConfigService['getOptionalConfig']>,
  key: (k: string) => string,
): QualityCheckConfig {
  const d = DEFAULT_QUALITY_CHECK;
  const q = c?.getOptionalConfig('qualityCheck');
  const number = (name: keyof QualityCheckConfig, max: number): number => {
    const v = q?.getOptionalNumber(name) ?? (d[name] as number);
    if (!Number.isFinite(v) || v < 0 || v > max) {
      throw new Error(`${key(`qualityCheck.${name}`)}: ${v} is not a number between 0 and ${max}`);
    }
    return v;
  };
  const out: QualityCheckConfig = {
    enabled: q?.getOptionalBoolean('enabled') ?? d.enabled,
    silentMaxSpeechShare: number('silentMaxSpeechShare', 1),
    packetLossWarningPercent: number('packetLossWarningPercent', 100),
    packetLossFailedPercent: number('packetLossFailedPercent', 100),
    latePacketsWarningPercent: number('latePacketsWarningPercent', 100),
    jitterWarningMs: number('jitterWarningMs', 10_000),
    clippingWarningPercent: number('clippingWarningPercent', 100),
    minDurationSeconds: number('minDurationSeconds', 86_400),
    maxGapSeconds: number('maxGapSeconds', 86_400),
  };
  if (out.packetLossFailedPercent < out.packetLossWarningPercent) {
    throw new Error(
      `${key('qualityCheck.packetLossFailedPercent')}: ${out.packetLossFailedPercent} is below packetLossWarningPercent (${out.packetLossWarningPercent})`,
    );
  }
  return out;
}

/** `opus`: layer, bit rate, complexity, encoder threads, frame duration and silence skipping, checked. */
function readOpusConfig(
  c: ReturnType<RootConfigService['getOptionalConfig']>,
  key: (k: string) => string,
): RecorderConfig['opus'] {
  const layer = c?.getOptionalString('opus.layer') ?? DEFAULT_COMPRESSION_OPUS.layer;
  if (!isOpusLayer(layer)) {
    throw new Error(`${key('opus.layer')}: "${layer}" is not one of celt, silk`);
  }
  const bitrate = c?.getOptionalNumber('opus.bitrate') ?? DEFAULT_OPUS_BITRATES[layer];
  if (!Number.isInteger(bitrate) || bitrate < 6000 || bitrate > 256000) {
    throw new Error(`${key('opus.bitrate')}: ${bitrate} is not a bit rate between 6000 and 256000 bit/s`);
  }
  const complexity = c?.getOptionalNumber('opus.complexity') ?? 0;
  if (!Number.isInteger(complexity) || complexity < 0 || complexity > 10) {
    throw new Error(`${key('opus.complexity')}: ${complexity} is not an integer 0..10`);
  }
  const encoderThreads = c?.getOptionalNumber('opus.encoderThreads') ?? Math.max(1, os.availableParallelism() - 1);
  if (!Number.isInteger(encoderThreads) || encoderThreads < 0 || encoderThreads > 64) {
    throw new Error(`${key('opus.encoderThreads')}: ${encoderThreads} is not an integer 0..64`);
  }
  const encode = c?.getOptionalString('opus.encode') ?? 'background';
  if (encode !== 'background' && encode !== 'call-end') {
    throw new Error(`${key('opus.encode')}: "${encode}" is not one of background, call-end`);
  }
  if (encode === 'background' && encoderThreads === 0) {
    throw new Error(`${key('opus.encoderThreads')}: background encoding needs at least 1 encoder thread (or set opus.encode: call-end)`);
  }
  const frameMs = c?.getOptionalNumber('opus.frameMs') ?? 60;
  if (frameMs !== 20 && frameMs !== 40 && frameMs !== 60) {
    throw new Error(`${key('opus.frameMs')}: ${frameMs} is not one of 20, 40, 60`);
  }
  const skipSilence = c?.getOptionalBoolean('opus.skipSilence') ?? true;
  return { layer, bitrate, complexity, encoderThreads, encode, frameMs, skipSilence };
}

export type OpusEncodeMode = 'background' | 'call-end';

/** `sip.connections`: limits of the TCP and TLS listeners, checked. */
function readConnectionLimits(
  c: ReturnType<RootConfigService['getOptionalConfig']>,
  key: (k: string) => string,
): StreamConnectionLimits {
  const d = DEFAULT_STREAM_CONNECTION_LIMITS;
  const count = (k: string, fallback: number) => {
    const v = c?.getOptionalNumber(`sip.connections.${k}`) ?? fallback;
    if (!Number.isInteger(v) || v < 1 || v > 1_000_000) {
      throw new Error(`${key(`sip.connections.${k}`)}: ${v} is not a whole number of connections from 1 to 1000000`);
    }
    return v;
  };
  const seconds = (k: string, fallbackMs: number, zero: boolean) => {
    const v = c?.getOptionalNumber(`sip.connections.${k}`) ?? fallbackMs / 1000;
    if (!Number.isFinite(v) || v < 0 || (v === 0 && !zero) || v > 86_400) {
      throw new Error(`${key(`sip.connections.${k}`)}: ${v} is not a number of seconds ${zero ? 'from 0 (never)' : 'above 0 and up'} to 86400`);
    }
    return Math.round(v * 1000);
  };
  const maxConnections = count('maxConnections', d.maxConnections);
  const maxConnectionsPerAddress = count('maxConnectionsPerAddress', Math.min(d.maxConnectionsPerAddress, maxConnections));
  if (maxConnectionsPerAddress > maxConnections) {
    throw new Error(
      `${key('sip.connections.maxConnectionsPerAddress')}: ${maxConnectionsPerAddress} is more than maxConnections (${maxConnections})`,
    );
  }
  return {
    maxConnections,
    maxConnectionsPerAddress,
    messageTimeoutMs: seconds('messageTimeoutSeconds', d.messageTimeoutMs, false),
    firstMessageTimeoutMs: seconds('firstMessageTimeoutSeconds', d.firstMessageTimeoutMs, false),
    idleTimeoutMs: seconds('idleTimeoutSeconds', d.idleTimeoutMs, true),
  };
}

const PEM_TEXT = /^\s*-----BEGIN /;
const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

/** `sip.tls`, checked: the files must exist, be PEM, and the key must match the certificate. */
type ConfigSection = NonNullable<ReturnType<RootConfigService['getOptionalConfig']>>;

function readTlsConfig(t: ConfigSection | undefined, key: (k: string) => string): RecorderTlsConfig | undefined {
  if (!t) return undefined;
  const port = t.getOptionalNumber('port') ?? 5061;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`${key('sip.tls.port')}: invalid port ${port}`);
  const source = (k: string, required: boolean): string | undefined => {
    const v = t.getOptionalString(k);
    if (v === undefined || v.trim() === '') {
      if (required) throw new Error(`${key(`sip.tls.${k}`)}: required when sip.tls is configured (path of a PEM file)`);
      return undefined;
    }
    return PEM_TEXT.test(v) ? v : path.resolve(v);
  };
  const tls: RecorderTlsConfig = {
    port,
    certificate: source('certificate', true)!,
    privateKey: source('privateKey', true)!,
    ca: source('ca', false),
    requestClientCertificate: t.getOptionalBoolean('requestClientCertificate') ?? false,
  };
  if (tls.requestClientCertificate && !tls.ca) {
    throw new Error(`${key('sip.tls.ca')}: required with requestClientCertificate: true (the CA that signs the SBC certificates)`);
  }
  if (tls.ca && !tls.requestClientCertificate) {
    throw new Error(`${key('sip.tls.ca')}: only used with requestClientCertificate: true; set it, or remove ca`);
  }
  loadTlsCredentials(tls);
  return tls;
}

/**
 * Reads the TLS certificate, key and CA; throws an error naming the config key and
 * the file when one is missing, unreadable, not PEM, or the key does not match.
 */
export function loadTlsCredentials(tls: RecorderTlsConfig): TlsCredentials {
  const k = (name: string) => `voiceRecording.recorder.sip.tls.${name}`;
  const where = (v: string) => (PEM_TEXT.test(v) ? 'the PEM text' : `the file ${v}`);
  const read = (name: string, v: string): Buffer => {
    if (PEM_TEXT.test(v)) return Buffer.from(v);
    try {
      return fs.readFileSync(v);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      const why = ({ ENOENT: 'no such file', EACCES: 'permission denied' } as Record<string, string>)[err.code ?? ''] ?? err.message;
      throw new Error(`${k(name)}: cannot read ${where(v)} (${why})`);
    }
  };
  const certificates = (name: string, v: string): { pem: Buffer; certs: X509Certificate[] } => {
    const pem = read(name, v);
    const blocks = pem.toString('latin1').match(PEM_CERTIFICATE) ?? [];
    if (!blocks.length) {
      throw new Error(`${k(name)}: ${where(v)} is not a PEM certificate (no -----BEGIN CERTIFICATE----- block; convert DER with: openssl x509 -inform der -in cert.der -out cert.pem)`);
    }
    const certs = blocks.map((b, i) => {
      try {
        return new X509Certificate(b);
      } catch (e) {
        throw new Error(`${k(name)}: certificate ${i + 1} in ${where(v)} is not valid: ${(e as Error).message}`);
      }
    });
    return { pem, certs };
  };
  const cert = certificates('certificate', tls.certificate);
  const keyPem = read('privateKey', tls.privateKey);
  const keyText = keyPem.toString('latin1');
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(keyText)) {
    throw new Error(`${k('privateKey')}: ${where(tls.privateKey)} is not a PEM private key (no -----BEGIN ... PRIVATE KEY----- block)`);
  }
  if (/ENCRYPTED/.test(keyText)) {
    throw new Error(`${k('privateKey')}: ${where(tls.privateKey)} is encrypted; give an unencrypted key (openssl pkey -in key.pem -out plain.pem)`);
  }
  let privateKey;
  try {
    privateKey = createPrivateKey(keyPem);
  } catch (e) {
    throw new Error(`${k('privateKey')}: ${where(tls.privateKey)} is not a valid private key: ${(e as Error).message}`);
  }
  const leaf = cert.certs[0];
  if (!leaf.checkPrivateKey(privateKey)) {
    throw new Error(`${k('privateKey')}: ${where(tls.privateKey)} does not match the certificate (${k('certificate')}, ${leaf.subject.replace(/\n/g, ', ')})`);
  }
  const ca = tls.ca ? certificates('ca', tls.ca).pem : undefined;
  return { cert: cert.pem, key: keyPem, ca, leaf };
}

/** Warnings worth logging about the recorder's certificate: expiry, and a name that does not match. */
export function tlsCertificateWarnings(leaf: X509Certificate, advertisedAddress: string, now = new Date()): string[] {
  const out: string[] = [];
  const validTo = new Date(leaf.validTo);
  const days = Math.floor((validTo.getTime() - now.getTime()) / 86_400_000);
  if (validTo <= now) out.push(`the TLS certificate expired on ${validTo.toISOString()}: SBCs will refuse the connection`);
  else if (days < 14) out.push(`the TLS certificate expires in ${days} day(s) (${validTo.toISOString()})`);
  if (new Date(leaf.validFrom) > now) out.push(`the TLS certificate is not valid before ${new Date(leaf.validFrom).toISOString()}`);
  const named = isIP(advertisedAddress) ? leaf.checkIP(advertisedAddress) : leaf.checkHost(advertisedAddress);
  if (!named) {
    out.push(
      `the TLS certificate does not name the advertised address ${advertisedAddress} (subjectAltName: ${leaf.subjectAltName ?? 'none'}); ` +
        'an SBC that verifies the recorder by address will refuse it',
    );
  }
  return out;
}

function firstExternalAddress(): string {
  for (const list of Object.values(os.networkInterfaces())) {
    for (const a of list ?? []) {
      if (a.family === 'IPv4' && !a.internal) return a.address;
    }
  }
  return '127.0.0.1';
}
