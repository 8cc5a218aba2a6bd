/*
 * What makes a recording's audio unusable, decided once when the call is archived:
 * the journal says whether any audio reached the recording, the receivers' figures
 * say why not (nothing arrived, or only codecs the recorder cannot decode). The
 * conversation is flagged with it (`audioIssues`), the portal shows it, and the
 * recorder counts it (SiprecServer.stats).
 */
import {
  ConversationAudioIssue,
  ConversationQuality,
  ConversationUndecodablePayload,
} from '@mvr/plugin-voice-recording-common';
import { JournalScan } from '../capture/CallJournal';
import { staticPayloadName } from '../rtp';

/** A channel's figures, as a receiver reports them (ChannelQuality) or a journal snapshot holds them. */
interface ChannelFigures {
  undecodable?: Record<number, number>;
}

/** The undecodable packets of all channels, by payload type (ascending). */
export function undecodablePayloads(channels: readonly unknown[] | undefined): ConversationUndecodablePayload[] {
  const byType = new Map<number, number>();
  for (const c of channels ?? []) {
    const seen = (c as ChannelFigures | undefined)?.undecodable;
    if (!seen || typeof seen !== 'object') continue;
    for (const [pt, n] of Object.entries(seen)) {
      const type = Number(pt);
      if (!Number.isInteger(type) || typeof n !== 'number' || n <= 0) continue;
      byType.set(type, (byType.get(type) ?? 0) + n);
    }
  }
  return [...byType.entries()]
    .sort(([a], [b]) => a - b)
    .map(([payloadType, packets]) => {
      const codec = staticPayloadName(payloadType);
      return { payloadType, ...(codec ? { codec } : {}), packets };
    });
}

/**
 * Why the recording holds no usable audio, or nothing when it holds some:
 * - no audio frame in the journal and packets in undecodable codecs: `undecodable-codec`;
 * - no audio frame and no RTP packet received (or no figures at all, e.g. a call cut by a
 *   crash before its first quality snapshot): `no-media`.
 * Packets that carried no audio by design (only telephone-events or comfort noise: the
 * SRC said the line was silent) raise nothing; the figures show them. A few undecodable
 * packets among real audio raise nothing either (they are counted in `undecodable`).
 */
export function audioIssuesOf(scan: Pick<JournalScan, 'audio'>, quality: ConversationQuality | undefined): ConversationAudioIssue[] {
  if (scan.audio.some(a => a.samples > 0)) return [];
  const undecodable = quality?.undecodable ?? undecodablePayloads(quality?.channels as unknown[] | undefined);
  if (undecodable.length) return ['undecodable-codec'];
  if (!quality?.packetsReceived) return ['no-media'];
  return [];
}
