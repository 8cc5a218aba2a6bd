/*
 * Text from a peer written back into SIP (reason phrases, quoted header text) or into
 * the logs: control bytes (NUL, CR, LF, ESC, ...) must not go through as they are.
 */

/* eslint-disable no-control-regex -- matching control characters is the point here */

// C0 controls, DEL, C1 controls, line/paragraph separators
const CONTROLS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
const CONTROLS_G = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;
// the same, and U+FFFD (bytes that were not UTF-8), for log lines
const LOG_ESCAPED = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\ufffd]/;
const LOG_ESCAPED_G = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\ufffd]/g;

/* eslint-enable no-control-regex */

/**
 * A Reason-Phrase (RFC 3261 §25.1: no CR, LF or other control byte): each control
 * character becomes a space, at most `maxLength` characters.
 */
export function safeReasonPhrase(reason: string, maxLength = 200): string {
  const clean = CONTROLS.test(reason) ? reason.replace(CONTROLS_G, ' ') : reason;
  return clean.length > maxLength ? clean.slice(0, maxLength) : clean;
}

/** Text for a quoted-string in a header (Warning, Reason): no `"`, `\` or control character. */
export function safeQuotedText(value: string, maxLength = 200): string {
  return value.replace(/["\\]/g, ' ').replace(CONTROLS_G, ' ').slice(0, maxLength);
}

/**
 * Text from a peer for a log line: control characters, and U+FFFD (what bytes that
 * were not UTF-8 were read as), are written as escapes (`\x00`, `\x1b`, `\ufffd`), so
 * a line stays one line and shows what was received; at most `maxLength` characters.
 */
export function safeLogText(value: string, maxLength = 500): string {
  const clean = LOG_ESCAPED.test(value)
    ? value.replace(LOG_ESCAPED_G, c => {
        const code = c.charCodeAt(0);
        return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
      })
    : value;
  return clean.length > maxLength ? `${clean.slice(0, maxLength)}...` : clean;
}
