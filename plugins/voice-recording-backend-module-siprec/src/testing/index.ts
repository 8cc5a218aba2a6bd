/**
 * A test Session Recording Client (entry point `@mvr/plugin-voice-recording-backend-module-siprec/testing`):
 * sends SIPREC INVITE/ACK/BYE (with SDP and rs-metadata) over UDP, TCP or TLS and
 * streams RTP, to check a recorder installation end to end or to drive it from tests.
 * Not part of the recorder itself.
 *
 * @packageDocumentation
 */
export { SrcClient, streamRtp } from './SrcClient';
export type {
  SrcCall,
  SendOptions,
  SrcTlsOptions,
  SrcReceivedRequest,
  RtpStreamOptions,
  RtpStreamResult,
} from './SrcClient';
export { buildOfferSdp, buildMetadata, buildMultipart } from './siprecMessages';
export type { OfferStream, MetadataParty } from './siprecMessages';
export { encodeAlaw, encodeUlaw } from '../codecs';
