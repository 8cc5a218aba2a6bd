/*
 * The quality check of every recording, made once when its call is archived (on the
 * archive step, after the call: never on the RTP path). It turns what the recorder
 * already knows into a verdict with reasons:
 * - the audio issues (no-media, undecodable-codec, audio-lost: see audioIssues.ts),
 * - the receivers' figures (quality.ts): streams without RTP, lost and late packets,
 * - the speech activity of the archived sides (SpeechActivityDetector, fed with the
 *   timeline finalize.ts renders anyway): silence, one-way audio, clipping,
 * - the journal's audio index: the longest stretch of lost RTP on a channel.
 * Thresholds come from `voiceRecording.recorder.qualityCheck` (docs/configuration.md).
 */
import {
  ConversationAudioIssue,
  ConversationQuality,
  ConversationQualityCheck,
  QualityReason,
  QualityVerdict,
  audioIssueText,
} from '@mvr/plugin-voice-recording-common';
import { ChannelSpeechActivity } from '@mvr/plugin-voice-recording-node';
import { AudioIndexEntry } from '../capture/CallJournal';

export interface QualityCheckConfig {
  /** false: no check (conversations carry no verdict) */
  enabled: boolean;
  /** a side with speech in less than this share of its 20 ms frames is silent (0..1) */
  silentMaxSpeechShare: number;
  /** lost packets, % of the packets sent: warning from, failed from */
  packetLossWarningPercent: number;
  packetLossFailedPercent: number;
  /** packets too late for the jitter buffer, % of the packets received: warning from */
  latePacketsWarningPercent: number;
  /** interarrival jitter (ms), when the recorder's figures hold one: warning from */
  jitterWarningMs: number;
  /** clipped frames, % of a side's speech frames: warning from */
  clippingWarningPercent: number;
  /** a call shorter than this is a warning (seconds) */
  minDurationSeconds: number;
  /** RTP lost on a channel for this long at a stretch is a warning (seconds) */
  maxGapSeconds: number;
}

export const DEFAULT_QUALITY_CHECK: QualityCheckConfig = {
  enabled: true,
  silentMaxSpeechShare: 0.02,
  packetLossWarningPercent: 5,
  packetLossFailedPercent: 20,
  latePacketsWarningPercent: 5,
  jitterWarningMs: 60,
  clippingWarningPercent: 5,
  minDurationSeconds: 3,
  maxGapSeconds: 5,
};

export interface QualityCheckInput {
  durationMs: number;
  /** streams (m= lines) the recording was set up with */
  streams: number;
  quality?: ConversationQuality;
  audioIssues: readonly ConversationAudioIssue[];
  /** speech activity of the archive's sides [recorded, other]; absent when the archive was not written */
  sides?: ChannelSpeechActivity[];
  /** see longestRtpGapMs */
  longestGapMs?: number;
}

const SIDE_NAMES = ['recorded party', 'other party'] as const;
const pct = (share: number) => `${(share * 100).toFixed(1)}%`;
const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/**
 * The longest stretch (ms) during which a channel had no audio while its sequence
 * numbers say packets were lost: the longest hole between two of its frames, bounded by
 * the time its receiver counted as lost (`gapMs`). A hold or comfort noise leaves holes
 * too, but loses no packet, so it is not a gap. Undefined without audio.
 */
export function longestRtpGapMs(
  audio: readonly AudioIndexEntry[],
  quality: ConversationQuality | undefined,
  sampleRate: number,
): number | undefined {
  if (audio.length === 0) return undefined;
  const byChannel = new Map<number, AudioIndexEntry[]>();
  for (const e of audio) {
    const list = byChannel.get(e.channel) ?? [];
    list.push(e);
    byChannel.set(e.channel, list);
  }
  const figures = new Map<number, number>();
  for (const c of (quality?.channels ?? []) as Array<Record<string, unknown>>) {
    if (typeof c?.channel === 'number') figures.set(c.channel, num(c.gapMs) ?? 0);
  }
  let longest = 0;
  for (const [channel, list] of byChannel) {
    const lostMs = figures.get(channel) ?? 0;
    if (lostMs <= 0) continue;
    list.sort((a, b) => a.offsetSamples - b.offsetSamples);
    let end = list[0].offsetSamples + list[0].samples;
    let hole = 0;
    for (const e of list) {
      if (e.offsetSamples > end) hole = Math.max(hole, e.offsetSamples - end);
      end = Math.max(end, e.offsetSamples + e.samples);
    }
    longest = Math.max(longest, Math.min((hole * 1000) / sampleRate, lostMs));
  }
  return Math.round(longest);
}

/** The verdict of one recording: the worst severity of its reasons, `ok` without any. */
export function checkQuality(
  input: QualityCheckInput,
  config: QualityCheckConfig = DEFAULT_QUALITY_CHECK,
  now: Date = new Date(),
): ConversationQualityCheck {
  const reasons: QualityReason[] = [];
  const q = input.quality;

  // 1. the audio issues: the recording holds no (or not all of its) audio
  for (const issue of input.audioIssues) {
    reasons.push({ code: issue, severity: 'failed', text: audioIssueText(issue, q) });
  }
  const noAudio = input.audioIssues.includes('no-media') || input.audioIssues.includes('undecodable-codec');

  // 2. a stream offered but no RTP on it
  const channels = (q?.channels ?? []) as Array<Record<string, unknown>>;
  const received = channels.filter(c => (num(c.packetsReceived) ?? 0) > 0);
  const missingStream = !noAudio && input.streams >= 2 && received.length > 0 && received.length < input.streams;
  if (missingStream) {
    const silentOnes = channels
      .filter(c => !((num(c.packetsReceived) ?? 0) > 0))
      .map(c => (typeof c.label === 'string' ? `label ${c.label}` : `channel ${c.channel}`));
    const missing = input.streams - received.length;
    reasons.push({
      code: 'missing-stream',
      severity: 'failed',
      text: `Missing stream: ${input.streams} streams offered, RTP on ${received.length}${
        silentOnes.length ? ` (none on ${silentOnes.join(', ')})` : ` (${missing} without RTP)`
      }`,
    });
  }

  // 3. speech on the sides: both silent, or one-way
  const sides = input.sides?.slice(0, 2) ?? [];
  if (!noAudio && sides.length === 2 && sides[0].frames > 0) {
    const silent = sides.map(s => s.speechShare < config.silentMaxSpeechShare);
    if (silent[0] && silent[1]) {
      reasons.push({
        code: 'silent',
        severity: 'failed',
        text: `Silent recording: speech in ${pct(sides[0].speechShare)} (recorded party) and ${pct(
          sides[1].speechShare,
        )} (other party) of the call, below ${pct(config.silentMaxSpeechShare)}`,
      });
    } else if ((silent[0] || silent[1]) && !missingStream) {
      const quiet = silent[0] ? 0 : 1;
      const talking = 1 - quiet;
      reasons.push({
        code: 'one-way',
        severity: 'failed',
        text: `One-way audio: the ${SIDE_NAMES[quiet]}'s channel is silent (speech in ${pct(
          sides[quiet].speechShare,
        )} of the call) while the ${SIDE_NAMES[talking]} speaks (${pct(sides[talking].speechShare)})`,
      });
    }
    sides.forEach((s, i) => {
      if (s.speechFrames > 0 && s.clippedShare * 100 >= config.clippingWarningPercent) {
        reasons.push({
          code: 'clipping',
          severity: 'warning',
          text: `Clipping: ${pct(s.clippedShare)} of the ${SIDE_NAMES[i]}'s speech is clipped (warning from ${config.clippingWarningPercent}%)`,
        });
      }
    });
  }

  // 4. the network: loss, late packets (jitter), long gaps
  const got = num(q?.packetsReceived) ?? 0;
  const lost = num(q?.packetsLost) ?? 0;
  const lossShare = got + lost > 0 ? lost / (got + lost) : undefined;
  if (lossShare !== undefined) {
    const percent = lossShare * 100;
    let severity: 'failed' | 'warning' | undefined;
    if (percent >= config.packetLossFailedPercent) severity = 'failed';
    else if (percent >= config.packetLossWarningPercent) severity = 'warning';
    if (severity) {
      reasons.push({
        code: 'packet-loss',
        severity,
        text: `Packet loss ${pct(lossShare)}: ${lost} of ${got + lost} packets (${severity} from ${
          severity === 'failed' ? config.packetLossFailedPercent : config.packetLossWarningPercent
        }%)`,
      });
    }
  }
  const late = num(q?.late) ?? 0;
  const jitterMs = num(q?.jitterMs);
  if (got > 0 && (late / got) * 100 >= config.latePacketsWarningPercent) {
    reasons.push({
      code: 'jitter',
      severity: 'warning',
      text: `Jitter: ${late} packets (${pct(late / got)}) arrived too late for the jitter buffer (warning from ${config.latePacketsWarningPercent}%)`,
    });
  } else if (jitterMs !== undefined && jitterMs >= config.jitterWarningMs) {
    reasons.push({
      code: 'jitter',
      severity: 'warning',
      text: `Jitter ${Math.round(jitterMs)} ms (warning from ${config.jitterWarningMs} ms)`,
    });
  }
  if (input.longestGapMs !== undefined && input.longestGapMs >= config.maxGapSeconds * 1000) {
    reasons.push({
      code: 'rtp-gap',
      severity: 'warning',
      text: `RTP gap: ${(input.longestGapMs / 1000).toFixed(1)} s without packets on a stream (warning from ${config.maxGapSeconds} s)`,
    });
  }

  // 5. the call itself
  if (input.durationMs < config.minDurationSeconds * 1000) {
    reasons.push({
      code: 'short-call',
      severity: 'warning',
      text: `Short call: ${(input.durationMs / 1000).toFixed(1)} s (warning below ${config.minDurationSeconds} s)`,
    });
  }

  let verdict: QualityVerdict = 'ok';
  if (reasons.some(r => r.severity === 'failed')) verdict = 'failed';
  else if (reasons.length) verdict = 'warning';
  return {
    verdict,
    reasons,
    channels: sides.map((s, i) => ({
      side: i === 0 ? 'recorded' : 'other',
      speechShare: Math.round(s.speechShare * 1000) / 1000,
      clippedShare: Math.round(s.clippedShare * 1000) / 1000,
    })),
    ...(lossShare !== undefined ? { packetLossShare: Math.round(lossShare * 10000) / 10000 } : {}),
    ...(input.longestGapMs !== undefined ? { longestGapMs: input.longestGapMs } : {}),
    checkedAt: now.toISOString(),
  };
}
