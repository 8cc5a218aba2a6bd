import path from 'node:path';
import { DEFAULT_COMPRESSION_OPUS } from '@mvr/plugin-voice-recording-node';
import { DEFAULT_QUALITY_CHECK } from '../call/qualityCheck';
import { RecorderConfig } from '../server/config';

/**
 * The configuration of a SiprecServer started on its own in a test (no plugin around
 * it): loopback, ephemeral SIP port, journal and archive under `dir`, Opus encoded at
 * call end on the event loop (no encoder threads). `overrides` replaces whole keys.
 */
export function standaloneServerConfig(
  dir: string,
  overrides: Partial<RecorderConfig> = {},
): RecorderConfig {
  return {
    enabled: true,
    bindAddress: '127.0.0.1',
    advertisedAddress: '127.0.0.1',
    sip: { port: 0, udp: true, tcp: false },
    rtp: { inactivityTimeoutMs: 3000 },
    storage: {
      journalDir: path.join(dir, 'j'),
      archiveDir: path.join(dir, 'a'),
      minFreeBytes: 1024,
      journalSync: 'filesystem',
    },
    archiveFormat: 'wav-g711',
    opus: {
      layer: DEFAULT_COMPRESSION_OPUS.layer,
      bitrate: DEFAULT_COMPRESSION_OPUS.bitrate,
      complexity: 0,
      encoderThreads: 0,
      encode: 'call-end',
      frameMs: 60,
      skipSilence: true,
    },
    instanceId: 'test',
    sessionTimer: { minSE: 90, maxInterval: 7200 },
    qualityCheck: DEFAULT_QUALITY_CHECK,
    ...overrides,
  };
}
