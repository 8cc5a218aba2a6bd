import {
  SipMessage,
  SipParseError,
  SipHeaders,
  buildParseErrorResponse,
  findHeaderEnd,
  parseHeaderSection,
  parseSipMessage,
  readContentLength,
} from '../message';
import { DEFAULT_MAX_MESSAGE_SIZE, ParseErrorInfo } from './types';

export interface StreamFramerOptions {
  /** Largest accepted message, headers + body, in bytes. */
  maxMessageSize?: number;
  onMessage: (message: SipMessage, raw: Buffer) => void;
  onError: (info: ParseErrorInfo) => void;
  /** RFC 5626 keep-alive: a CRLFCRLF "ping" was received (answer with CRLF). */
  onKeepAlive?: () => void;
}

const CONTENT_LENGTH_LINE = /^(?:content-length|l)[ \t]*:[ \t]*(\d{1,9})[ \t]*$/gim;

/**
 * Splits a TCP byte stream into SIP messages using Content-Length (RFC 3261
 * §18.3). Several messages per chunk and one message over several chunks are
 * both handled; CRLF keep-alives between messages are skipped. A message that
 * does not parse but whose length is known is reported and skipped (resync);
 * when the length cannot be known the error is fatal and the stream is dead.
 */
export class StreamFramer {
  private buffer: Buffer = Buffer.alloc(0);
  private discard = 0;
  private lineEndRun = 0;
  private dead = false;
  private readonly max: number;

  constructor(private readonly options: StreamFramerOptions) {
    this.max = options.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE;
  }

  /** True after a fatal error: further input is ignored. */
  get closed(): boolean {
    return this.dead;
  }

  /** Bytes held waiting for the rest of a message. */
  get pending(): number {
    return this.buffer.length;
  }

  push(input: Buffer): void {
    if (this.dead || input.length === 0) return;
    let chunk = input;
    if (this.discard > 0) {
      const n = Math.min(this.discard, chunk.length);
      this.discard -= n;
      chunk = chunk.subarray(n);
      if (chunk.length === 0) return;
    }
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
    this.drain();
  }

  private fatal(error: SipParseError, raw?: Buffer, response?: ParseErrorInfo['response']) {
    this.dead = true;
    this.buffer = Buffer.alloc(0);
    this.options.onError({ error, raw, response, fatal: true });
  }

  private drain(): void {
    while (!this.dead && this.buffer.length > 0) {
      // Skip keep-alives / stray line ends between messages.
      let skip = 0;
      while (skip < this.buffer.length && (this.buffer[skip] === 0x0d || this.buffer[skip] === 0x0a)) {
        skip++;
        if (++this.lineEndRun === 4) {
          this.lineEndRun = 0;
          this.options.onKeepAlive?.();
        }
      }
      if (skip > 0) {
        this.buffer = this.buffer.subarray(skip);
        if (this.buffer.length === 0) return;
      }
      this.lineEndRun = 0;

      const end = findHeaderEnd(this.buffer);
      if (!end) {
        if (this.buffer.length > this.max) {
          this.fatal(new SipParseError('Message too large', `no end of headers within ${this.max} bytes`));
        }
        return;
      }
      const headerBytes = end.index + end.sepLength;
      const headerText = this.buffer.toString('utf8', 0, end.index);

      let contentLength: number | undefined;
      let headerError: SipParseError | undefined;
      let partial: SipParseError['partial'];
      try {
        const section = parseHeaderSection(headerText);
        partial = section;
        contentLength = readContentLength(new SipHeaders(section.headers), section);
      } catch (e) {
        headerError = e instanceof SipParseError ? e : new SipParseError('Malformed message', String(e));
        partial = headerError.partial;
        contentLength = scanContentLength(headerText);
      }
      if (contentLength === undefined) {
        const error = headerError ?? new SipParseError('Missing Content-Length', 'required on stream transports', partial);
        this.fatal(error, this.buffer.subarray(0, headerBytes), addressable(error));
        return;
      }
      if (headerBytes + contentLength > this.max) {
        // Too large: answer 513 when possible and skip the message's bytes.
        const error = new SipParseError('Message Too Large', `${headerBytes + contentLength} > ${this.max} bytes`, partial);
        const response = tooLarge(partial);
        const available = this.buffer.length - headerBytes;
        this.discard = Math.max(0, contentLength - available);
        this.buffer = this.buffer.subarray(Math.min(this.buffer.length, headerBytes + contentLength));
        this.options.onError({ error, response, fatal: false });
        continue;
      }
      if (this.buffer.length < headerBytes + contentLength) return;

      const raw = Buffer.from(this.buffer.subarray(0, headerBytes + contentLength));
      this.buffer = this.buffer.subarray(headerBytes + contentLength);
      if (headerError) {
        this.options.onError({ error: headerError, raw, response: addressable(headerError), fatal: false });
        continue;
      }
      let message: SipMessage;
      try {
        message = parseSipMessage(raw, { requireContentLength: true });
      } catch (e) {
        const error = e as SipParseError;
        this.options.onError({ error, raw, response: addressable(error), fatal: false });
        continue;
      }
      this.options.onMessage(message, raw);
    }
  }
}

function scanContentLength(headerText: string): number | undefined {
  const values = new Set<number>();
  for (const m of headerText.matchAll(CONTENT_LENGTH_LINE)) values.add(Number(m[1]));
  return values.size === 1 ? [...values][0] : undefined;
}

function addressable(error: SipParseError) {
  return buildParseErrorResponse(error);
}

function tooLarge(partial: SipParseError['partial']) {
  return buildParseErrorResponse(
    new SipParseError('Message Too Large', undefined, partial),
    513,
  );
}
