/*
 * G.711 lives in @mvr/plugin-voice-recording-node (src/audio/g711.ts) so that the Opus
 * encoder threads (and the portal) decode it with the same tables; re-exported here so
 * the recorder's imports keep working.
 */
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
} from '@mvr/plugin-voice-recording-node';
