export { StreamFramer } from './streamFramer';
export type { StreamFramerOptions } from './streamFramer';
export { UdpTransport } from './udpTransport';
export type { UdpTransportOptions, TransportEvents } from './udpTransport';
export { TcpTransport } from './tcpTransport';
export type { TcpTransportOptions } from './tcpTransport';
export { DEFAULT_MAX_MESSAGE_SIZE } from './types';
export type { RemoteAddress, ParseErrorInfo, TransportName } from './types';
