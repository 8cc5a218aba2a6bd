import { SipParseError, SipResponse } from '../message';

export type TransportName = 'udp' | 'tcp' | 'tls';

/** Where a message came from, and where its responses go. */
export interface RemoteAddress {
  transport: TransportName;
  address: string;
  port: number;
  /** TCP and TLS: the connection the message arrived on (responses reuse it). */
  connectionId?: string;
}

export interface ParseErrorInfo {
  error: SipParseError;
  /** The bytes that failed to parse, when known. */
  raw?: Buffer;
  /** A 400 (or 513) to send back when the request could be addressed. */
  response?: SipResponse;
  /** True when the stream cannot be resynchronised and must be closed. */
  fatal: boolean;
}

export const DEFAULT_MAX_MESSAGE_SIZE = 65_535;
