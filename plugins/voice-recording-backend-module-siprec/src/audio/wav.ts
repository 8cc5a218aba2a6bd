/*
 * Moved to @mvr/plugin-voice-recording-node (src/audio/wav.ts) so that the portal
 * (voice-recording backend plugin) reads and writes the same audio format as the
 * recorder; re-exported here so existing imports keep working.
 */
export {
  WAVE_FORMAT_PCM,
  WAVE_FORMAT_ALAW,
  WAVE_FORMAT_MULAW,
  wavHeader,
  interleavePcm16,
  interleaveBytes,
  writeWavPcm16Stereo,
  writeWavG711Stereo,
  WavFormatError,
  readWav,
  deinterleavePcm16,
  deinterleaveBytes,
} from '@mvr/plugin-voice-recording-node';
export type {
  WavEncoding,
  WavFormat,
  ParsedWav,
} from '@mvr/plugin-voice-recording-node';
