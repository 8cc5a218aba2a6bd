export { StreamFramer } from './streamFramer';
export type { StreamFramerOptions } from './streamFramer';
export { UdpTransport } from './udpTransport';
export type { UdpTransportOptions, TransportEvents } from './udpTransport';
export { TcpTransport, plainTcpSockets } from './tcpTransport';
export type { TcpTransportOptions, StreamSocketFactory } from './tcpTransport';
export { TlsTransport, TLS_MIN_VERSION } from './tlsTransport';
export type { TlsTransportOptions } from './tlsTransport';
export { DEFAULT_MAX_MESSAGE_SIZE } from './types';
export type { RemoteAddress, ParseErrorInfo, TransportName } from './types';
export { ConnectionGuard, DEFAULT_STREAM_CONNECTION_LIMITS } from './connectionGuard';
export type {
  StreamConnectionLimits,
  ConnectionLimitEvent,
  ConnectionLimitReason,
  ConnectionLimitCounts,
} from './connectionGuard';
export { responseTarget } from './responseTarget';
export type { ResponseTarget } from './responseTarget';
