import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { normalizePhoneNumber } from '@mvr/plugin-voice-recording-common';

export const RECORDING_NAMESPACES = [
  'urn:ietf:params:xml:ns:recording:1',
  'urn:ietf:params:xml:ns:recording',
];
export const DRAFT_NAMESPACE = 'urn:ietf:params:xml:ns:siprec';

export interface MetadataNameId {
  aor: string;
  name?: string;
  /** E.164 form when the AoR's user part is a phone number. */
  e164?: string;
}

export interface MetadataParticipant {
  id: string;
  nameIds: MetadataNameId[];
  /** First AoR, for convenience. */
  aor?: string;
  /** First AoR that is a phone number, normalised to E.164. */
  e164?: string;
  /** Stream ids this participant sends / receives. */
  send: string[];
  recv: string[];
  /** True when the document said which streams (even none) this participant uses. */
  hasStreamAssoc: boolean;
  sessionIds: string[];
  associateTime?: string;
  disassociateTime?: string;
  /** Raw inner XML of `<extensiondata>` children, kept verbatim. */
  extensionData: string[];
}

export interface MetadataStream {
  id: string;
  sessionId?: string;
  /** Matches `a=label` of an SDP m= line. */
  label?: string;
  associateTime?: string;
  disassociateTime?: string;
  extensionData: string[];
}

export interface MetadataSession {
  id: string;
  groupId?: string;
  sipSessionIds: string[];
  startTime?: string;
  stopTime?: string;
  extensionData: string[];
}

export interface MetadataGroup {
  id: string;
  associateTime?: string;
  disassociateTime?: string;
  extensionData: string[];
}

export interface RecordingMetadata {
  /** `rfc7865` or the old draft `recording_metadata` format. */
  format: 'rfc7865' | 'draft';
  namespace: string;
  dataMode: 'complete' | 'partial';
  groups: MetadataGroup[];
  sessions: MetadataSession[];
  participants: MetadataParticipant[];
  streams: MetadataStream[];
  /** Root-level `<extensiondata>` (vendor data: call type, recorded party, UCID...). */
  extensionData: string[];
}

export class MetadataParseError extends Error {
  constructor(readonly reason: string) {
    super(`rs-metadata: ${reason}`);
    this.name = 'MetadataParseError';
  }
}

export interface ParseMetadataOptions {
  /** Country for national numbers in AoRs (ISO 3166 alpha-2), default BE. */
  defaultCountry?: string;
}

type Node = Record<string, unknown>;

const contentParser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  removeNSPrefix: true,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  stopNodes: ['*.extensiondata'],
  isArray: (_name, _jpath, _leaf, isAttribute) => !isAttribute,
});

function children(node: unknown, name: string): unknown[] {
  if (!node || typeof node !== 'object') return [];
  const v = (node as Node)[name];
  if (Array.isArray(v)) return v;
  return v === undefined ? [] : [v];
}

function text(node: unknown): string | undefined {
  if (node === undefined || node === null) return undefined;
  if (typeof node === 'string' || typeof node === 'number') return String(node).trim();
  if (typeof node === 'object') {
    const t = (node as Node)['#text'];
    if (t !== undefined) return String(t).trim();
    return '';
  }
  return undefined;
}

function childText(node: unknown, ...names: string[]): string | undefined {
  for (const name of names) {
    const t = text(children(node, name)[0]);
    if (t) return t;
  }
  return undefined;
}

function attr(node: unknown, ...names: string[]): string | undefined {
  if (!node || typeof node !== 'object') return undefined;
  for (const name of names) {
    const v = (node as Node)[`@_${name}`];
    if (v !== undefined && String(v).trim() !== '') return String(v).trim();
  }
  return undefined;
}

function extensionData(node: unknown): string[] {
  return children(node, 'extensiondata')
    .map(x => (typeof x === 'string' ? x : text(x) ?? ''))
    .map(s => s.trim())
    .filter(Boolean);
}

const NUMBER_LIKE = /^\+?[\d\s().\-/]{3,}$/;

/** E.164 for an AoR whose user part is a phone number; undefined otherwise. */
export function aorToE164(aor: string, defaultCountry = 'BE'): string | undefined {
  const user = aor
    .trim()
    .replace(/^(tel|sips?):/i, '')
    .replace(/@.*$/, '')
    .replace(/;.*$/, '')
    .trim();
  if (!NUMBER_LIKE.test(user) || (user.match(/\d/g) ?? []).length < 3) return undefined;
  const direct = normalizePhoneNumber(user, defaultCountry);
  if (direct.ok) return direct.e164;
  // Digits in international form without '+' (e.g. 32470111222).
  if (/^[1-9]\d{7,14}$/.test(user)) {
    const intl = normalizePhoneNumber(`+${user}`, defaultCountry);
    if (intl.ok) return intl.e164;
  }
  return undefined;
}

/**
 * The root element's local name and namespace, read from its start tag. The document
 * has passed XMLValidator, so a scan past the prolog (declaration, comments,
 * processing instructions, DOCTYPE) finds it; a second full parse only for this cost
 * a third of the metadata's parse time, which every INVITE pays.
 */
export function rootInfo(xml: string): { local: string; namespace: string } {
  let i = 0;
  for (;;) {
    i = xml.indexOf('<', i);
    if (i < 0) throw new MetadataParseError('no root element');
    if (xml.startsWith('<?', i)) i = skipPast(xml, '?>', i);
    else if (xml.startsWith('<!--', i)) i = skipPast(xml, '-->', i);
    else if (xml.startsWith('<!', i)) {
      // DOCTYPE, with an internal subset in brackets or not
      const close = xml.indexOf('>', i);
      const bracket = xml.indexOf('[', i);
      if (bracket >= 0 && (close < 0 || bracket < close)) i = skipPast(xml, ']', bracket);
      i = skipPast(xml, '>', i);
    } else break;
  }
  const tag = /^<([^\s/>]+)/.exec(xml.slice(i, i + 512));
  if (!tag) throw new MetadataParseError('no root element');
  const rootName = tag[1];
  const colon = rootName.indexOf(':');
  const prefix = colon < 0 ? undefined : rootName.slice(0, colon);
  const local = colon < 0 ? rootName : rootName.slice(colon + 1);
  const wanted = prefix ? `xmlns:${prefix}` : 'xmlns';
  // the start tag's attributes, up to its '>' (quoted values may hold one)
  const attrs = /\s+([^\s=/>]+)\s*=\s*(?:"([^"]*)"|'([^']*)')|\s*(\/?>)/gy;
  attrs.lastIndex = i + tag[0].length;
  let namespace = '';
  for (let m = attrs.exec(xml); m && !m[4]; m = attrs.exec(xml)) {
    if (m[1] === wanted) namespace = (m[2] ?? m[3] ?? '').trim();
  }
  return { local, namespace };
}

function skipPast(xml: string, end: string, from: number): number {
  const at = xml.indexOf(end, from);
  if (at < 0) throw new MetadataParseError('no root element');
  return at + end.length;
}

/**
 * Parses RFC 7865 rs-metadata (namespaces `urn:ietf:params:xml:ns:recording:1`
 * and `...:recording`, any prefix) and the older draft `recording_metadata`
 * (`urn:ietf:params:xml:ns:siprec`). Identifier attributes may be
 * `session_id`/`participant_id`/`stream_id`/`group_id` or `id`/`session`;
 * stream associations may be `<participantstreamassoc>` or `<send>`/`<recv>`
 * nested in `<participant>`. Throws MetadataParseError.
 */
export function parseRecordingMetadata(
  xml: string,
  options: ParseMetadataOptions = {},
): RecordingMetadata {
  if (typeof xml !== 'string' || !xml.trim()) throw new MetadataParseError('empty document');
  const valid = XMLValidator.validate(xml);
  if (valid !== true) {
    throw new MetadataParseError(
      `not well-formed XML (${valid.err.msg} at line ${valid.err.line})`,
    );
  }
  const { local, namespace } = rootInfo(xml);
  const knownRoot = local === 'recording' || local === 'recording_metadata';
  const knownNs = RECORDING_NAMESPACES.includes(namespace) || namespace === DRAFT_NAMESPACE;
  if (!knownRoot || !knownNs) {
    throw new MetadataParseError(
      `unexpected root element "${local}" in namespace "${namespace || '(none)'}"`,
    );
  }
  const format: RecordingMetadata['format'] =
    local === 'recording_metadata' || namespace === DRAFT_NAMESPACE ? 'draft' : 'rfc7865';

  let doc: Node;
  try {
    doc = contentParser.parse(xml) as Node;
  } catch (e) {
    throw new MetadataParseError(`cannot read document (${(e as Error).message})`);
  }
  const root = children(doc, local)[0] as Node;
  const country = options.defaultCountry ?? 'BE';

  const dataModeText = (childText(root, 'datamode', 'dataMode', 'data-mode') ?? 'complete').toLowerCase();
  const groups: MetadataGroup[] = children(root, 'group').map(g => ({
    id: attr(g, 'group_id', 'id') ?? '',
    associateTime: childText(g, 'associate-time'),
    disassociateTime: childText(g, 'disassociate-time'),
    extensionData: extensionData(g),
  }));
  const sessions: MetadataSession[] = children(root, 'session').map(s => ({
    id: attr(s, 'session_id', 'id') ?? '',
    groupId: childText(s, 'group-ref') ?? attr(s, 'group_id', 'group'),
    sipSessionIds: children(s, 'sipSessionID').map(text).filter((x): x is string => !!x),
    startTime: childText(s, 'start-time'),
    stopTime: childText(s, 'stop-time'),
    extensionData: extensionData(s),
  }));
  const streams: MetadataStream[] = children(root, 'stream').map(st => ({
    id: attr(st, 'stream_id', 'id') ?? '',
    sessionId: attr(st, 'session_id', 'session'),
    label: childText(st, 'label'),
    associateTime: childText(st, 'associate-time'),
    disassociateTime: childText(st, 'disassociate-time'),
    extensionData: extensionData(st),
  }));
  const participants: MetadataParticipant[] = children(root, 'participant').map(p => {
    const nameIds: MetadataNameId[] = children(p, 'nameID').flatMap(n => {
      const aor = attr(n, 'aor') ?? childText(n, 'aor');
      if (!aor) return [];
      return [{ aor, name: childText(n, 'name'), e164: aorToE164(aor, country) }];
    });
    for (const a of children(p, 'aor').map(text)) {
      if (a) nameIds.push({ aor: a, e164: aorToE164(a, country) });
    }
    const send = children(p, 'send').map(text).filter((x): x is string => !!x);
    const recv = children(p, 'recv').map(text).filter((x): x is string => !!x);
    const session = attr(p, 'session_id', 'session');
    return {
      id: attr(p, 'participant_id', 'id') ?? '',
      nameIds,
      aor: nameIds[0]?.aor,
      e164: nameIds.find(n => n.e164)?.e164,
      send,
      recv,
      hasStreamAssoc: children(p, 'send').length + children(p, 'recv').length > 0,
      sessionIds: session ? [session] : [],
      associateTime: childText(p, 'associate-time'),
      disassociateTime: childText(p, 'disassociate-time'),
      extensionData: extensionData(p),
    };
  });
  const byId = new Map(participants.map(p => [p.id, p]));
  for (const a of children(root, 'participantstreamassoc')) {
    const id = attr(a, 'participant_id', 'participant', 'id');
    if (!id) continue;
    let p = byId.get(id);
    if (!p) {
      p = emptyParticipant(id);
      participants.push(p);
      byId.set(id, p);
    }
    p.send = unique([...p.send, ...children(a, 'send').map(text).filter((x): x is string => !!x)]);
    p.recv = unique([...p.recv, ...children(a, 'recv').map(text).filter((x): x is string => !!x)]);
    p.hasStreamAssoc = true;
  }
  for (const a of children(root, 'participantsessionassoc')) {
    const id = attr(a, 'participant_id', 'participant');
    const sid = attr(a, 'session_id', 'session');
    const p = id ? byId.get(id) : undefined;
    if (!p) continue;
    if (sid && !p.sessionIds.includes(sid)) p.sessionIds.push(sid);
    p.associateTime = childText(a, 'associate-time') ?? p.associateTime;
    p.disassociateTime = childText(a, 'disassociate-time') ?? p.disassociateTime;
  }
  return {
    format,
    namespace,
    dataMode: dataModeText === 'partial' ? 'partial' : 'complete',
    groups: groups.filter(g => g.id),
    sessions: sessions.filter(s => s.id),
    participants: participants.filter(p => p.id),
    streams: streams.filter(s => s.id),
    extensionData: extensionData(root),
  };
}

function emptyParticipant(id: string): MetadataParticipant {
  return { id, nameIds: [], send: [], recv: [], hasStreamAssoc: false, sessionIds: [], extensionData: [] };
}

function unique<T>(xs: T[]): T[] {
  return [...new Set(xs)];
}

function mergeById<T extends { id: string }>(prev: T[], next: T[], merge: (a: T, b: T) => T): T[] {
  const out = prev.map(x => ({ ...x }));
  const index = new Map(out.map((x, i) => [x.id, i]));
  for (const n of next) {
    const i = index.get(n.id);
    if (i === undefined) {
      index.set(n.id, out.length);
      out.push({ ...n });
    } else {
      out[i] = merge(out[i], n);
    }
  }
  return out;
}

function pick<T>(a: T | undefined, b: T | undefined): T | undefined {
  return b !== undefined ? b : a;
}

/**
 * Applies a metadata update (from a re-INVITE or UPDATE) to what is known.
 *
 * A `complete` document (RFC 7865 `<dataMode>complete</dataMode>`, also the default when
 * the element is absent) is a full snapshot of the recording session: it replaces what
 * was known, so participants that are no longer in it have left, and a participant that
 * comes back under a new participant_id (some SRCs renumber every snapshot) is not
 * counted twice. Only when a snapshot has no `<stream>` element at all are the known
 * streams kept: the streams are the SDP's, and SRCs that describe participants only in
 * their updates did not remove them.
 *
 * A `partial` document holds the changes only, folded in: objects are matched by id;
 * fields present in the update win; stream associations of a participant are replaced
 * when the update states them; nothing known is dropped (departures are marked by
 * disassociate-time). The result has the update's data mode.
 *
 * Who was on the call when is kept by the conversation's participant history, not here.
 */
export function mergeMetadata(
  previous: RecordingMetadata | undefined,
  update: RecordingMetadata,
): RecordingMetadata {
  if (!previous) return update;
  if (update.dataMode === 'complete') {
    return update.streams.length ? update : { ...update, streams: previous.streams.map(x => ({ ...x })) };
  }
  return {
    format: update.format,
    namespace: update.namespace,
    dataMode: update.dataMode,
    groups: mergeById(previous.groups, update.groups, (a, b) => ({
      id: a.id,
      associateTime: pick(a.associateTime, b.associateTime),
      disassociateTime: pick(a.disassociateTime, b.disassociateTime),
      extensionData: unique([...a.extensionData, ...b.extensionData]),
    })),
    sessions: mergeById(previous.sessions, update.sessions, (a, b) => ({
      id: a.id,
      groupId: pick(a.groupId, b.groupId),
      sipSessionIds: unique([...a.sipSessionIds, ...b.sipSessionIds]),
      startTime: pick(a.startTime, b.startTime),
      stopTime: pick(a.stopTime, b.stopTime),
      extensionData: unique([...a.extensionData, ...b.extensionData]),
    })),
    streams: mergeById(previous.streams, update.streams, (a, b) => ({
      id: a.id,
      sessionId: pick(a.sessionId, b.sessionId),
      label: pick(a.label, b.label),
      associateTime: pick(a.associateTime, b.associateTime),
      disassociateTime: pick(a.disassociateTime, b.disassociateTime),
      extensionData: unique([...a.extensionData, ...b.extensionData]),
    })),
    participants: mergeById(previous.participants, update.participants, (a, b) => {
      const nameIds = b.nameIds.length ? b.nameIds : a.nameIds;
      return {
        id: a.id,
        nameIds,
        aor: nameIds[0]?.aor,
        e164: nameIds.find(n => n.e164)?.e164,
        send: b.hasStreamAssoc ? b.send : a.send,
        recv: b.hasStreamAssoc ? b.recv : a.recv,
        hasStreamAssoc: a.hasStreamAssoc || b.hasStreamAssoc,
        sessionIds: unique([...a.sessionIds, ...b.sessionIds]),
        associateTime: pick(a.associateTime, b.associateTime),
        disassociateTime: pick(a.disassociateTime, b.disassociateTime),
        extensionData: unique([...a.extensionData, ...b.extensionData]),
      };
    }),
    extensionData: unique([...previous.extensionData, ...update.extensionData]),
  };
}

/** Which participants send and receive the stream carrying an SDP `a=label`. */
export function participantsForLabel(
  metadata: RecordingMetadata,
  label: string,
): { stream?: MetadataStream; senders: MetadataParticipant[]; receivers: MetadataParticipant[] } {
  const stream = metadata.streams.find(s => s.label === label);
  if (!stream) return { senders: [], receivers: [] };
  return {
    stream,
    senders: metadata.participants.filter(p => p.send.includes(stream.id)),
    receivers: metadata.participants.filter(p => p.recv.includes(stream.id)),
  };
}
