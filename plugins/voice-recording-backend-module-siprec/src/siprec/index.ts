export { parseMultipart, parseBodyParts, MultipartParseError } from './multipart';
export type { MimePart } from './multipart';
export {
  detectSiprec,
  isSiprecInvite,
  extractRecordingBody,
  RecordingBodyError,
  METADATA_MEDIA_TYPES,
} from './recordingRequest';
export type { SiprecDetection, RecordingBody } from './recordingRequest';
export {
  parseRecordingMetadata,
  mergeMetadata,
  participantsForLabel,
  aorToE164,
  MetadataParseError,
  RECORDING_NAMESPACES,
  DRAFT_NAMESPACE,
} from './metadata';
export type {
  RecordingMetadata,
  MetadataParticipant,
  MetadataStream,
  MetadataSession,
  MetadataGroup,
  MetadataNameId,
  ParseMetadataOptions,
} from './metadata';
export { vendorHints } from './vendorHints';
export type { VendorHints } from './vendorHints';
export { buildSdpAnswer, SdpNegotiationError, DECODABLE_CODECS } from './sdpAnswer';
export type {
  SdpAnswerOptions,
  NegotiatedStream,
  OfferedStream,
  StreamAllocation,
  DecodableCodec,
  Direction,
} from './sdpAnswer';
