import { parse as parseSdp, write as writeSdp, MediaAttributes, SessionDescription } from 'sdp-transform';

/** Codecs this recorder decodes, by SDP encoding name (upper-case). */
export const DECODABLE_CODECS = ['PCMA', 'PCMU', 'G722'] as const;
export type DecodableCodec = (typeof DECODABLE_CODECS)[number];

/** RFC 3551 static payload types we may meet without an rtpmap. */
const STATIC_PAYLOADS: Record<number, { codec: string; rate: number }> = {
  0: { codec: 'PCMU', rate: 8000 },
  3: { codec: 'GSM', rate: 8000 },
  8: { codec: 'PCMA', rate: 8000 },
  9: { codec: 'G722', rate: 8000 },
  13: { codec: 'CN', rate: 8000 },
  18: { codec: 'G729', rate: 8000 },
};

export type Direction = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

export interface OfferedStream {
  /** Position of the m= line in the offer (0-based). */
  index: number;
  media: string;
  label?: string;
  mid?: string;
  offeredPort: number;
  direction: Direction;
}

export interface StreamAllocation {
  address: string;
  port: number;
}

export interface NegotiatedStream extends OfferedStream {
  /** False when answered with port 0 (not recorded). */
  accepted: boolean;
  /** Our direction in the answer. */
  answerDirection: Direction;
  local?: StreamAllocation;
  /** Where the SRC says it sends from (may differ behind NAT). */
  remote: { address?: string; port: number };
  codec?: { payloadType: number; name: DecodableCodec; clockRate: number; channels: number };
  telephoneEvent?: { payloadType: number; clockRate: number };
  rtcpMux: boolean;
  ptime?: number;
}

export interface SdpAnswerOptions {
  /** Our RTP address and port for an accepted stream (called in m= order). */
  allocate: (stream: OfferedStream) => StreamAllocation;
  origin?: { username?: string; sessionId: string | number; sessionVersion: string | number };
  sessionName?: string;
  /**
   * The decodable codecs this answer may choose, default PCMA, PCMU, G722. The choice
   * among them follows the offer's order (RFC 3264 §6.1: the offerer's preference).
   */
  codecPreference?: DecodableCodec[];
  /**
   * What to do when an active audio stream offers nothing we decode:
   * refuse the call with 488 (default) or answer that stream with port 0.
   */
  onUndecodable?: 'reject-call' | 'reject-stream';
}

/** The offer cannot be answered; `status` is the SIP status to send (488 or 400). */
export class SdpNegotiationError extends Error {
  constructor(
    readonly status: 400 | 488,
    readonly reason: string,
  ) {
    super(`SDP: ${reason}`);
    this.name = 'SdpNegotiationError';
  }
}

type Media = SessionDescription['media'][number];

function directionOf(m: Media, session: SessionDescription): Direction {
  const d = (m.direction ?? (session as { direction?: Direction }).direction ?? 'sendrecv') as Direction;
  return d;
}

function answerDirection(offered: Direction): Direction {
  if (offered === 'inactive' || offered === 'recvonly') return 'inactive';
  return 'recvonly';
}

function payloadsOf(m: Media): number[] {
  return String(m.payloads ?? '')
    .split(/\s+/)
    .filter(Boolean)
    .map(Number)
    .filter(n => Number.isInteger(n) && n >= 0 && n <= 127);
}

function codecOf(m: Media, pt: number): { codec: string; rate: number; encoding?: number } | undefined {
  const r = m.rtp?.find(x => x.payload === pt);
  if (r) {
    return {
      codec: r.codec.toUpperCase(),
      rate: r.rate ?? 8000,
      encoding: r.encoding === undefined ? undefined : Number(r.encoding),
    };
  }
  return STATIC_PAYLOADS[pt];
}

function ipVer(address: string): 4 | 6 {
  return address.includes(':') ? 6 : 4;
}

/**
 * Answers a SIPREC SDP offer (RFC 7866 §8.1.1): one m= line per offered m= line,
 * in order, keeping `a=label`; recvonly (inactive when the offer is inactive);
 * port 0 where the offer has port 0 and for non-audio media; one decodable codec
 * per stream (PCMA, PCMU, G722 by default): the first of the m= line's payload types
 * that we decode (RFC 3264 §6.1), plus telephone-event when offered.
 * Returns plain application/sdp text and what was negotiated per stream.
 */
export function buildSdpAnswer(
  offerSdp: string,
  options: SdpAnswerOptions,
): { sdp: string; streams: NegotiatedStream[] } {
  let offer: SessionDescription;
  try {
    offer = parseSdp(offerSdp);
  } catch (e) {
    throw new SdpNegotiationError(400, `cannot parse offer (${(e as Error).message})`);
  }
  if (!offer || !Array.isArray(offer.media) || offer.media.length === 0) {
    throw new SdpNegotiationError(488, 'offer has no m= line');
  }
  const preference = options.codecPreference ?? [...DECODABLE_CODECS];
  const streams: NegotiatedStream[] = [];
  const answerMedia: Media[] = [];
  /** why streams were answered with port 0 (said when no stream is left) */
  const reasons: string[] = [];

  offer.media.forEach((m, index) => {
    const direction = directionOf(m, offer);
    const base: OfferedStream = {
      index,
      media: m.type,
      label: m.label === undefined ? undefined : String(m.label),
      mid: m.mid === undefined ? undefined : String(m.mid),
      offeredPort: m.port,
      direction,
    };
    const remote = { address: m.connection?.ip ?? offer.connection?.ip, port: m.port };
    const rtcpMux = m.rtcpMux !== undefined;
    const rejected = (why?: string): void => {
      if (why && options.onUndecodable !== 'reject-stream') {
        throw new SdpNegotiationError(488, why);
      }
      if (why) reasons.push(why);
      streams.push({ ...base, accepted: false, answerDirection: 'inactive', remote, rtcpMux: false });
      const rm: Media = { type: m.type, port: 0, protocol: m.protocol, payloads: m.payloads ?? '', rtp: [], fmtp: [] };
      if (base.label !== undefined) rm.label = base.label;
      if (base.mid !== undefined) rm.mid = base.mid;
      answerMedia.push(rm);
    };

    if (m.port === 0) return rejected();
    if (m.type !== 'audio') return rejected();
    const protocol = String(m.protocol ?? '').toUpperCase();
    if (protocol !== 'RTP/AVP' && protocol !== 'RTP/AVPF') {
      return rejected(`m=${index + 1} uses ${m.protocol}, only RTP/AVP is recorded`);
    }
    const pts = payloadsOf(m);
    // the first payload of the m= line (the offerer's most preferred) that we decode
    let chosen: { pt: number; name: DecodableCodec; rate: number; channels: number } | undefined;
    for (const pt of pts) {
      const c = codecOf(m, pt);
      const name = c && preference.find(want => want === c.codec);
      if (c && name) {
        chosen = { pt, name, rate: c.rate, channels: c.encoding ?? 1 };
        break;
      }
    }
    if (!chosen) {
      const offered = pts.map(p => codecOf(m, p)?.codec ?? String(p)).join(', ');
      return rejected(
        `no decodable codec in m=${index + 1}${base.label ? ` (label ${base.label})` : ''}: offered ${offered || 'nothing'}; we decode ${preference.join(', ')}`,
      );
    }
    const tePt = pts.find(p => codecOf(m, p)?.codec === 'TELEPHONE-EVENT');
    const te = tePt === undefined ? undefined : { payloadType: tePt, clockRate: codecOf(m, tePt)!.rate };
    const local = options.allocate(base);
    const ans = answerDirection(direction);
    const ptime = m.ptime === undefined ? undefined : Number(m.ptime);
    streams.push({
      ...base,
      accepted: true,
      answerDirection: ans,
      local,
      remote,
      codec: { payloadType: chosen.pt, name: chosen.name, clockRate: chosen.rate, channels: chosen.channels },
      telephoneEvent: te,
      rtcpMux,
      ptime,
    });
    const rtp: MediaAttributes['rtp'] = [{ payload: chosen.pt, codec: chosen.name, rate: chosen.rate }];
    const fmtp: MediaAttributes['fmtp'] = [];
    if (te) {
      rtp.push({ payload: te.payloadType, codec: 'telephone-event', rate: te.clockRate });
      const f = m.fmtp?.find(x => x.payload === te.payloadType);
      fmtp.push({ payload: te.payloadType, config: f?.config ?? '0-15' });
    }
    const am: Media = {
      type: 'audio',
      port: local.port,
      protocol: m.protocol,
      payloads: rtp.map(r => r.payload).join(' '),
      rtp,
      fmtp,
      connection: { version: ipVer(local.address), ip: local.address },
      direction: ans,
    };
    if (base.label !== undefined) am.label = base.label;
    if (base.mid !== undefined) am.mid = base.mid;
    if (rtcpMux) am.rtcpMux = 'rtcp-mux';
    if (ptime !== undefined) am.ptime = ptime;
    answerMedia.push(am);
    return undefined;
  });

  if (!streams.some(s => s.accepted) && streams.some(s => s.offeredPort !== 0)) {
    // e.g. "...: no decodable codec in m=1 (label 1): offered G729, TELEPHONE-EVENT; ..."
    const why = reasons.length ? `: ${reasons.join('; ')}`.slice(0, 500) : '';
    throw new SdpNegotiationError(488, `no stream of the offer can be recorded${why}`);
  }
  const firstLocal = streams.find(s => s.local)?.local;
  const originAddress = firstLocal?.address ?? '0.0.0.0';
  const answer: SessionDescription = {
    version: 0,
    origin: {
      username: options.origin?.username ?? 'SRS',
      sessionId: (options.origin?.sessionId ?? Date.now()) as number,
      sessionVersion: (options.origin?.sessionVersion ?? 1) as number,
      netType: 'IN',
      ipVer: ipVer(originAddress),
      address: originAddress,
    },
    name: options.sessionName ?? 'SIPREC recording',
    connection: { version: ipVer(originAddress), ip: originAddress },
    timing: { start: 0, stop: 0 },
    media: answerMedia,
  };
  return { sdp: writeSdp(answer), streams };
}
