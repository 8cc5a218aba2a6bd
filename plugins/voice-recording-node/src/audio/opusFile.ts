/*
 * Ogg/Opus files (RFC 7845) encoded with libopus: the native binding of the system's
 * libopus when it was built (or @discordjs/opus when installed), else the WASM build
 * shipped by opusscript (see opusCodec.ts).
 *
 * The recorder archives calls as two-stream Opus with the telephone-band input at 8 kHz
 * (a rate libopus accepts natively, so no resampling is needed); by default in the CELT
 * layer at 18.8 kbit/s, 60 ms packets, silence skipped (its `voiceRecording.recorder.opus`
 * settings; this writer's own defaults are SILK at 15 kbit/s, 20 ms frames).
 *
 * Stereo layout: the two channels of a call are two different people, not a
 * stereo image, so they are coded as two independent mono streams (channel
 * mapping family 1, 2 streams, 0 coupled; RFC 7845 5.1.1.2) at half the bitrate
 * each. Measured on speech at 16 kbit/s total, this keeps the waveform
 * correlation of each party at ~0.89, where libopus' coupled (mid/side) stereo
 * only reaches ~0.65-0.72. opusscript has no multistream API, so multistream
 * packets are assembled here: every stream but the last uses the
 * self-delimiting framing of RFC 6716 Appendix B.
 */
import { OggPageWriter, readOggPackets, readOggPages } from './ogg';
import {
  createOpusDecoder,
  createOpusEncoder,
  mvrOpusAddon,
  OPUS_APPLICATION_RESTRICTED_LOWDELAY,
  OPUS_APPLICATION_VOIP,
  OpusFrameEncoder,
  OpusImplementation,
} from './opusCodec';
import { SilenceGate, SilenceGateOptions } from './silenceGate';

/** Encoder lookahead of libopus in 48 kHz samples (2.5 ms + 4 ms delay compensation). */
export const OPUS_PRE_SKIP_48K = 312;

/** libopus' lookahead in CELT-only mode (RESTRICTED_LOWDELAY: 2.5 ms, no delay compensation) */
const CELT_LOOKAHEAD_48K = 120;

/**
 * Which Opus layer codes the speech: 'silk' (libopus' VOIP application: the SILK speech
 * coder at these rates) or 'celt' (RESTRICTED_LOWDELAY: the CELT transform coder only).
 */
export type OpusLayer = 'silk' | 'celt';

/** per-stream bit rate above which frames of 40/60 ms are encoded as 20 ms (see the constructor) */
export const MAX_LONG_FRAME_STREAM_BITRATE = 32000;

/** default encoder target of the SILK layer, see OggOpusWriterOptions.bitrate */
export const DEFAULT_OPUS_BITRATE = 15000;

/**
 * Default encoder target per layer (bit/s, both channels), chosen for the 7.2 MB/h
 * budget (16 kbit/s) with the Ogg framing included: SILK 15000 (4.9 MB/h on a continuous
 * signal); CELT 18800 in unconstrained VBR (6.8 MB/h on a continuous signal, 7.0 MB/h
 * on a line with -50 dBFS background, and the per-channel correlation of SILK;
 * docs/recorder.md "Silence and frame size").
 */
export const DEFAULT_OPUS_BITRATES: Readonly<Record<OpusLayer, number>> = {
  silk: DEFAULT_OPUS_BITRATE,
  celt: 18800,
};

export type OpusSampleRate = 8000 | 12000 | 16000 | 24000 | 48000;

export interface OggOpusWriterOptions {
  /** Input sample rate (default 8000). */
  sampleRate?: OpusSampleRate;
  /** 1 or 2 (default 2). */
  channels?: 1 | 2;
  /**
   * Encoder target in bit/s for all channels together (default per layer,
   * DEFAULT_OPUS_BITRATES: SILK 15000, CELT 18800; with the Ogg framing the file stays
   * within the 16 kbit/s = 7.2 MB/hour budget).
   */
  bitrate?: number;
  /** libopus complexity 0..10 (default 5). */
  complexity?: number;
  /**
   * Frame duration in ms (default 20). 40 and 60 apply up to 32 kbit/s per stream (SILK, one
   * frame per packet); above it 20 ms frames are used.
   */
  frameMs?: 10 | 20 | 40 | 60;
  /**
   * Opus layer (default 'silk'; the recorder's default is 'celt', its configuration
   * `opus.layer`). 'celt' costs about a third of SILK's CPU per second of speech at
   * complexity 0 (25.7 vs 72.5 µs per 60 ms frame with Debian's libopus 1.3.1); it is
   * coded in unconstrained VBR (libopus' constrained VBR overshoots its target by ~9 % on a
   * continuous signal) and at 18.8 kbit/s has SILK's per-channel correlation at 15 kbit/s
   * within a smaller file on a continuous signal. Its 40/60 ms packets carry
   * 2/3 frames of 20 ms (code 3), framed for the multistream packet like single frames; the
   * input is delayed by the difference in lookahead so the pre-skip, granule positions and
   * timeline are those of SILK, to the sample.
   */
  layer?: OpusLayer;
  /** libopus' own discontinuous transmission (default false; the encoder still runs on every frame). */
  dtx?: boolean;
  /**
   * Skip the encoder on silent frames (default false): frames of a channel that the
   * silence gate (silenceGate.ts) finds silent, away from any speech onset or tail, are
   * written as the 1-byte packet libopus' DTX writes (TOC only): the decoder conceals them
   * with comfort noise, and the stream keeps one packet per frame, so granule positions,
   * duration and timeline are those of the encoded input.
   */
  skipSilence?: boolean;
  /** Gate thresholds (tests, benchmarks); rate, frame and channels come from the writer. */
  silenceGate?: Omit<SilenceGateOptions, 'sampleRate' | 'frameSamples' | 'channels'>;
  /** Ogg page length in ms of audio (default 1000). */
  pageMs?: number;
  /** Ogg serial number (default random). */
  serial?: number;
  /** Vorbis-comment style tags, e.g. { CALL_ID: '...' }. */
  tags?: Record<string, string>;
  /**
   * libopus build: 'auto' (default) = native (own binding, or @discordjs/opus) when available, else
   * WASM (opusscript); 'wasm' / 'native' force one ('native' throws when missing).
   * The env variable MVR_OPUS_IMPL=wasm disables the native build process-wide.
   */
  implementation?: OpusImplementation;
}

/**
 * Streaming Ogg/Opus encoder. Feed interleaved 16-bit PCM of any length with
 * `write`, collect the returned Ogg bytes, call `end` once (then the encoder is
 * released). The total output duration is exactly the number of samples written.
 */
export class OggOpusWriter {
  readonly sampleRate: OpusSampleRate;
  readonly channels: 1 | 2;
  readonly frameSize: number;
  /** frame duration used (the requested one, or 20 ms at high bit rates) */
  readonly frameMs: number;
  readonly layer: OpusLayer;
  private readonly encoders: OpusFrameEncoder[];
  private readonly ogg: OggPageWriter;
  private readonly pageFrames: number;
  private readonly scale: number;
  private pending: Int16Array;
  private pendingSamples = 0;
  private inputSamples = 0;
  private encoded48 = 0;
  private framesOnPage = 0;
  private headerDone = false;
  private ended = false;
  private readonly tags: Record<string, string>;
  private readonly gate?: SilenceGate;
  /** frames waiting for the gate's lookahead (interleaved PCM, final granule when last) */
  private readonly queue: Array<{ pcm: Int16Array; granule: bigint; last: boolean }> = [];
  /** per channel: the encoder skipped frames since it last encoded (reset it before the next) */
  private readonly skipping: boolean[] = [];
  /** per channel: TOC byte of its DTX packet (of its last encoded packet, else SILK for the rate) */
  private readonly dtxToc: number[] = [];
  private readonly skipped: number[] = [];
  private readonly framesPerChannel: number[] = [];
  /** one channel's frame, deinterleaved for its encoder */
  private readonly mono: Int16Array;

  constructor(options: OggOpusWriterOptions = {}) {
    this.sampleRate = options.sampleRate ?? 8000;
    this.channels = options.channels ?? 2;
    const requestedMs = options.frameMs ?? 20;
    // frames longer than 20 ms are single-frame packets only in SILK mode (speech, up to
    // ~40 kbit/s per stream); CELT and hybrid would pack 40/60 ms as several frames, which
    // the multistream framing here does not take: above that bit rate, 20 ms frames
    this.layer = options.layer ?? 'silk';
    if (this.layer !== 'silk' && this.layer !== 'celt') throw new RangeError(`Opus layer must be 'silk' or 'celt', got ${JSON.stringify(this.layer)}`);
    const bitrate = options.bitrate ?? DEFAULT_OPUS_BITRATES[this.layer];
    // (CELT's multi-frame packets are framed here: any bit rate takes 40/60 ms)
    const frameMs =
      this.layer === 'silk' && requestedMs > 20 && bitrate / this.channels > MAX_LONG_FRAME_STREAM_BITRATE ? 20 : requestedMs;
    this.frameMs = frameMs;
    this.frameSize = (this.sampleRate * frameMs) / 1000;
    this.scale = 48000 / this.sampleRate;
    this.pageFrames = Math.max(1, Math.round((options.pageMs ?? 1000) / frameMs));
    this.tags = options.tags ?? {};
    const complexity = options.complexity ?? 5;
    if (!Number.isInteger(complexity) || complexity < 0 || complexity > 10) {
      throw new RangeError(`Opus complexity must be an integer 0..10, got ${complexity}`);
    }
    const perStream = Math.round(bitrate / this.channels);
    this.encoders = [];
    try {
      for (let c = 0; c < this.channels; c++) {
        this.encoders.push(
          createOpusEncoder(
            {
              sampleRate: this.sampleRate,
              bitrate: perStream,
              complexity,
              dtx: options.dtx,
              application: this.layer === 'celt' ? OPUS_APPLICATION_RESTRICTED_LOWDELAY : OPUS_APPLICATION_VOIP,
              // CELT: unconstrained VBR (see `layer`); SILK as before (libopus' default)
              ...(this.layer === 'celt' ? { vbrConstraint: false } : {}),
            },
            options.implementation,
          ),
        );
      }
    } catch (e) {
      this.encoders.forEach(enc => enc.delete());
      throw e;
    }
    this.ogg = new OggPageWriter(options.serial ?? Math.floor(Math.random() * 0xffffffff));
    this.pending = new Int16Array(this.frameSize * this.channels);
    this.mono = new Int16Array(this.frameSize);
    if (this.layer === 'celt') {
      // CELT looks 4 ms less ahead than SILK: that much silence first keeps the header's
      // pre-skip (OPUS_PRE_SKIP_48K) and so every granule position and the timeline exact
      this.pendingSamples = ((OPUS_PRE_SKIP_48K - CELT_LOOKAHEAD_48K) / this.scale) * this.channels;
    }
    if (options.skipSilence) {
      this.gate = new SilenceGate({ ...options.silenceGate, sampleRate: this.sampleRate, frameSamples: this.frameSize, channels: this.channels });
    }
    for (let c = 0; c < this.channels; c++) {
      this.skipping.push(false);
      this.dtxToc.push(silkToc(this.sampleRate, frameMs));
      this.skipped.push(0);
      this.framesPerChannel.push(0);
    }
  }

  /** Frames per channel written so far, and how many of them skipped the encoder. */
  get frameStats(): { frames: number; skipped: number[] } {
    return { frames: this.framesPerChannel[0] ?? 0, skipped: [...this.skipped] };
  }

  /** Which libopus build encodes ('native' or 'wasm'). */
  get implementation(): 'native' | 'wasm' {
    return this.encoders[0]?.implementation ?? 'wasm';
  }

  /** Number of input samples (per channel) written so far. */
  get samplesWritten(): number {
    return this.inputSamples;
  }

  private headers(): Buffer[] {
    if (this.headerDone) return [];
    this.headerDone = true;
    const multistream = this.channels > 1;
    const head = Buffer.alloc(multistream ? 21 + this.channels : 19);
    head.write('OpusHead', 0, 'ascii');
    head[8] = 1; // version
    head[9] = this.channels;
    head.writeUInt16LE(OPUS_PRE_SKIP_48K, 10);
    head.writeUInt32LE(this.sampleRate, 12);
    head.writeInt16LE(0, 16); // output gain
    if (multistream) {
      head[18] = 1; // mapping family 1
      head[19] = this.channels; // stream count
      head[20] = 0; // coupled streams
      for (let c = 0; c < this.channels; c++) head[21 + c] = c; // channel c <- stream c
    } else {
      head[18] = 0; // family 0: one mono stream
    }
    let via = 'opusscript';
    if (this.implementation === 'native') via = mvrOpusAddon() ? 'the system libopus (N-API)' : '@discordjs/opus';
    const vendor = Buffer.from(`mvr voice-recording (libopus via ${via})`, 'utf8');
    const comments = Object.entries(this.tags).map(([k, v]) => Buffer.from(`${k}=${v}`, 'utf8'));
    const tagsLen = 8 + 4 + vendor.length + 4 + comments.reduce((a, c) => a + 4 + c.length, 0);
    const tags = Buffer.alloc(tagsLen);
    let o = tags.write('OpusTags', 0, 'ascii');
    o = tags.writeUInt32LE(vendor.length, o);
    o += vendor.copy(tags, o);
    o = tags.writeUInt32LE(comments.length, o);
    for (const c of comments) {
      o = tags.writeUInt32LE(c.length, o);
      o += c.copy(tags, o);
    }
    // RFC 7845: OpusHead alone on the first page, OpusTags ends its own page(s)
    return [
      ...this.ogg.writePacket(head, 0n),
      ...this.ogg.flush(),
      ...this.ogg.writePacket(tags, 0n),
      ...this.ogg.flush(),
    ];
  }

  /** Encode interleaved PCM (length must be a multiple of the channel count). */
  write(pcm: Int16Array): Buffer[] {
    if (this.ended) throw new Error('OggOpusWriter already ended');
    if (pcm.length % this.channels !== 0) {
      throw new RangeError(`PCM length ${pcm.length} is not a multiple of ${this.channels} channels`);
    }
    const out = this.headers();
    let i = 0;
    const frameLen = this.frameSize * this.channels;
    while (i < pcm.length) {
      const n = Math.min(frameLen - this.pendingSamples, pcm.length - i);
      this.pending.set(pcm.subarray(i, i + n), this.pendingSamples);
      this.pendingSamples += n;
      i += n;
      if (this.pendingSamples === frameLen) {
        out.push(...this.encodeFrame(undefined));
      }
    }
    this.inputSamples += pcm.length / this.channels;
    return out;
  }

  /** The frame in `pending` is complete: encode it (or queue it for the silence gate). */
  private encodeFrame(finalGranule: bigint | undefined): Buffer[] {
    this.encoded48 += this.frameSize * this.scale;
    const granule = finalGranule ?? BigInt(this.encoded48);
    const last = finalGranule !== undefined;
    let out: Buffer[];
    if (!this.gate) {
      out = this.emit(this.pending, granule, last, undefined);
    } else {
      const pcm = this.pending.slice();
      this.queue.push({ pcm, granule, last });
      out = [];
      const decision = this.gate.push(pcm);
      if (decision) out = this.emit(...this.dequeue(), decision);
      if (last) {
        // end of stream: the frames still waiting for lookahead are decided now
        for (let d = this.gate.flush(); d; d = this.gate.flush()) out.push(...this.emit(...this.dequeue(), d));
      }
    }
    this.pending.fill(0);
    this.pendingSamples = 0;
    return out;
  }

  private dequeue(): [Int16Array, bigint, boolean] {
    const f = this.queue.shift()!;
    return [f.pcm, f.granule, f.last];
  }

  /** One packet (every channel's frame) into the Ogg stream; `encode[c]` false = DTX packet. */
  private emit(frame: Int16Array, granule: bigint, last: boolean, encode: boolean[] | undefined): Buffer[] {
    const parts: Buffer[] = [];
    for (let c = 0; c < this.channels; c++) {
      let p: Buffer;
      this.framesPerChannel[c]++;
      if (encode && !encode[c]) {
        // what libopus writes for a DTX frame: the TOC byte alone (a frame of 0 bytes)
        p = Buffer.from([this.dtxToc[c]]);
        this.skipping[c] = true;
        this.skipped[c]++;
      } else {
        if (this.skipping[c]) {
          // the encoder did not see the skipped frames: start it afresh, as the decoder
          // (comfort noise since) has no speech history to predict from either
          this.encoders[c].reset();
          this.skipping[c] = false;
        }
        // (the encoders copy the frame in: one scratch array serves every frame)
        const mono = this.mono;
        for (let i = 0; i < this.frameSize; i++) mono[i] = frame[i * this.channels + c];
        p = this.encoders[c].encode(mono);
        // same mode, bandwidth and frame size, code 0 (a multi-frame CELT packet has no
        // one-frame TOC of its duration: its DTX packet stays the SILK one of the frame size)
        if ((p[0] & 0x03) === 0) this.dtxToc[c] = p[0] & 0xfc;
      }
      parts.push(c < this.channels - 1 ? selfDelimited(p) : p);
    }
    const out = this.ogg.writePacket(Buffer.concat(parts), granule);
    this.framesOnPage++;
    if (!last && this.framesOnPage >= this.pageFrames) {
      out.push(...this.ogg.flush());
      this.framesOnPage = 0;
    }
    return out;
  }

  /**
   * Flush the last frames (zero padding that covers the encoder lookahead),
   * write the end-of-stream page with the exact final granule position and
   * release the encoder.
   */
  end(): Buffer[] {
    if (this.ended) return [];
    const out = this.headers();
    this.ended = true;
    try {
      const finalGranule = OPUS_PRE_SKIP_48K + this.inputSamples * this.scale;
      while (this.encoded48 < finalGranule || this.pendingSamples > 0) {
        const last = this.encoded48 + this.frameSize * this.scale >= finalGranule;
        out.push(...this.encodeFrame(last ? BigInt(finalGranule) : undefined));
      }
      // (the last frame drained the gate's lookahead; nothing may stay behind)
      if (this.queue.length) throw new Error(`Ogg/Opus writer: ${this.queue.length} frame(s) left behind by the silence gate`);
      out.push(...this.ogg.flush(true));
      return out;
    } finally {
      this.encoders.forEach(e => e.delete());
    }
  }

  /** Release the encoder without finishing the stream (error paths). */
  abort(): void {
    if (!this.ended) {
      this.ended = true;
      this.encoders.forEach(e => e.delete());
    }
  }
}

export interface DecodedOpus {
  channels: number;
  sampleRate: number;
  preSkip48k: number;
  inputSampleRate: number;
  tags: Record<string, string>;
  /** interleaved PCM, pre-skip removed and trimmed to the final granule */
  pcm: Int16Array;
  /** samples per channel */
  samples: number;
  packets: number;
}

/** Decode a whole Ogg/Opus file (for tests and playback checks). */
export function decodeOggOpus(file: Buffer, sampleRate: OpusSampleRate = 8000): DecodedOpus {
  const pages = readOggPages(file);
  const packets = readOggPackets(pages);
  if (packets.length < 2) throw new Error('Ogg/Opus file has no header packets');
  const head = packets[0].data;
  if (head.subarray(0, 8).toString('ascii') !== 'OpusHead') {
    throw new Error('first Ogg packet is not OpusHead');
  }
  const channels = head[9];
  const family = head[18];
  if (family === 1 && (head[19] !== channels || head[20] !== 0)) {
    throw new Error(`unsupported Opus stream layout: ${head[19]} streams, ${head[20]} coupled`);
  }
  if (family > 1 || (family === 0 && channels > 1)) {
    // family 0 stereo (coupled) is valid Opus but not what OggOpusWriter produces
    throw new Error(`unsupported Opus channel mapping family ${family} with ${channels} channels`);
  }
  const preSkip48k = head.readUInt16LE(10);
  const inputSampleRate = head.readUInt32LE(12);
  const tagsPkt = packets[1].data;
  if (tagsPkt.subarray(0, 8).toString('ascii') !== 'OpusTags') {
    throw new Error('second Ogg packet is not OpusTags');
  }
  const tags: Record<string, string> = {};
  let o = 8;
  const vlen = tagsPkt.readUInt32LE(o);
  o += 4 + vlen;
  const count = tagsPkt.readUInt32LE(o);
  o += 4;
  for (let i = 0; i < count; i++) {
    const len = tagsPkt.readUInt32LE(o);
    const kv = tagsPkt.subarray(o + 4, o + 4 + len).toString('utf8');
    o += 4 + len;
    const eq = kv.indexOf('=');
    tags[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  const decoders = Array.from({ length: channels }, () => createOpusDecoder(sampleRate));
  const perChannel: Int16Array[][] = decoders.map(() => []);
  try {
    for (const p of packets.slice(2)) {
      const streams = splitMultistreamPacket(p.data, channels);
      streams.forEach((s, c) => perChannel[c].push(decoders[c].decode(s)));
    }
  } finally {
    decoders.forEach(d => d.delete());
  }
  const mono = perChannel.map(chunks => {
    const all = new Int16Array(chunks.reduce((a, ch) => a + ch.length, 0));
    let at = 0;
    for (const ch of chunks) {
      all.set(ch, at);
      at += ch.length;
    }
    return all;
  });
  const total = Math.min(...mono.map(m => m.length));
  const raw = new Int16Array(total * channels);
  for (let i = 0; i < total; i++) {
    for (let c = 0; c < channels; c++) raw[i * channels + c] = mono[c][i];
  }
  const scale = 48000 / sampleRate;
  const lastGranule = pages[pages.length - 1].granule;
  const skip = Math.round(preSkip48k / scale);
  const samples = Math.max(0, Math.round((Number(lastGranule) - preSkip48k) / scale));
  const pcm = raw.slice(skip * channels, (skip + samples) * channels);
  return {
    channels,
    sampleRate,
    preSkip48k,
    inputSampleRate,
    tags,
    pcm,
    samples: pcm.length / channels,
    packets: packets.length - 2,
  };
}

/**
 * TOC byte of a one-frame SILK-only packet (RFC 6716 3.1) for the input rate and frame
 * duration: narrowband at 8 kHz, mediumband at 12 kHz, wideband above. The DTX packet of
 * a channel before its encoder wrote anything (then the encoder's own TOC is used).
 */
export function silkToc(sampleRate: number, frameMs: number): number {
  let bandwidth = 2; // wideband
  if (sampleRate <= 8000) bandwidth = 0;
  else if (sampleRate <= 12000) bandwidth = 1;
  const size = { 10: 0, 20: 1, 40: 2, 60: 3 }[frameMs] ?? 1;
  return (bandwidth * 4 + size) << 3;
}

/** A frame length of RFC 6716 3.2.1 at `pos` (1 or 2 bytes). */
function readFrameLength(packet: Buffer, pos: number): { len: number; bytes: number } {
  const first = packet[pos];
  if (first === undefined) throw new Error(`Opus packet truncated at byte ${pos} (frame length)`);
  if (first < 252) return { len: first, bytes: 1 };
  const second = packet[pos + 1];
  if (second === undefined) throw new Error(`Opus packet truncated at byte ${pos + 1} (frame length)`);
  return { len: first + second * 4, bytes: 2 };
}

/**
 * The frames of an Opus packet (RFC 6716 3.2): code 0 (one frame), 1 and 2 (two frames,
 * equal or not), 3 (a count byte, padding, CBR or VBR lengths). SILK writes one frame per
 * packet here; CELT at 40/60 ms 2 or 3 frames of 20 ms.
 */
function packetFrames(packet: Buffer): { toc: number; frames: Buffer[] } {
  if (packet.length < 1) throw new Error('empty Opus packet');
  const toc = packet[0];
  const code = toc & 0x03;
  if (code === 0) return { toc, frames: [packet.subarray(1)] };
  if (code === 1) {
    // two frames of the same size
    if ((packet.length - 1) % 2) throw new Error(`Opus code 1 packet of ${packet.length} bytes does not hold two equal frames`);
    const half = (packet.length - 1) / 2;
    return { toc, frames: [packet.subarray(1, 1 + half), packet.subarray(1 + half)] };
  }
  if (code === 2) {
    const { len, bytes } = readFrameLength(packet, 1);
    if (1 + bytes + len > packet.length) throw new Error(`Opus code 2 packet of ${packet.length} bytes does not hold its first frame of ${len}`);
    return { toc, frames: [packet.subarray(1 + bytes, 1 + bytes + len), packet.subarray(1 + bytes + len)] };
  }
  if (packet.length < 2) throw new Error('Opus code 3 packet without its frame count');
  const vbr = (packet[1] & 0x80) !== 0;
  const count = packet[1] & 0x3f;
  if (count < 1) throw new Error('Opus code 3 packet with 0 frames');
  let pos = 2;
  let padding = 0;
  if (packet[1] & 0x40) {
    let b: number;
    do {
      b = packet[pos++];
      if (b === undefined) throw new Error('Opus code 3 packet truncated in its padding length');
      padding += b === 255 ? 254 : b;
    } while (b === 255);
  }
  const lengths: number[] = [];
  if (vbr) {
    for (let f = 0; f < count - 1; f++) {
      const { len, bytes } = readFrameLength(packet, pos);
      lengths.push(len);
      pos += bytes;
    }
    lengths.push(packet.length - padding - pos - lengths.reduce((a, l) => a + l, 0));
  } else {
    const each = (packet.length - padding - pos) / count;
    for (let f = 0; f < count; f++) lengths.push(each);
  }
  if (lengths.some(l => !Number.isInteger(l) || l < 0)) throw new Error(`Opus code 3 packet of ${packet.length} bytes does not hold its ${count} frames`);
  const frames: Buffer[] = [];
  for (const len of lengths) {
    frames.push(packet.subarray(pos, pos + len));
    pos += len;
  }
  return { toc, frames };
}

function frameLengthBytes(len: number): Buffer {
  if (len < 252) return Buffer.from([len]);
  const first = 252 + (len & 0x03);
  return Buffer.from([first, (len - first) >> 2]);
}

/**
 * RFC 6716 Appendix B: a packet in self-delimiting framing (for every stream of a
 * multistream packet but the last). One frame: code 0 with its length; several (CELT at
 * 40/60 ms): code 3, VBR, no padding, with the lengths of all its frames (a code 1 or 2
 * packet becomes the code 3 packet of the same frames).
 */
export function selfDelimited(packet: Buffer): Buffer {
  const { toc, frames } = packetFrames(packet);
  if (frames.length === 1) return Buffer.concat([Buffer.from([toc & 0xfc]), frameLengthBytes(frames[0].length), frames[0]]);
  return Buffer.concat([Buffer.from([(toc & 0xfc) | 3, 0x80 | frames.length]), ...frames.map(f => frameLengthBytes(f.length)), ...frames]);
}

/**
 * Split a multistream packet whose streams each carry one frame (code 0) or, framed as
 * selfDelimited writes them, several (code 3); each stream comes back as a standalone packet.
 */
export function splitMultistreamPacket(packet: Buffer, streams: number): Buffer[] {
  const out: Buffer[] = [];
  let pos = 0;
  for (let s = 0; s < streams - 1; s++) {
    const toc = packet[pos];
    if (toc === undefined) throw new Error(`unsupported self-delimited Opus packet (stream ${s}, byte ${pos})`);
    if ((toc & 0x03) === 0) {
      const { len, bytes } = readFrameLength(packet, pos + 1);
      out.push(Buffer.concat([Buffer.from([toc]), packet.subarray(pos + 1 + bytes, pos + 1 + bytes + len)]));
      pos += 1 + bytes + len;
      continue;
    }
    const countByte = packet[pos + 1];
    if ((toc & 0x03) !== 3 || countByte === undefined || (countByte & 0xc0) !== 0x80) {
      throw new Error(`unsupported self-delimited Opus packet (stream ${s}, byte ${pos})`);
    }
    const count = countByte & 0x3f;
    let at = pos + 2;
    const lengths: number[] = [];
    const lengthBytes: Buffer[] = [];
    for (let f = 0; f < count; f++) {
      const { len, bytes } = readFrameLength(packet, at);
      lengths.push(len);
      if (f < count - 1) lengthBytes.push(packet.subarray(at, at + bytes));
      at += bytes;
    }
    const total = lengths.reduce((a, l) => a + l, 0);
    if (at + total > packet.length) throw new Error(`self-delimited Opus packet truncated (stream ${s}, byte ${pos})`);
    // the standalone packet: the same code 3 VBR header without the last frame's length
    out.push(Buffer.concat([packet.subarray(pos, pos + 2), ...lengthBytes, packet.subarray(at, at + total)]));
    pos = at + total;
  }
  out.push(packet.subarray(pos));
  return out;
}
