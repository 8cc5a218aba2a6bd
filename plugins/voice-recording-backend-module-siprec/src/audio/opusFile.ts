/*
 * Moved to @mvr/plugin-voice-recording-node (src/audio/opusFile.ts) so that the portal
 * (voice-recording backend plugin) reads and writes the same audio format as the
 * recorder; re-exported here so existing imports keep working.
 */
export {
  OPUS_PRE_SKIP_48K,
  DEFAULT_OPUS_BITRATE,
  OggOpusWriter,
  decodeOggOpus,
  selfDelimited,
  splitMultistreamPacket,
} from '@mvr/plugin-voice-recording-node';
export type {
  OpusSampleRate,
  OggOpusWriterOptions,
  DecodedOpus,
} from '@mvr/plugin-voice-recording-node';
