import { RecordingMetadata } from './metadata';

/**
 * What vendor `<extensiondata>` of the rs-metadata says about the recorded party and the
 * call's direction (as seen from the recorded party). RFC 7865 leaves both to extensions,
 * so each SRC names them its own way; the recorder reads the forms below, from the root's
 * and the sessions' extension data (any namespace prefix, any case).
 *
 * Direction, first element found wins:
 * - `direction`, `callDirection`, `call-direction`, `call_direction` (Cisco CUBE, Oracle
 *   SBC and generic SRCs): `incoming`/`inbound`/`in` or `outgoing`/`outbound`/`out`;
 * - `callType`, `call-type`, `call_type` (Metaswitch, Ribbon): `terminating`/`terminated`/
 *   `mt` (the recorded subscriber is called: incoming) or `originating`/`originated`/`mo`
 *   (the recorded subscriber calls: outgoing); also the direction words above.
 * Any other value (`forwarded`, `voice`, `internal`, ...) gives no hint: the direction then
 * comes from the participants' order.
 *
 * Recorded party: `recordedParty`, `recorded-party`, `recorded_party`, `recordedUser`,
 * `targetParty`: an address or number, or the `participant_id` of one of the metadata's
 * participants (then that participant's address).
 */
export interface VendorHints {
  recordedParty?: string;
  direction?: 'incoming' | 'outgoing';
}

const INCOMING = new Set(['incoming', 'inbound', 'in', 'terminating', 'terminated', 'mt']);
const OUTGOING = new Set(['outgoing', 'outbound', 'out', 'originating', 'originated', 'mo']);

const DIRECTION_ELEMENT = /<(?:[\w.-]+:)?(call[-_]?direction|direction|call[-_]?type)\b[^>]*>\s*([^<\s]+)\s*<\//gi;
const RECORDED_PARTY_ELEMENT = /<(?:[\w.-]+:)?(?:recorded[-_]?(?:party|user)|target[-_]?party)\b[^>]*>\s*([^<\s]+)\s*<\//i;

function directionOf(word: string): VendorHints['direction'] {
  const w = word.toLowerCase();
  if (INCOMING.has(w)) return 'incoming';
  if (OUTGOING.has(w)) return 'outgoing';
  return undefined;
}

/** The hints of a metadata document's vendor extension data (none without metadata). */
export function vendorHints(metadata: RecordingMetadata | undefined): VendorHints {
  if (!metadata) return {};
  const ext = [...metadata.extensionData, ...metadata.sessions.flatMap(s => s.extensionData)].join('\n');
  if (!ext) return {};
  const hints: VendorHints = {};
  for (const m of ext.matchAll(DIRECTION_ELEMENT)) {
    const d = directionOf(m[2]);
    if (d) {
      hints.direction = d;
      break;
    }
  }
  const party = RECORDED_PARTY_ELEMENT.exec(ext)?.[1];
  if (party) {
    // a participant id (e.g. `cDI=`) names that participant's address
    const p = metadata.participants.find(x => x.id === party);
    const aor = p ? p.aor ?? p.nameIds[0]?.aor : party;
    if (aor) hints.recordedParty = aor;
  }
  return hints;
}
