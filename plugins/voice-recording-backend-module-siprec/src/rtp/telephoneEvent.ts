import { RtpPacket } from './packet';

/** RFC 4733 §3.2 named events 0-16 as DTMF characters. */
export const DTMF_EVENTS = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '#', 'A', 'B', 'C', 'D', 'flash'];

export interface TelephoneEventPayload {
  event: number;
  end: boolean;
  volume: number;
  /** Duration so far, in timestamp units. */
  duration: number;
}

/** Parses the 4-byte RFC 4733 payload (the first one when several are packed). */
export function parseTelephoneEvent(payload: Buffer): TelephoneEventPayload | undefined {
  if (payload.length < 4) return undefined;
  return {
    event: payload[0],
    end: (payload[1] & 0x80) !== 0,
    volume: payload[1] & 0x3f,
    duration: payload.readUInt16BE(2),
  };
}

export interface DtmfEvent {
  type: 'start' | 'end';
  /** '0'-'9', '*', '#', 'A'-'D', 'flash', or `event-N` for other events. */
  digit: string;
  event: number;
  /** RTP timestamp of the event start (identifies the event). */
  timestamp: number;
  /** Duration in timestamp units (end: final duration; start: duration so far). */
  duration: number;
  durationMs: number;
  /** End inferred because the next event began before any end packet arrived. */
  endInferred?: boolean;
}

/**
 * Turns RFC 4733 packets into DTMF start/end events: one start per event
 * (identified by its RTP timestamp), one end even though the end packet is sent
 * three times; an event whose end packets were all lost ends when the next event
 * starts or on {@link TelephoneEventDetector.flush}.
 */
export class TelephoneEventDetector {
  private current?: { timestamp: number; event: number; duration: number; ended: boolean };
  private readonly finished: number[] = [];

  constructor(private readonly clockRate = 8000) {}

  push(packet: RtpPacket): DtmfEvent[] {
    const te = parseTelephoneEvent(packet.payload);
    if (!te) return [];
    const out: DtmfEvent[] = [];
    const ts = packet.timestamp >>> 0;
    const cur = this.current;
    if (!cur || cur.timestamp !== ts) {
      if (this.finished.includes(ts)) return out; // late retransmission of an old event
      if (cur && !cur.ended) out.push(this.endEvent(cur, true));
      if (cur) this.remember(cur.timestamp);
      this.current = { timestamp: ts, event: te.event, duration: te.duration, ended: false };
      out.push({ type: 'start', ...this.describe(te.event, ts, te.duration) });
    }
    const c = this.current!;
    if (c.ended) return out; // repeated end packets
    c.duration = Math.max(c.duration, te.duration);
    if (te.end) {
      c.ended = true;
      out.push(this.endEvent(c, false));
    }
    return out;
  }

  /** Ends an event left open (stream stopped). */
  flush(): DtmfEvent[] {
    const c = this.current;
    if (!c || c.ended) return [];
    c.ended = true;
    return [this.endEvent(c, true)];
  }

  private remember(ts: number) {
    this.finished.push(ts);
    if (this.finished.length > 16) this.finished.shift();
  }

  private describe(event: number, timestamp: number, duration: number) {
    return {
      digit: DTMF_EVENTS[event] ?? `event-${event}`,
      event,
      timestamp,
      duration,
      durationMs: Math.round((duration * 1000) / this.clockRate),
    };
  }

  private endEvent(c: { timestamp: number; event: number; duration: number }, inferred: boolean): DtmfEvent {
    const e: DtmfEvent = { type: 'end', ...this.describe(c.event, c.timestamp, c.duration) };
    if (inferred) e.endInferred = true;
    return e;
  }
}
