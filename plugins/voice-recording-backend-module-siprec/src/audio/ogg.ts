/*
 * Moved to @mvr/plugin-voice-recording-node (src/audio/ogg.ts) so that the portal
 * (voice-recording backend plugin) reads and writes the same audio format as the
 * recorder; re-exported here so existing imports keep working.
 */
export {
  OGG_CONTINUED,
  OGG_BOS,
  OGG_EOS,
  oggCrc32,
  OggPageWriter,
  OggFormatError,
  readOggPages,
  readOggPackets,
} from '@mvr/plugin-voice-recording-node';
export type {
  OggPage,
  OggPacket,
} from '@mvr/plugin-voice-recording-node';
