import { RootConfigService } from '@backstage/backend-plugin-api';
import os from 'node:os';
import * as path from 'node:path';
import { ArchiveFormat } from '../capture/finalize';

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
    tls?: { port: number; certificate: string; privateKey: string };
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
  };
  archiveFormat: ArchiveFormat;
  instanceId: string;
  sessionTimer: { minSE: number; maxInterval: number };
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
    if (t !== 'udp' && t !== 'tcp') throw new Error(`${key('sip.transports')}: unknown transport "${t}" (udp, tcp)`);
  }
  const tlsCfg = c?.getOptionalConfig('sip.tls');
  const tls = tlsCfg?.getOptionalString('certificate')
    ? {
        port: tlsCfg.getOptionalNumber('port') ?? 5061,
        certificate: tlsCfg.getString('certificate'),
        privateKey: tlsCfg.getString('privateKey'),
      }
    : undefined;
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
  const format = c?.getOptionalString('archiveFormat') ?? 'opus';
  if (format !== 'opus' && format !== 'wav-g711') {
    throw new Error(`${key('archiveFormat')}: "${format}" is not one of opus, wav-g711`);
  }
  const journalDir = c?.getOptionalString('storage.journalDir') ?? './.data/journal';
  const archiveDir = c?.getOptionalString('storage.archiveDir') ?? './.data/recordings';
  return {
    enabled: c?.getOptionalBoolean('enabled') ?? true,
    bindAddress,
    advertisedAddress: advertised,
    sip: { port, udp: transports.includes('udp'), tcp: transports.includes('tcp'), tls },
    rtp: {
      portRange: min !== undefined && max !== undefined ? { min, max } : undefined,
      inactivityTimeoutMs: Math.round(timeoutS * 1000),
    },
    storage: {
      journalDir: resolveDir(journalDir),
      archiveDir: resolveDir(archiveDir),
      minFreeBytes: Math.round((c?.getOptionalNumber('storage.minFreeMegabytes') ?? 64) * 1024 * 1024),
    },
    archiveFormat: format,
    instanceId: c?.getOptionalString('instanceId') ?? os.hostname(),
    sessionTimer: {
      minSE: c?.getOptionalNumber('sessionTimer.minSE') ?? 90,
      maxInterval: c?.getOptionalNumber('sessionTimer.maxInterval') ?? 7200,
    },
  };
}

function firstExternalAddress(): string {
  for (const list of Object.values(os.networkInterfaces())) {
    for (const a of list ?? []) {
      if (a.family === 'IPv4' && !a.internal) return a.address;
    }
  }
  return '127.0.0.1';
}
