import type { AudioFormat } from '../../api/VoiceRecordingApi';

export const OGG_OPUS_MIME = 'audio/ogg; codecs=opus';

/**
 * The format to ask the audio endpoint for: Ogg/Opus when the browser can play it
 * (and the backend offers it, when it said what it offers), else 16-bit WAV.
 */
export function preferredAudioFormat(
  media: Pick<HTMLMediaElement, 'canPlayType'> | undefined,
  offered?: string[],
): AudioFormat {
  const canOgg = !!media && media.canPlayType(OGG_OPUS_MIME) !== '';
  const offersOgg =
    !offered || offered.length === 0 || offered.some(f => /ogg|opus/i.test(f));
  return canOgg && offersOgg ? 'ogg' : 'wav';
}
