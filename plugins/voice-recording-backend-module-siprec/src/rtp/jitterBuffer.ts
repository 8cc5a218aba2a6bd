import { RtpPacket } from './packet';

export interface JitterBufferOptions {
  /** RTP clock rate of the stream (samples per second). */
  clockRate: number;
  /** Packets held for reordering before a missing one is declared lost (default 16). */
  window?: number;
  /** Samples per packet when it cannot be inferred yet (default 20 ms). */
  defaultPacketSamples?: number;
  /** A sequence jump larger than this restarts the source (RFC 3550 MAX_DROPOUT, 3000). */
  maxDropout?: number;
}

export type JitterOutput =
  | {
      kind: 'packet';
      packet: RtpPacket;
      ssrc: number;
      /** Which source (0, 1, ...) of this stream; changes on SSRC change or restart. */
      sourceIndex: number;
      /** Extended (32+ bit, wrap-free) sequence number within the source. */
      extSeq: number;
      /** Position on the stream's continuous timeline, in samples of the clock rate. */
      position: number;
    }
  | {
      kind: 'gap';
      ssrc: number;
      sourceIndex: number;
      /** First missing extended sequence number. */
      fromExtSeq: number;
      lostPackets: number;
      /** Estimated timeline position where the missing audio belonged. */
      position: number;
    }
  | { kind: 'source'; ssrc: number; sourceIndex: number; position: number; reason: 'first' | 'ssrc-change' | 'restart' };

export interface JitterStats {
  received: number;
  released: number;
  lost: number;
  duplicates: number;
  late: number;
  reordered: number;
  sources: number;
}

/** The value nearest to `ref` whose low bits equal `value` (modulo `modulus`). */
export function unwrap(value: number, ref: number, modulus: number): number {
  const half = modulus / 2;
  let v = Math.floor(ref / modulus) * modulus + value;
  if (v - ref > half) v -= modulus;
  else if (ref - v > half) v += modulus;
  return v;
}

interface Source {
  ssrc: number;
  index: number;
  /** Timeline position of `baseTs`. */
  offset: number;
  baseTs: number;
  refTs: number;
  maxSeq: number;
  lastReleased?: number;
  lastReleasedPos?: number;
  packetSamples: number;
  pending: Map<number, { packet: RtpPacket; position: number }>;
  /** the last released extended sequence numbers (ring; to tell duplicates from late packets) */
  recent: number[];
  recentNext: number;
}

/**
 * Reorders RTP packets of one stream within a window, drops duplicates and
 * late packets, reports gaps (loss), unwraps sequence numbers and timestamps,
 * and maps every packet onto one continuous timeline that survives SSRC changes
 * (a new SSRC continues where the previous source ended).
 */
export class JitterBuffer {
  private readonly window: number;
  private readonly maxDropout: number;
  private readonly defaultSamples: number;
  private source?: Source;
  private readonly oldSsrcs = new Set<number>();
  private sourceCount = 0;
  readonly stats: JitterStats = { received: 0, released: 0, lost: 0, duplicates: 0, late: 0, reordered: 0, sources: 0 };

  constructor(private readonly options: JitterBufferOptions) {
    this.window = Math.max(1, options.window ?? 16);
    this.maxDropout = options.maxDropout ?? 3000;
    this.defaultSamples = options.defaultPacketSamples ?? Math.round(options.clockRate * 0.02);
  }

  /** Adds a packet; returns what can be released now, in timeline order. */
  push(packet: RtpPacket): JitterOutput[] {
    const out: JitterOutput[] = [];
    this.stats.received++;
    let src = this.source;
    if (!src || src.ssrc !== packet.ssrc) {
      if (this.oldSsrcs.has(packet.ssrc)) {
        this.stats.late++; // straggler of a source we already left
        return out;
      }
      src = this.startSource(packet, out, src ? 'ssrc-change' : 'first');
    }
    let extSeq = unwrap(packet.sequenceNumber, src.maxSeq, 0x10000);
    if (Math.abs(extSeq - src.maxSeq) > this.maxDropout) {
      src = this.startSource(packet, out, 'restart');
      extSeq = src.maxSeq;
    }
    if ((src.lastReleased !== undefined && extSeq <= src.lastReleased) || src.pending.has(extSeq)) {
      if (src.pending.has(extSeq) || src.recent.includes(extSeq)) this.stats.duplicates++;
      else this.stats.late++;
      return out;
    }
    if (extSeq < src.maxSeq) this.stats.reordered++;
    const extTs = unwrap(packet.timestamp, src.refTs, 0x100000000);
    if (extSeq > src.maxSeq) {
      src.maxSeq = extSeq;
      src.refTs = extTs;
    }
    const item = { packet, position: src.offset + (extTs - src.baseTs) };
    if (src.pending.size === 0 && src.lastReleased !== undefined && extSeq === src.lastReleased + 1) {
      // the common case: the next packet in order and nothing held, out at once
      this.emit(src, extSeq, item, out);
      return out;
    }
    src.pending.set(extSeq, item);
    this.release(src, out, false);
    return out;
  }

  /**
   * The common case without building a packet: the next packet of the current source,
   * in order, with nothing held. Then it is accounted exactly as `push` would and its
   * timeline position is returned; otherwise NaN and nothing changed (use `push`).
   */
  pushInOrder(ssrc: number, sequenceNumber: number, timestamp: number): number {
    const src = this.source;
    if (!src || src.ssrc !== ssrc || src.pending.size !== 0 || src.lastReleased === undefined || src.lastReleasedPos === undefined) return NaN;
    const extSeq = src.lastReleased + 1;
    // the next sequence number (mod 2^16), and the newest one seen so far
    if ((extSeq & 0xffff) !== sequenceNumber || extSeq !== src.maxSeq + 1) return NaN;
    const extTs = unwrap(timestamp, src.refTs, 0x100000000);
    const position = src.offset + (extTs - src.baseTs);
    this.stats.received++;
    src.maxSeq = extSeq;
    src.refTs = extTs;
    this.noteRelease(src, extSeq, position);
    return position;
  }

  /** Releases everything held (end of stream or before a pause). */
  flush(): JitterOutput[] {
    const out: JitterOutput[] = [];
    if (this.source) this.release(this.source, out, true);
    return out;
  }

  /** Timeline position just after the last released packet. */
  get endPosition(): number {
    const s = this.source;
    if (!s || s.lastReleasedPos === undefined) return s ? s.offset : 0;
    return s.lastReleasedPos + s.packetSamples;
  }

  private startSource(packet: RtpPacket, out: JitterOutput[], reason: 'first' | 'ssrc-change' | 'restart'): Source {
    let offset = 0;
    const prev = this.source;
    if (prev) {
      this.release(prev, out, true);
      offset = this.endPosition;
      if (prev.ssrc !== packet.ssrc) this.oldSsrcs.add(prev.ssrc);
    }
    const src: Source = {
      ssrc: packet.ssrc,
      index: this.sourceCount++,
      offset,
      baseTs: packet.timestamp,
      refTs: packet.timestamp,
      maxSeq: packet.sequenceNumber,
      packetSamples: prev?.packetSamples ?? this.defaultSamples,
      pending: new Map(),
      recent: [],
      recentNext: 0,
    };
    this.source = src;
    this.stats.sources++;
    out.push({ kind: 'source', ssrc: src.ssrc, sourceIndex: src.index, position: offset, reason });
    return src;
  }

  private release(src: Source, out: JitterOutput[], all: boolean): void {
    while (src.pending.size > 0) {
      let min = Infinity;
      for (const k of src.pending.keys()) if (k < min) min = k;
      const inOrder = src.lastReleased !== undefined && min === src.lastReleased + 1;
      if (!inOrder && !all && src.pending.size <= this.window) return;
      const item = src.pending.get(min)!;
      src.pending.delete(min);
      this.emit(src, min, item, out);
    }
  }

  /** Accounts a released packet: learns the packet duration, remembers it (duplicates vs late). */
  private noteRelease(src: Source, extSeq: number, position: number): void {
    if (src.lastReleased !== undefined && src.lastReleasedPos !== undefined) {
      const seqDelta = extSeq - src.lastReleased;
      const per = (position - src.lastReleasedPos) / seqDelta;
      // learn the packet duration from consecutive packets (ignore DTX jumps)
      if (seqDelta === 1 && per > 0 && per <= this.options.clockRate * 0.2) src.packetSamples = per;
    }
    src.lastReleased = extSeq;
    src.lastReleasedPos = position;
    src.recent[src.recentNext] = extSeq;
    src.recentNext = (src.recentNext + 1) % (this.window * 4);
    this.stats.released++;
  }

  /** Releases one packet (`min` = its extended sequence number), after a gap report if needed. */
  private emit(src: Source, min: number, item: { packet: RtpPacket; position: number }, out: JitterOutput[]): void {
    if (src.lastReleased === undefined && item.position < src.offset) {
      // the first packet to arrive was not the earliest: shift the source so
      // that its earliest packet starts where the source starts
      const shift = src.offset - item.position;
      src.offset += shift;
      item.position += shift;
      for (const p of src.pending.values()) p.position += shift;
    }
    if (src.lastReleased !== undefined && min > src.lastReleased + 1) {
      const lost = min - src.lastReleased - 1;
      this.stats.lost += lost;
      out.push({
        kind: 'gap',
        ssrc: src.ssrc,
        sourceIndex: src.index,
        fromExtSeq: src.lastReleased + 1,
        lostPackets: lost,
        position: (src.lastReleasedPos ?? item.position) + src.packetSamples,
      });
    }
    this.noteRelease(src, min, item.position);
    out.push({ kind: 'packet', packet: item.packet, ssrc: src.ssrc, sourceIndex: src.index, extSeq: min, position: item.position });
  }
}
