export { SipParseError } from './errors';
export {
  SipHeaders,
  canonicalHeaderName,
  splitHeaderList,
  unquote,
  parseParams,
  parseNameAddr,
  parseVia,
  parseCSeq,
  parseContentType,
  parseUri,
} from './headers';
export type {
  SipHeader,
  NameAddr,
  ViaHeader,
  CSeqHeader,
  ContentType,
  SipUri,
} from './headers';
export { isRequest, isResponse } from './message';
export type { SipMessage, SipRequest, SipResponse } from './message';
export {
  parseSipMessage,
  findHeaderEnd,
  leadingLineEnds,
  parseHeaderSection,
  readContentLength,
} from './parse';
export type { ParseOptions } from './parse';
export { serializeSipMessage } from './serialize';
export { safeReasonPhrase, safeQuotedText, safeLogText } from './sanitize';
export { buildResponse, buildParseErrorResponse, defaultToTag } from './response';
export type { BuildResponseOptions } from './response';
