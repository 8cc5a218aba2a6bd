/*
 * `voiceRecording.archive`: whether this process takes archive jobs (Opus compression of
 * interim WAVs) and with how many encoder threads (docs/configuration.md, docs/recorder.md
 * "Compression", docs/deployment.md "Archiver").
 */
import * as os from 'node:os';
import { Config } from '@backstage/config';
import {
  CompressionOpusSettings,
  DEFAULT_COMPRESSION_OPUS,
  DEFAULT_OPUS_BITRATES,
  compressionSettingsOf,
  isOpusLayer,
} from '@mvr/plugin-voice-recording-node';

export interface ArchiveWorkConfig {
  /** this process takes `compress` jobs */
  enabled: boolean;
  /** Opus encoder threads (nice 19) */
  encoderThreads: number;
  /** jobs worked on at once */
  concurrency: number;
  /** how often the recovery scan looks for archives pending compression with no job */
  scanIntervalMs: number;
  /** jobs that carry no Opus settings of their own: `voiceRecording.recorder.opus.*` */
  opus: CompressionOpusSettings;
}

function integer(
  c: Config | undefined,
  key: string,
  min: number,
  max: number,
): number | undefined {
  const v = c?.getOptionalNumber(key);
  if (v === undefined) return undefined;
  if (!Number.isInteger(v) || v < min || v > max) {
    throw new Error(
      `voiceRecording.archive.${key}: ${v} is not an integer ${min}..${max}`,
    );
  }
  return v;
}

/**
 * Reads and checks `voiceRecording.archive`; throws an error naming the key.
 * `captureSources`: capture sources (recorders) registered in this process: archive work
 * is on by default where a recorder runs (a single process, a recorder deployment), off
 * in a portal-only deployment unless enabled (`enabled: true`: the archiver).
 */
export function readArchiveWorkConfig(
  root: Config,
  options: { captureSources: number },
): ArchiveWorkConfig {
  const c = root.getOptionalConfig('voiceRecording.archive');
  const recorderOpus = root.getOptionalConfig('voiceRecording.recorder.opus');
  const enabled =
    c?.getOptionalBoolean('enabled') ?? options.captureSources > 0;
  // the recorder's encoder threads, as before compression became a job
  const recorderThreads = recorderOpus?.getOptionalNumber('encoderThreads');
  const encoderThreads =
    integer(c, 'encoderThreads', 1, 64) ??
    (recorderThreads !== undefined && recorderThreads >= 1
      ? recorderThreads
      : Math.max(1, os.availableParallelism() - 1));
  const concurrency = integer(c, 'concurrency', 1, 256) ?? encoderThreads;
  const scanIntervalSeconds = integer(c, 'scanIntervalSeconds', 1, 86400) ?? 60;
  const layer =
    recorderOpus?.getOptionalString('layer') ?? DEFAULT_COMPRESSION_OPUS.layer;
  if (!isOpusLayer(layer)) {
    throw new Error(
      `voiceRecording.recorder.opus.layer: "${layer}" is not one of celt, silk`,
    );
  }
  const opus: CompressionOpusSettings = {
    layer,
    bitrate:
      recorderOpus?.getOptionalNumber('bitrate') ??
      DEFAULT_OPUS_BITRATES[layer],
    complexity:
      recorderOpus?.getOptionalNumber('complexity') ??
      DEFAULT_COMPRESSION_OPUS.complexity,
    frameMs: (recorderOpus?.getOptionalNumber('frameMs') ??
      DEFAULT_COMPRESSION_OPUS.frameMs) as 20 | 40 | 60,
    skipSilence:
      recorderOpus?.getOptionalBoolean('skipSilence') ??
      DEFAULT_COMPRESSION_OPUS.skipSilence,
  };
  try {
    // the same checks as a job's own settings
    compressionSettingsOf({ id: 'config', payload: { opus } }, opus);
  } catch (e) {
    const what = String((e as Error).message).replace(/^.*payload\.opus\./, '');
    throw new Error(`voiceRecording.recorder.opus.${what}`);
  }
  return {
    enabled,
    encoderThreads,
    concurrency,
    scanIntervalMs: scanIntervalSeconds * 1000,
    opus,
  };
}
