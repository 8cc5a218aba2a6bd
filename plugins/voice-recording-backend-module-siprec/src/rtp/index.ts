export { parseRtpPacket, serializeRtpPacket, isRtcpPacket, RtpParseError } from './packet';
export type { RtpPacket } from './packet';
export { JitterBuffer, unwrap } from './jitterBuffer';
export type { JitterBufferOptions, JitterOutput, JitterStats } from './jitterBuffer';
export {
  TelephoneEventDetector,
  parseTelephoneEvent,
  DTMF_EVENTS,
} from './telephoneEvent';
export type { DtmfEvent, TelephoneEventPayload } from './telephoneEvent';
export { staticPayloadName } from './payloadTypes';
