import { SipParseError, SipRequest, parseNameAddr, splitHeaderList } from '../sip/message';
import { MimePart, MultipartParseError, parseBodyParts } from './multipart';

export interface SiprecDetection {
  siprec: boolean;
  /** Why: `require` (Require: siprec), `contact` (+sip.src feature tag), both, or none. */
  signals: Array<'require' | 'contact'>;
}

/** True for a Contact feature tag `+sip.src` (also seen as `src`, with odd spacing). */
function contactHasSrc(value: string): boolean {
  try {
    const params = parseNameAddr(value).params;
    for (const name of params.keys()) {
      const n = name.replace(/\s+/g, '').replace(/^"|"$/g, '');
      if (n === '+sip.src' || n === 'src' || n === 'sip.src') return true;
    }
    return false;
  } catch (e) {
    if (!(e instanceof SipParseError)) throw e;
    return /;\s*\+?(sip\.)?src\s*(;|=|$)/i.test(value);
  }
}

/**
 * Is this INVITE a SIPREC recording session (RFC 7866 §6.1.1)? Either
 * `Require: siprec` or a Contact with the `+sip.src` feature tag suffices.
 */
export function detectSiprec(request: SipRequest): SiprecDetection {
  const signals: SiprecDetection['signals'] = [];
  const require = request.headers
    .getLines('Require')
    .flatMap(l => splitHeaderList(l))
    .map(t => t.trim().toLowerCase());
  if (require.includes('siprec')) signals.push('require');
  if (request.headers.getAll('Contact').some(contactHasSrc)) signals.push('contact');
  return { siprec: signals.length > 0, signals };
}

export function isSiprecInvite(request: SipRequest): boolean {
  return request.method === 'INVITE' && detectSiprec(request).siprec;
}

export const METADATA_MEDIA_TYPES = ['application/rs-metadata+xml', 'application/rs-metadata'];

export interface RecordingBody {
  /** SDP offer, when the body has one. */
  sdp?: string;
  /** rs-metadata XML, when the body has it. */
  metadata?: string;
  /** Parts that are neither (ignored by the SRS, kept for logging). */
  otherParts: MimePart[];
}

export class RecordingBodyError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'RecordingBodyError';
  }
}

/**
 * Pulls SDP and metadata out of an INVITE/UPDATE body: multipart/mixed in any
 * part order, or a single part of either type. When several parts of a type
 * occur the first wins. Throws RecordingBodyError (→ 400) on a broken body.
 */
export function extractRecordingBody(message: { headers: SipRequest['headers']; body: Buffer }): RecordingBody {
  let parts: MimePart[];
  try {
    parts = parseBodyParts(message.headers.get('Content-Type'), message.body);
  } catch (e) {
    if (e instanceof MultipartParseError) throw new RecordingBodyError(`Bad multipart body: ${e.reason}`);
    throw e;
  }
  const out: RecordingBody = { otherParts: [] };
  for (const part of parts) {
    if (part.contentType === 'application/sdp' && out.sdp === undefined) {
      out.sdp = part.body.toString('utf8');
    } else if (METADATA_MEDIA_TYPES.includes(part.contentType) && out.metadata === undefined) {
      out.metadata = part.body.toString('utf8');
    } else if (
      out.metadata === undefined &&
      part.disposition === 'recording-session' &&
      /xml/.test(part.contentType)
    ) {
      out.metadata = part.body.toString('utf8');
    } else {
      out.otherParts.push(part);
    }
  }
  return out;
}
