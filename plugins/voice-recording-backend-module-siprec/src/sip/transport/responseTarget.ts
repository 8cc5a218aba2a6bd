import { SipResponse, parseVia } from '../message';
import { RemoteAddress } from './types';

/** Where a response goes when its request's connection has gone. */
export interface ResponseTarget {
  address: string;
  port: number;
  /** where the port came from, for error messages */
  via: string;
}

/**
 * RFC 3261 §18.2.2, reliable transports: a response whose connection has closed goes
 * on a new connection to the address the request came from (what a `received`
 * parameter would say) and the port of the top Via's sent-by, or the transport's
 * default port when sent-by has none. The closed connection's source port is an
 * ephemeral port of the client, where nothing listens.
 */
export function responseTarget(response: SipResponse, remote: RemoteAddress, defaultPort: number): ResponseTarget {
  const top = response.headers.getAll('Via')[0];
  let port: number | undefined;
  try {
    port = top ? parseVia(top).port : undefined;
  } catch {
    port = undefined; // unreadable Via: the default port
  }
  return {
    address: remote.address,
    port: port ?? defaultPort,
    via: port ? `Via sent-by port` : `default port, no port in Via sent-by`,
  };
}
