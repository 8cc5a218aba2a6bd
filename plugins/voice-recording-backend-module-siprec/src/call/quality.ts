/*
 * A conversation's quality figures. The same summary serves a call that ends (its
 * receivers' figures) and a journal archived later (after a crash, or by the queue):
 * there the figures are the last ones the journal holds for each channel, either the
 * final ones written at the end of the call or, for a call cut by a crash, those
 * written by the journal's last flush together with the audio they count (see
 * CallSession). Audio the journal could not keep (a full disk) is reported with them.
 */
import { ConversationQuality } from '@mvr/plugin-voice-recording-common';
import { DroppedAudio, JournalScan, QualityCounters } from '../capture/CallJournal';
import { undecodablePayloads } from './audioIssues';

/** counters summed over the channels */
const SUMMED = ['packetsReceived', 'packetsLost', 'late', 'duplicates', 'reordered', 'gaps', 'gapMs', 'ssrcChanges', 'audioPackets'] as const;

/** A channel's figures: a receiver's (ChannelQuality) or a journal's record of them. */
export type ChannelFigures = { channel: number; packetsReceived?: number } & { [counter: string]: unknown };

/** The conversation's figures from its channels' (the channels are kept as they are). */
export function summarizeQuality(channels: ChannelFigures[]): ConversationQuality {
  const out: ConversationQuality = {};
  for (const k of SUMMED) {
    // a counter no channel has (figures of an older recorder) stays absent
    if (!channels.some(c => typeof c[k] === 'number')) continue;
    out[k] = channels.reduce((a, c) => a + (typeof c[k] === 'number' ? (c[k] as number) : 0), 0);
  }
  out.oneSided = channels.length > 1 && channels.filter(c => Number(c.packetsReceived ?? 0) > 0).length === 1;
  // packets in codecs the recorder cannot decode, by payload type (see audioIssues.ts)
  const undecodable = undecodablePayloads(channels);
  if (undecodable.length) out.undecodable = undecodable;
  out.channels = channels;
  return out;
}

/**
 * The figures a journal holds: for each channel its last record (the final one when the
 * call ended, else the one written with the last durable audio), with the channel's
 * codec and label from the header where the record has none. Undefined when the journal
 * holds no figures (a call cut before its first flush).
 */
export function journalQuality(scan: Pick<JournalScan, 'quality' | 'header'>): ConversationQuality | undefined {
  const last = new Map<number, QualityCounters>();
  for (const q of scan.quality) if (typeof q?.channel === 'number') last.set(q.channel, q);
  if (last.size === 0) return undefined;
  const channels: ChannelFigures[] = [...last.values()]
    .sort((a, b) => a.channel - b.channel)
    .map(q => {
      const { final: _final, offsetSamples: _at, ...figures } = q;
      const header = scan.header?.channels.find(c => c.index === q.channel);
      return {
        ...(header?.label !== undefined ? { label: header.label } : {}),
        ...(header?.codec !== undefined ? { codec: header.codec } : {}),
        ...figures,
      };
    });
  return summarizeQuality(channels);
}

/** One range of a channel's audio that is not in the recording, in ms from the call's start. */
export interface LostAudioRange {
  channel: number;
  fromMs: number;
  toMs: number;
  /** see DroppedAudio */
  reason: DroppedAudio['reason'];
}

/**
 * What of the call's audio is missing, for the conversation's figures: every range
 * (ms, per channel) and `audioLostMs`, the time of the call during which at least one
 * channel's audio is missing. Undefined when nothing was lost.
 */
export function lostAudio(
  dropped: readonly DroppedAudio[],
  sampleRate: number,
): { audioLostMs: number; audioLost: LostAudioRange[] } | undefined {
  const ranges = dropped.filter(d => d.toSamples > d.fromSamples);
  if (ranges.length === 0) return undefined;
  const ms = (samples: number) => Math.round((samples * 1000) / sampleRate);
  const audioLost = ranges
    .map(d => ({ channel: d.channel, fromMs: ms(d.fromSamples), toMs: ms(d.toSamples), reason: d.reason }))
    .sort((a, b) => a.channel - b.channel || a.fromMs - b.fromMs);
  // the union of the ranges over all channels
  const spans = ranges.map(d => [d.fromSamples, d.toSamples]).sort((a, b) => a[0] - b[0]);
  let total = 0;
  let [from, to] = spans[0];
  for (const [f, t] of spans.slice(1)) {
    if (f > to) {
      total += to - from;
      [from, to] = [f, t];
    } else {
      to = Math.max(to, t);
    }
  }
  total += to - from;
  return { audioLostMs: ms(total), audioLost };
}

/** "channel 0: 12.3–33.8 s; channel 1: 12.3–33.8 s", for logs and reasons. */
export function lostAudioText(lost: { audioLostMs: number; audioLost: LostAudioRange[] }): string {
  const s = (ms: number) => (ms / 1000).toFixed(1);
  const ranges = lost.audioLost.map(r => `channel ${r.channel}: ${s(r.fromMs)}–${s(r.toMs)} s${r.reason === 'not-written' ? ' not written' : ''}`);
  return `${s(lost.audioLostMs)} s of audio missing (${ranges.join('; ')})`;
}
