export {
  decodeUlaw,
  decodeAlaw,
  encodeUlaw,
  encodeAlaw,
  ulawToLinear,
  alawToLinear,
  linearToUlaw,
  linearToAlaw,
  ULAW_DECODE_TABLE,
  ALAW_DECODE_TABLE,
} from './g711';
export { G722Decoder, G722Encoder } from './g722';
