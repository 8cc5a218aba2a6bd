import { createHash } from 'node:crypto';

/** The longest stored form of a SIP identifier, in characters (ASCII, so also in bytes). */
export const STORED_SIP_IDENTIFIER_MAX_LENGTH = 1024;

/** `#` does not occur in a legal Call-ID (RFC 3261 §25.1 `word`): it introduces an escape. */
const KEPT = /^[\x21\x22\x24-\x7e]*$/;
const ESCAPED = /[^\x21\x22\x24-\x7e]/gu;

/**
 * The form in which a SIP identifier from the network (a Call-ID, a SIPREC session id)
 * is stored and looked up. Deterministic and one-to-one, so a lookup computes the same
 * form:
 * - a legal Call-ID (printable ASCII, RFC 3261 §25.1) of up to
 *   {@link STORED_SIP_IDENTIFIER_MAX_LENGTH} characters is kept as it is;
 * - any other character (NUL and the other control bytes, space, non-ASCII, U+FFFD for
 *   bytes that were not UTF-8) and `#` itself become `#` and two hex digits per UTF-8
 *   byte (`#00` for NUL, `#23` for `#`): no database refuses the result (PostgreSQL
 *   text cannot hold NUL) and no log or CSV line is broken by it;
 * - a longer form is cut to a bounded one: its beginning, then ` sha256:` and the
 *   SHA-256 of the whole identifier (a space never occurs in an escaped form, so a cut
 *   one cannot be mistaken for a real one), {@link STORED_SIP_IDENTIFIER_MAX_LENGTH}
 *   characters in all: a btree index takes it on every database.
 */
export function storedSipIdentifier(value: string): string {
  let out = KEPT.test(value) ? value : value.replace(ESCAPED, escapeChar);
  if (out.length > STORED_SIP_IDENTIFIER_MAX_LENGTH) {
    const hash = ` sha256:${createHash('sha256')
      .update(value, 'utf8')
      .digest('hex')}`;
    out = `${out.slice(
      0,
      STORED_SIP_IDENTIFIER_MAX_LENGTH - hash.length,
    )}${hash}`;
  }
  return out;
}

function escapeChar(c: string): string {
  let out = '';
  for (const byte of Buffer.from(c, 'utf8'))
    out += `#${byte.toString(16).padStart(2, '0')}`;
  return out;
}
