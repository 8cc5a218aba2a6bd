import { RemoteInfo } from 'node:dgram';
import { G722Decoder, decodeAlaw, decodeUlaw, encodeAlaw, encodeUlaw } from '../codecs';
import {
  DtmfEvent,
  JitterBuffer,
  JitterOutput,
  RtpPacket,
  TelephoneEventDetector,
  isRtcpPacket,
  parseRtpPacket,
} from '../rtp';
import { ChannelEncoding } from '../capture/journalFormat';
import { DecodableCodec } from '../siprec';
import { BoundRtpSocket } from './PortAllocator';

/** RTP clock of every codec decoded here (G.722's is 8 kHz too, RFC 3551 4.5.2). */
const RTP_CLOCK = 8000;

/** Timeline rate of a narrowband call: G.711 samples kept as they came. */
export const NARROWBAND_RATE = 8000;
/** Timeline rate of a call with a G.722 stream: 16 kHz, G.711 streams upsampled to it. */
export const WIDEBAND_RATE = 16000;
export type TimelineRate = typeof NARROWBAND_RATE | typeof WIDEBAND_RATE;

export interface ReceiverCodec {
  payloadType: number;
  name: DecodableCodec;
  telephoneEventPayloadType?: number;
}

/** Where a receiver writes (a CallJournal, or anything shaped like it in tests). */
export interface AudioSink {
  appendAudio(channel: number, offsetSamples: number, payload: Int16Array | Uint8Array): void;
}

export interface ChannelQuality {
  channel: number;
  label?: string;
  codec: string;
  packetsReceived: number;
  packetsLost: number;
  late: number;
  duplicates: number;
  reordered: number;
  gaps: number;
  gapMs: number;
  ssrcChanges: number;
  rtcpPackets: number;
  malformed: number;
  unknownPayload: number;
  /** packets whose audio is on the timeline (the negotiated or another decodable codec) */
  audioPackets: number;
  /** packets of payload types the recorder cannot decode, by payload type (absent when none) */
  undecodable?: Record<number, number>;
  comfortNoise: number;
  dtmfEvents: number;
  sources: string[];
}

export interface RtpReceiverOptions {
  channel: number;
  label?: string;
  /** How the journal stores this channel (fixed for the call). */
  encoding: ChannelEncoding;
  codec: ReceiverCodec;
  bound: BoundRtpSocket;
  sink: AudioSink;
  /** Wall-clock milliseconds of the call timeline's origin. */
  callStartMs: number;
  /** Samples per second of the call's timeline (default 8000); 16000 needs encoding pcm16. */
  timelineRate?: TimelineRate;
  now?: () => number;
  onDtmf?: (event: DtmfEvent & { offsetSamples: number; channel: number }) => void;
  onError?: (error: Error) => void;
}

const CN_PAYLOAD = 13;

/** G.711 of the channel's own law: its bytes are stored as they came */
function isPassthrough(encoding: ChannelEncoding, codec: DecodableCodec): boolean {
  return (encoding === 'pcma' && codec === 'PCMA') || (encoding === 'pcmu' && codec === 'PCMU');
}

/** 8 kHz → 16 kHz: each sample, then the mean of it and the next (the last one held). */
export function upsample2x(pcm: Int16Array): Int16Array {
  const out = new Int16Array(pcm.length * 2);
  const last = pcm.length - 1;
  for (let i = 0; i < last; i++) {
    out[2 * i] = pcm[i];
    out[2 * i + 1] = (pcm[i] + pcm[i + 1]) >> 1;
  }
  if (last >= 0) out[2 * last] = out[2 * last + 1] = pcm[last];
  return out;
}

function decodeToLinear(name: DecodableCodec, payload: Buffer, g722: () => G722Decoder, wideband: boolean): Int16Array {
  // table lookups (src/codecs/g711.ts)
  if (name === 'PCMU') return wideband ? upsample2x(decodeUlaw(payload)) : decodeUlaw(payload);
  if (name === 'PCMA') return wideband ? upsample2x(decodeAlaw(payload)) : decodeAlaw(payload);
  const wide = g722().decode(payload);
  if (wideband) return wide;
  // a G.722 stream that joined a narrowband call (re-INVITE): average pairs down to 8 kHz
  const out = new Int16Array(Math.floor(wide.length / 2));
  for (let i = 0; i < out.length; i++) out[i] = (wide[2 * i] + wide[2 * i + 1]) >> 1;
  return out;
}

/**
 * Receives one RTP stream (one SDP m= line) on its own socket, from any source
 * address (NAT), and writes it onto the call timeline: reordering, duplicates,
 * loss, sequence/timestamp wrap and SSRC changes through the JitterBuffer; G.711
 * bytes kept as they came (lossless archive), G.722 decoded; telephone-event →
 * DTMF; CN → silence (nothing written, the finalizer fills silence); RTCP (also
 * multiplexed) counted and dropped. Paused streams keep the timeline: the next
 * source after a resume is anchored on the wall clock.
 */
export class RtpReceiver {
  private jitter: JitterBuffer;
  private readonly dtmf = new TelephoneEventDetector(8000);
  private g722?: G722Decoder;
  private codec: ReceiverCodec;
  /** the negotiated codec is the channel's G.711 law: its bytes are stored as they came */
  private passthrough = false;
  /** timeline offset (samples) of jitter position 0 of the current source */
  private anchor = 0;
  private reanchor = true;
  private paused = false;
  /** a hold asked, applied once the datagrams received before it are in (settle()) */
  private pausing = false;
  private closed = false;
  private closing?: Promise<void>;
  private lastPacketAt: number;
  /** where the last packet came from (the string is built when asked, not per packet) */
  private lastAddress?: string;
  private lastPort = 0;
  private readonly now: () => number;
  /** timeline samples per RTP clock tick: 1 (8 kHz timeline) or 2 (16 kHz) */
  private readonly scale: number;
  private readonly counters: ChannelQuality;

  /** This stream's figures (the jitter buffer's counters as of now). */
  get quality(): ChannelQuality {
    const s = this.jitter.stats;
    const q = this.counters;
    q.packetsReceived = s.received;
    q.packetsLost = s.lost;
    q.late = s.late;
    q.duplicates = s.duplicates;
    q.reordered = s.reordered;
    return q;
  }

  constructor(private readonly options: RtpReceiverOptions) {
    this.now = options.now ?? Date.now;
    this.scale = (options.timelineRate ?? NARROWBAND_RATE) / RTP_CLOCK;
    if (this.scale !== 1 && options.encoding !== 'pcm16') {
      throw new Error(`RtpReceiver: a ${options.timelineRate} Hz timeline needs pcm16 channels, not ${options.encoding}`);
    }
    this.codec = options.codec;
    this.passthrough = isPassthrough(options.encoding, options.codec.name);
    this.jitter = new JitterBuffer({ clockRate: 8000, window: 8 });
    this.lastPacketAt = this.now();
    this.counters = {
      channel: options.channel,
      label: options.label,
      codec: options.codec.name,
      packetsReceived: 0,
      packetsLost: 0,
      late: 0,
      duplicates: 0,
      reordered: 0,
      gaps: 0,
      gapMs: 0,
      ssrcChanges: 0,
      rtcpPackets: 0,
      malformed: 0,
      unknownPayload: 0,
      audioPackets: 0,
      comfortNoise: 0,
      dtmfEvents: 0,
      sources: [],
    };
    options.bound.onDatagram((buf, address, port) => this.receive(buf, address, port));
    options.bound.onError(e => options.onError?.(e));
  }

  get port(): number {
    return this.options.bound.port;
  }

  get channel(): number {
    return this.options.channel;
  }

  get isPaused(): boolean {
    return this.paused || this.pausing;
  }

  /** Wall-clock ms of the last RTP packet (or of the start / resume). */
  get lastActivity(): number {
    return this.lastPacketAt;
  }

  /** Last address media came from. */
  get remote(): string | undefined {
    return this.lastAddress === undefined ? undefined : `${this.lastAddress}:${this.lastPort}`;
  }

  /** The stream was put on hold (a=inactive): flush and wait; no inactivity timeout. */
  pause(): void {
    if (this.paused || this.pausing) return;
    // the stream's last datagrams before the hold may still be on their way from the socket
    // (the native path hands them over in batches of a few ms): they are not media during a
    // hold, which would resume the stream
    this.pausing = true;
    this.options.bound.settle().then(
      () => this.applyPause(),
      () => this.applyPause(),
    );
  }

  private applyPause(): void {
    if (!this.pausing) return; // resumed (or closed) meanwhile
    this.pausing = false;
    if (this.closed) return;
    this.drain(this.jitter.flush());
    this.paused = true;
  }

  resume(): void {
    if (this.pausing) {
      this.pausing = false; // resumed before the hold took effect: nothing to do
      return;
    }
    if (!this.paused) return;
    this.paused = false;
    this.reanchor = true;
    this.lastPacketAt = this.now();
  }

  /** A re-INVITE changed the codec of this stream. */
  setCodec(codec: ReceiverCodec): void {
    this.codec = codec;
    this.passthrough = isPassthrough(this.options.encoding, codec.name);
    this.counters.codec = codec.name;
  }

  private wallOffset(): number {
    return Math.max(0, Math.round(((this.now() - this.options.callStartMs) * RTP_CLOCK) / 1000));
  }

  /**
   * The common packet (RTP version 2 without padding, extension or CSRCs, the
   * negotiated G.711 payload type stored as it came, the next one of the current
   * source in order): written straight from the datagram, without parsing it into
   * objects. True when it was handled.
   */
  private fastPath(buf: Buffer): boolean {
    if (buf.length <= 12 || buf[0] !== 0x80 || this.paused || this.reanchor || !this.passthrough) return false;
    if ((buf[1] & 0x7f) !== this.codec.payloadType) return false;
    const position = this.jitter.pushInOrder(buf.readUInt32BE(8), buf.readUInt16BE(2), buf.readUInt32BE(4));
    if (Number.isNaN(position)) return false;
    this.options.sink.appendAudio(this.options.channel, this.anchor + position, buf.subarray(12));
    this.counters.audioPackets++;
    return true;
  }

  /** Handles one datagram (public for tests). */
  onDatagram(buf: Buffer, rinfo?: Pick<RemoteInfo, 'address' | 'port'>): void {
    this.receive(buf, rinfo?.address, rinfo?.port ?? 0);
  }

  private receive(buf: Buffer, address: string | undefined, port: number): void {
    if (this.closed) return;
    if (address !== undefined) {
      this.lastAddress = address;
      this.lastPort = port;
    }
    try {
      if (this.fastPath(buf)) {
        this.lastPacketAt = this.now();
        return;
      }
      if (isRtcpPacket(buf)) {
        this.counters.rtcpPackets++;
        return;
      }
      let packet: RtpPacket;
      try {
        packet = parseRtpPacket(buf);
      } catch {
        this.counters.malformed++;
        return;
      }
      this.lastPacketAt = this.now();
      if (this.paused) {
        // media during a hold: the SRC resumed before its re-INVITE arrived
        this.resume();
      }
      this.drain(this.jitter.push(packet));
    } catch (e) {
      this.options.onError?.(e instanceof Error ? e : new Error(String(e)));
    }
  }

  private drain(outputs: JitterOutput[]): void {
    for (const o of outputs) {
      if (o.kind === 'source') {
        this.counters.sources.push(o.ssrc.toString(16));
        if (o.reason !== 'first') this.counters.ssrcChanges++;
        // anchor each new source on the wall clock, never backwards
        this.anchor = Math.max(this.anchor + o.position, this.wallOffset()) - o.position;
        this.reanchor = false;
        continue;
      }
      if (o.kind === 'gap') {
        this.counters.gaps++;
        this.counters.gapMs += o.lostPackets * 20;
        continue;
      }
      if (this.reanchor) {
        // first packet after a resume: continue at wall time
        const wall = this.wallOffset() - o.position;
        if (wall > this.anchor) this.anchor = wall;
        this.reanchor = false;
      }
      this.writePacket(o.packet, this.anchor + o.position);
    }
  }

  private writePacket(packet: RtpPacket, offset: number): void {
    const pt = packet.payloadType;
    if (pt === this.codec.telephoneEventPayloadType) {
      for (const ev of this.dtmf.push(packet)) {
        if (ev.type === 'end') {
          this.counters.dtmfEvents++;
          this.options.onDtmf?.({ ...ev, offsetSamples: offset * this.scale, duration: ev.duration * this.scale, channel: this.options.channel });
        }
      }
      return;
    }
    if (pt === CN_PAYLOAD) {
      this.counters.comfortNoise++;
      return;
    }
    let name: DecodableCodec | undefined;
    if (pt === this.codec.payloadType) name = this.codec.name;
    else if (pt === 0) name = 'PCMU';
    else if (pt === 8) name = 'PCMA';
    else if (pt === 9) name = 'G722';
    if (!name || packet.payload.length === 0) {
      this.counters.unknownPayload++;
      if (!name) {
        // a codec we cannot decode (G.729 despite the answer, G.721, ...): counted by type
        const seen = (this.counters.undecodable ??= {});
        seen[pt] = (seen[pt] ?? 0) + 1;
      }
      return;
    }
    this.counters.audioPackets++;
    const enc = this.options.encoding;
    if (isPassthrough(enc, name)) {
      this.options.sink.appendAudio(this.options.channel, offset, packet.payload);
      return;
    }
    if (name === 'G722' && !this.g722) this.g722 = new G722Decoder();
    const pcm = decodeToLinear(name, packet.payload, () => this.g722!, this.scale === 2);
    if (enc === 'pcm16') this.options.sink.appendAudio(this.options.channel, offset * this.scale, pcm);
    else if (enc === 'pcmu') this.options.sink.appendAudio(this.options.channel, offset, encodeUlaw(pcm));
    else this.options.sink.appendAudio(this.options.channel, offset, encodeAlaw(pcm));
  }

  /** Takes what already reached the socket, flushes what the jitter buffer holds and closes the socket. */
  close(): Promise<void> {
    this.closing ??= this.closeOnce();
    return this.closing;
  }

  private async closeOnce(): Promise<void> {
    this.pausing = false;
    try {
      // the native path hands datagrams over in batches of a few ms: the call's last ones
      await this.options.bound.settle();
      this.drain(this.jitter.flush());
      for (const ev of this.dtmf.flush()) {
        this.counters.dtmfEvents++;
        this.options.onDtmf?.({
          ...ev,
          offsetSamples: (this.anchor + this.jitter.endPosition) * this.scale,
          duration: ev.duration * this.scale,
          channel: this.options.channel,
        });
      }
    } finally {
      this.closed = true;
      await this.options.bound.release();
    }
  }
}
