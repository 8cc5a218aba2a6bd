import { SipMessage } from './message';

/**
 * Serialises a message with CRLF line ends. Content-Length is always written
 * and always equals the body length (any stale value is replaced).
 */
export function serializeSipMessage(message: SipMessage): Buffer {
  const startLine =
    message.kind === 'request'
      ? `${message.method} ${message.uri} ${message.version}`
      : `${message.version} ${message.status} ${message.reason}`;
  const lines = [startLine];
  for (const h of message.headers.list()) {
    if (h.name.toLowerCase() === 'content-length') continue;
    lines.push(`${h.name}: ${h.value.replace(/\r?\n[ \t]*/g, ' ')}`);
  }
  lines.push(`Content-Length: ${message.body.length}`);
  const head = Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'utf8');
  return message.body.length ? Buffer.concat([head, message.body]) : head;
}
