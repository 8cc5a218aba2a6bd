/**
 * SIPREC (RFC 7866) recorder protocol layers: SIP message, transport,
 * transaction and dialog; SIPREC body, metadata and SDP answer; RTP; codecs.
 *
 * @packageDocumentation
 */
export * from './sip/message';
export * from './sip/transport';
export * from './sip/transaction';
export * from './sip/dialog';
export * from './siprec';
export * from './rtp';
export * from './codecs';
