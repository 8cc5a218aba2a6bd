import { SipParseError } from './errors';

/** RFC 3261 §7.3.3 and later RFCs: compact header forms. */
const COMPACT_FORMS: Record<string, string> = {
  a: 'Accept-Contact',
  b: 'Referred-By',
  c: 'Content-Type',
  d: 'Request-Disposition',
  e: 'Content-Encoding',
  f: 'From',
  i: 'Call-ID',
  j: 'Reject-Contact',
  k: 'Supported',
  l: 'Content-Length',
  m: 'Contact',
  n: 'Identity-Info',
  o: 'Event',
  r: 'Refer-To',
  s: 'Subject',
  t: 'To',
  u: 'Allow-Events',
  v: 'Via',
  x: 'Session-Expires',
  y: 'Identity',
};

const CANONICAL_NAMES = [
  'Accept',
  'Accept-Contact',
  'Accept-Encoding',
  'Accept-Language',
  'Alert-Info',
  'Allow',
  'Allow-Events',
  'Authorization',
  'Call-ID',
  'Call-Info',
  'Contact',
  'Content-Disposition',
  'Content-Encoding',
  'Content-Language',
  'Content-Length',
  'Content-Type',
  'CSeq',
  'Date',
  'Error-Info',
  'Event',
  'Expires',
  'From',
  'Identity',
  'Identity-Info',
  'In-Reply-To',
  'Max-Forwards',
  'Min-Expires',
  'Min-SE',
  'MIME-Version',
  'Organization',
  'P-Asserted-Identity',
  'Priority',
  'Proxy-Authenticate',
  'Proxy-Authorization',
  'Proxy-Require',
  'Reason',
  'Record-Route',
  'Refer-To',
  'Referred-By',
  'Reject-Contact',
  'Reply-To',
  'Request-Disposition',
  'Require',
  'Retry-After',
  'Route',
  'RSeq',
  'RAck',
  'Server',
  'Session-Expires',
  'Subject',
  'Supported',
  'Timestamp',
  'To',
  'Unsupported',
  'User-Agent',
  'Via',
  'Warning',
  'WWW-Authenticate',
];
const CANONICAL_BY_LOWER = new Map(
  CANONICAL_NAMES.map(n => [n.toLowerCase(), n] as const),
);

/**
 * Headers whose grammar is a comma-separated list (RFC 3261 §7.3.1), so that
 * `Via: a, b` is equivalent to two Via header lines.
 */
const LIST_HEADERS = new Set(
  [
    'Accept',
    'Accept-Contact',
    'Accept-Encoding',
    'Accept-Language',
    'Alert-Info',
    'Allow',
    'Allow-Events',
    'Call-Info',
    'Contact',
    'Content-Encoding',
    'Content-Language',
    'Error-Info',
    'In-Reply-To',
    'P-Asserted-Identity',
    'Proxy-Require',
    'Reason',
    'Record-Route',
    'Reject-Contact',
    'Require',
    'Route',
    'Supported',
    'Unsupported',
    'Via',
    'Warning',
  ].map(n => n.toLowerCase()),
);

/** Canonical spelling of a header name: compact forms expanded, known names re-cased. */
export function canonicalHeaderName(name: string): string {
  const trimmed = name.trim();
  const lower = trimmed.toLowerCase();
  if (lower.length === 1 && COMPACT_FORMS[lower]) return COMPACT_FORMS[lower];
  return CANONICAL_BY_LOWER.get(lower) ?? trimmed;
}

export interface SipHeader {
  name: string;
  value: string;
}

/** Ordered, case-insensitive header collection. Names are stored canonicalised. */
export class SipHeaders {
  private readonly entries: SipHeader[] = [];

  constructor(init?: Iterable<SipHeader> | Record<string, string | string[]>) {
    if (!init) return;
    if (Symbol.iterator in Object(init)) {
      for (const h of init as Iterable<SipHeader>) this.add(h.name, h.value);
    } else {
      for (const [name, value] of Object.entries(
        init as Record<string, string | string[]>,
      )) {
        for (const v of Array.isArray(value) ? value : [value]) {
          this.add(name, v);
        }
      }
    }
  }

  /** All header lines, in order, as received (names canonicalised). */
  list(): SipHeader[] {
    return this.entries.map(e => ({ ...e }));
  }

  has(name: string): boolean {
    const c = canonicalHeaderName(name).toLowerCase();
    return this.entries.some(e => e.name.toLowerCase() === c);
  }

  /** Value of the first header line with this name. */
  get(name: string): string | undefined {
    const c = canonicalHeaderName(name).toLowerCase();
    return this.entries.find(e => e.name.toLowerCase() === c)?.value;
  }

  /** Raw values of every header line with this name (not split on commas). */
  getLines(name: string): string[] {
    const c = canonicalHeaderName(name).toLowerCase();
    return this.entries
      .filter(e => e.name.toLowerCase() === c)
      .map(e => e.value);
  }

  /**
   * Every value of a header: lines in order, and for list headers (Via, Contact,
   * Route, Require, ...) each line split on commas outside quotes and <>.
   */
  getAll(name: string): string[] {
    const canonical = canonicalHeaderName(name);
    const lines = this.getLines(canonical);
    if (!LIST_HEADERS.has(canonical.toLowerCase())) return lines;
    return lines.flatMap(l => splitHeaderList(l));
  }

  add(name: string, value: string): this {
    this.entries.push({ name: canonicalHeaderName(name), value });
    return this;
  }

  /** Replaces every line with this name by one line (appended where the first was). */
  set(name: string, value: string): this {
    const canonical = canonicalHeaderName(name);
    const c = canonical.toLowerCase();
    const idx = this.entries.findIndex(e => e.name.toLowerCase() === c);
    this.remove(canonical);
    const entry = { name: canonical, value };
    if (idx < 0 || idx > this.entries.length) this.entries.push(entry);
    else this.entries.splice(idx, 0, entry);
    return this;
  }

  remove(name: string): this {
    const c = canonicalHeaderName(name).toLowerCase();
    for (let i = this.entries.length - 1; i >= 0; i--) {
      if (this.entries[i].name.toLowerCase() === c) this.entries.splice(i, 1);
    }
    return this;
  }

  clone(): SipHeaders {
    return new SipHeaders(this.entries);
  }
}

/** Splits on commas that are outside quoted strings and angle brackets. */
export function splitHeaderList(value: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inQuote = false;
  let angle = 0;
  for (let i = 0; i < value.length; i++) {
    const ch = value[i];
    if (inQuote) {
      cur += ch;
      if (ch === '\\' && i + 1 < value.length) {
        cur += value[++i];
      } else if (ch === '"') {
        inQuote = false;
      }
      continue;
    }
    if (ch === '"') inQuote = true;
    else if (ch === '<') angle++;
    else if (ch === '>' && angle > 0) angle--;
    else if (ch === ',' && angle === 0) {
      if (cur.trim()) out.push(cur.trim());
      cur = '';
      continue;
    }
    cur += ch;
  }
  if (cur.trim()) out.push(cur.trim());
  return out;
}

/** Splits on a separator outside quoted strings (and outside <> when asked). */
function splitOutsideQuotes(value: string, sep: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inQuote = false;
  for (let i = 0; i < value.length; i++) {
    const ch = value[i];
    if (inQuote) {
      cur += ch;
      if (ch === '\\' && i + 1 < value.length) cur += value[++i];
      else if (ch === '"') inQuote = false;
      continue;
    }
    if (ch === '"') inQuote = true;
    if (ch === sep) {
      out.push(cur);
      cur = '';
      continue;
    }
    cur += ch;
  }
  out.push(cur);
  return out;
}

/** Removes surrounding quotes and backslash escapes of a quoted-string. */
export function unquote(value: string): string {
  const v = value.trim();
  if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) {
    return v.slice(1, -1).replace(/\\(.)/g, '$1');
  }
  return v;
}

/**
 * `;name=value;flag` parameters → Map with lower-cased names. Values are
 * unquoted; a flag has the value ''. Spaces around `;` and `=` are tolerated.
 */
export function parseParams(text: string): Map<string, string> {
  const params = new Map<string, string>();
  for (const raw of splitOutsideQuotes(text, ';')) {
    const p = raw.trim();
    if (!p) continue;
    const eq = p.indexOf('=');
    if (eq < 0) params.set(p.toLowerCase(), '');
    else {
      params.set(p.slice(0, eq).trim().toLowerCase(), unquote(p.slice(eq + 1)));
    }
  }
  return params;
}

export interface NameAddr {
  displayName?: string;
  /** The URI without the surrounding <>. */
  uri: string;
  /** Header parameters (after the URI), e.g. `tag`, `expires`, `+sip.src`. */
  params: Map<string, string>;
}

/**
 * Parses a From/To/Contact/Route value: `"Name" <uri>;p=v`, `Name <uri>`,
 * `<uri>;p`, or addr-spec `uri;p=v` (in which case params after the URI are
 * header params, RFC 3261 §20.10).
 */
export function parseNameAddr(value: string): NameAddr {
  const v = value.trim();
  let displayName: string | undefined;
  let rest = v;
  let i = 0;
  while (i < v.length && (v[i] === ' ' || v[i] === '\t')) i++;
  if (v[i] === '"') {
    let j = i + 1;
    while (j < v.length && v[j] !== '"') {
      if (v[j] === '\\') j++;
      j++;
    }
    if (j >= v.length) {
      throw new SipParseError('Bad name-addr', 'unterminated quoted display name');
    }
    displayName = unquote(v.slice(i, j + 1));
    rest = v.slice(j + 1).trim();
    if (!rest.startsWith('<')) {
      throw new SipParseError('Bad name-addr', 'display name without <URI>');
    }
  }
  const lt = rest.indexOf('<');
  if (lt >= 0) {
    const gt = rest.indexOf('>', lt);
    if (gt < 0) throw new SipParseError('Bad name-addr', 'missing ">"');
    if (displayName === undefined) {
      const dn = rest.slice(0, lt).trim();
      if (dn) displayName = dn;
    }
    const uri = rest.slice(lt + 1, gt).trim();
    if (!uri) throw new SipParseError('Bad name-addr', 'empty URI');
    return { displayName, uri, params: parseParams(rest.slice(gt + 1)) };
  }
  const semi = rest.indexOf(';');
  const uri = (semi < 0 ? rest : rest.slice(0, semi)).trim();
  if (!uri || /\s/.test(uri)) {
    throw new SipParseError('Bad name-addr', `cannot read URI in "${value}"`);
  }
  return {
    uri,
    params: semi < 0 ? new Map() : parseParams(rest.slice(semi)),
  };
}

export interface ViaHeader {
  protocol: string;
  transport: string;
  host: string;
  port?: number;
  params: Map<string, string>;
  branch?: string;
}

/** Parses one Via value: `SIP/2.0/UDP host:port;branch=z9hG4bK...;rport`. */
export function parseVia(value: string): ViaHeader {
  const m = /^\s*([^\s/]+)\s*\/\s*([^\s/]+)\s*\/\s*([^\s;]+)\s+([^;]+?)\s*(;.*)?$/.exec(
    value,
  );
  if (!m) throw new SipParseError('Bad Via header', `"${value}"`);
  const sentBy = m[4].trim();
  let host = sentBy;
  let port: number | undefined;
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(sentBy);
  if (v6) {
    host = `[${v6[1]}]`;
    port = v6[2] ? Number(v6[2]) : undefined;
  } else {
    const hp = /^([^:\s]+)(?::\s*(\d+))?$/.exec(sentBy);
    if (!hp) throw new SipParseError('Bad Via header', `bad sent-by "${sentBy}"`);
    host = hp[1];
    port = hp[2] ? Number(hp[2]) : undefined;
  }
  if (port !== undefined && (port < 1 || port > 65535)) {
    throw new SipParseError('Bad Via header', `bad port in "${sentBy}"`);
  }
  const params = parseParams(m[5] ?? '');
  return {
    protocol: `${m[1]}/${m[2]}`.toUpperCase(),
    transport: m[3].toUpperCase(),
    host,
    port,
    params,
    branch: params.get('branch') || undefined,
  };
}

export interface CSeqHeader {
  seq: number;
  method: string;
}

export function parseCSeq(value: string): CSeqHeader {
  const m = /^\s*(\d{1,10})\s+([A-Za-z0-9\-.!%*_+`'~]+)\s*$/.exec(value);
  if (!m) throw new SipParseError('Bad CSeq header', `"${value}"`);
  const seq = Number(m[1]);
  if (seq > 0xffffffff) throw new SipParseError('Bad CSeq header', 'number too large');
  return { seq, method: m[2].toUpperCase() };
}

export interface ContentType {
  /** Lower-cased `type/subtype`. */
  mediaType: string;
  params: Map<string, string>;
}

export function parseContentType(value: string): ContentType {
  const semi = splitOutsideQuotes(value, ';');
  const mediaType = semi[0].trim().toLowerCase().replace(/\s+/g, '');
  if (!/^[^/\s]+\/[^/\s]+$/.test(mediaType)) {
    throw new SipParseError('Bad Content-Type', `"${value}"`);
  }
  return { mediaType, params: parseParams(semi.slice(1).join(';')) };
}

export interface SipUri {
  scheme: string;
  user?: string;
  host: string;
  port?: number;
  params: Map<string, string>;
}

/** Lenient sip:/sips:/tel: URI parser (enough for routing and AoR matching). */
export function parseUri(value: string): SipUri {
  const v = value.trim();
  const colon = v.indexOf(':');
  if (colon <= 0) throw new SipParseError('Bad URI', `"${value}"`);
  const scheme = v.slice(0, colon).toLowerCase();
  let rest = v.slice(colon + 1);
  const q = rest.indexOf('?');
  if (q >= 0) rest = rest.slice(0, q);
  if (scheme === 'tel') {
    const [num, ...ps] = rest.split(';');
    return { scheme, user: num, host: '', params: parseParams(ps.join(';')) };
  }
  const at = rest.lastIndexOf('@');
  let user: string | undefined;
  if (at >= 0) {
    user = rest.slice(0, at);
    rest = rest.slice(at + 1);
    const uc = user.indexOf(':');
    if (uc >= 0) user = user.slice(0, uc);
  }
  const semi = rest.indexOf(';');
  const hostport = semi < 0 ? rest : rest.slice(0, semi);
  const params = semi < 0 ? new Map<string, string>() : parseParams(rest.slice(semi));
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(hostport);
  const hp = v6 ?? /^([^:]+)(?::(\d+))?$/.exec(hostport);
  if (!hp) throw new SipParseError('Bad URI', `"${value}"`);
  const host = v6 ? `[${hp[1]}]` : hp[1];
  return {
    scheme,
    user: user === undefined ? undefined : decodeURIComponentSafe(user),
    host: host.toLowerCase(),
    port: hp[2] ? Number(hp[2]) : undefined,
    params,
  };
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
