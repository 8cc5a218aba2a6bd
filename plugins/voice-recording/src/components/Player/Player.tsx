import { useEffect, useRef, useState } from 'react';
import useAsync from 'react-use/esm/useAsync';
import {
  Alert,
  ButtonIcon,
  Flex,
  Select,
  Skeleton,
  Slider,
  Text,
} from '@backstage/ui';
import { useApi } from '@backstage/frontend-plugin-api';
import {
  AudioFormat,
  ConversationDetail,
  Waveform as WaveformData,
  voiceRecordingApiRef,
} from '../../api/VoiceRecordingApi';
import { ErrorAlert } from '../ErrorAlert/ErrorAlert';
import { formatDuration } from '../ConversationsPage/format';
import { qualityWarningText } from '../ConversationsPage/QualityWarnings';
import { otherQualityWarnings } from '../ConversationsPage/AudioIssues';
import { preferredAudioFormat } from './audioFormat';
import { useAuthCookie } from './useAuthCookie';
import { Waveform } from './Waveform';

export const PLAYBACK_SPEEDS = [0.5, 0.75, 1, 1.25, 1.5, 1.75, 2];
export const WAVEFORM_POINTS = 1000;

/** Play and pause glyphs (24 px, currentColor), as in Remix Icon's fill set. */
function PlayIcon() {
  return (
    <svg width="20" height="20" viewBox="0 0 24 24" aria-hidden="true">
      <path
        fill="currentColor"
        d="M8 5.5v13a.5.5 0 0 0 .77.42l10.2-6.5a.5.5 0 0 0 0-.84L8.77 5.08A.5.5 0 0 0 8 5.5Z"
      />
    </svg>
  );
}

function PauseIcon() {
  return (
    <svg width="20" height="20" viewBox="0 0 24 24" aria-hidden="true">
      <path fill="currentColor" d="M6 5h4v14H6zM14 5h4v14h-4z" />
    </svg>
  );
}

/** The Seek slider's position read out in seconds ("31 seconds"), not in raw numbers. */
const SEEK_FORMAT: Intl.NumberFormatOptions = {
  style: 'unit',
  unit: 'second',
  unitDisplay: 'long',
  maximumFractionDigits: 0,
};

/**
 * Plays a conversation in the browser: an `<audio>` element fed by the audio endpoint
 * (authenticated by the user cookie, seeking through HTTP Range requests), with
 * play/pause, seek, speed, time, and the two-channel waveform.
 *
 * The element preloads the metadata as soon as the page has the cookie (the first Ogg
 * pages and, for the duration, the last ones), so that Play only has to start the
 * decoder. The backend audits that as audio access; the playback start itself is
 * reported by `recordPlaybackStart` on the element's `play` event: the first Play
 * after the conversation opened, and the first Play after it played to the end.
 */
export function Player(props: {
  conversation: ConversationDetail;
  /** Labels of the recorded user's and the other party's channels. */
  labels: [string, string];
  /** Called once a playback start has been recorded (e.g. to refresh the access history). */
  onPlaybackRecorded?: () => void;
}) {
  const { conversation, labels } = props;
  // audio issues have their own banner on the call page
  const warnings = otherQualityWarnings(conversation);
  const api = useApi(voiceRecordingApiRef);
  const audioRef = useRef<HTMLAudioElement>(null);
  const cookie = useAuthCookie(api);

  const [format, setFormat] = useState<AudioFormat | undefined>();
  const [playing, setPlaying] = useState(false);
  const [currentMs, setCurrentMs] = useState(0);
  const [durationMs, setDurationMs] = useState(
    conversation.audio?.durationMs ?? conversation.durationMs ?? 0,
  );
  const [rate, setRate] = useState(1);
  const [playError, setPlayError] = useState<Error | undefined>();
  const [auditError, setAuditError] = useState<Error | undefined>();
  // true until the current listen has been reported as a playback start
  const startPending = useRef(true);

  // Decide the format once the <audio> element exists (canPlayType is the browser's).
  useEffect(() => {
    setFormat(
      preferredAudioFormat(
        audioRef.current ?? undefined,
        conversation.audio?.formats,
      ),
    );
  }, [conversation.audio?.formats]);

  const src = useAsync(
    async () => (format ? api.getAudioUrl(conversation.id, format) : undefined),
    [api, conversation.id, format],
  );
  // Not useAsync: the request is aborted when the page is left (see getWaveform).
  const [waveform, setWaveform] = useState<{
    loading: boolean;
    value?: WaveformData;
    error?: Error;
  }>({ loading: true });
  useEffect(() => {
    const controller = new AbortController();
    setWaveform({ loading: true });
    api
      .getWaveform(conversation.id, WAVEFORM_POINTS, {
        signal: controller.signal,
      })
      .then(
        value => setWaveform({ loading: false, value }),
        error => {
          if (!controller.signal.aborted)
            setWaveform({ loading: false, error: error as Error });
        },
      );
    return () => controller.abort();
  }, [api, conversation.id]);

  // On leaving the page, stop the element's download: a paused or preloaded <audio>
  // keeps its HTTP connection open until it is garbage collected, and a few of them
  // (one per call opened) take all of the browser's connections to the backend, so
  // that the next call's audio waits seconds for one.
  useEffect(() => {
    const audio = audioRef.current;
    return () => {
      if (!audio) return;
      audio.pause();
      audio.removeAttribute('src');
      audio.load();
    };
  }, []);

  // A new source is a new listen.
  useEffect(() => {
    startPending.current = true;
  }, [src.value]);

  const onPlay = () => {
    setPlaying(true);
    if (!startPending.current || !format) return;
    startPending.current = false;
    setAuditError(undefined);
    // not awaited: playback never waits for the audit call
    api
      .recordPlaybackStart(conversation.id, format)
      .then(() => props.onPlaybackRecorded?.())
      .catch(e => setAuditError(e as Error));
  };

  // Apply the speed to the element (also after a new source resets it).
  useEffect(() => {
    const audio = audioRef.current;
    if (audio) {
      audio.defaultPlaybackRate = rate;
      audio.playbackRate = rate;
    }
  }, [rate, src.value]);

  const audioReady = cookie.ready && !!src.value;

  const togglePlay = async () => {
    const audio = audioRef.current;
    if (!audio) return;
    setPlayError(undefined);
    if (audio.paused) {
      try {
        await audio.play();
      } catch (e) {
        setPlayError(e as Error);
      }
    } else {
      audio.pause();
    }
  };

  const seek = (ms: number) => {
    const clamped = Math.max(0, Math.min(ms, durationMs || ms));
    const audio = audioRef.current;
    if (audio) audio.currentTime = clamped / 1000;
    setCurrentMs(clamped);
  };

  const onSpeed = (key: unknown) => {
    const value = Number(key);
    if (PLAYBACK_SPEEDS.includes(value)) setRate(value);
  };

  const updateDuration = () => {
    const d = audioRef.current?.duration;
    if (d !== undefined && Number.isFinite(d) && d > 0) {
      setDurationMs(d * 1000);
    }
  };

  return (
    <Flex
      direction="column"
      gap="2"
      data-testid="player"
      aria-label="Player"
      role="region"
    >
      {/* eslint-disable-next-line jsx-a11y/media-has-caption -- recorded calls have no captions */}
      <audio
        ref={audioRef}
        src={audioReady ? src.value : undefined}
        // Headers and duration are fetched when the page opens, so that Play starts
        // at once; the playback start is audited by onPlay, not by this fetch.
        preload="metadata"
        data-testid="player-audio"
        data-format={format}
        onPlay={onPlay}
        onPause={() => setPlaying(false)}
        onEnded={() => {
          setPlaying(false);
          startPending.current = true;
        }}
        onTimeUpdate={() =>
          setCurrentMs((audioRef.current?.currentTime ?? 0) * 1000)
        }
        onLoadedMetadata={updateDuration}
        onDurationChange={updateDuration}
        onError={() =>
          setPlayError(
            new Error(
              `The audio could not be loaded (${format ?? 'unknown'} format)`,
            ),
          )
        }
      />
      <Flex align="center" gap="4" style={{ flexWrap: 'wrap' }}>
        <ButtonIcon
          data-testid="play-button"
          aria-label={playing ? 'Pause' : 'Play'}
          variant="primary"
          isDisabled={!audioReady}
          onPress={togglePlay}
          icon={playing ? <PauseIcon /> : <PlayIcon />}
        />
        <Text
          variant="body-medium"
          data-testid="player-time"
          aria-label="Playback position"
          style={{ fontVariantNumeric: 'tabular-nums' }}
        >
          {formatDuration(currentMs)} / {formatDuration(durationMs)}
        </Text>
        <div style={{ flex: 1, minWidth: 200 }}>
          <Slider
            aria-label="Seek"
            data-testid="seek-slider"
            minValue={0}
            maxValue={Math.max(durationMs, 1000) / 1000}
            step={0.1}
            value={Math.min(currentMs, Math.max(durationMs, 1000)) / 1000}
            isDisabled={!audioReady}
            formatOptions={SEEK_FORMAT}
            onChange={v => seek((Array.isArray(v) ? v[0] : v) * 1000)}
          />
        </div>
        <div style={{ width: 140 }}>
          <Select
            label="Playback speed"
            data-testid="speed-select"
            value={String(rate)}
            onChange={onSpeed}
            options={PLAYBACK_SPEEDS.map(speed => ({
              value: String(speed),
              label: `${speed}×`,
            }))}
          />
        </div>
      </Flex>
      {!cookie.ready && !cookie.error && (
        <Text variant="body-medium">Preparing playback…</Text>
      )}
      <ErrorAlert error={cookie.error} title="Could not authorise playback" />
      <ErrorAlert error={src.error} />
      <ErrorAlert error={playError} title="Playback failed" />
      <ErrorAlert
        error={auditError}
        title="The playback start could not be recorded"
      />
      {conversation.audio && !conversation.audio.available && (
        <Alert
          status="info"
          icon
          title="This conversation has no audio available."
        />
      )}
      {warnings.length > 0 && (
        <Alert
          status="warning"
          icon
          data-testid="player-quality-warnings"
          title={`Quality warnings: ${warnings
            .map(qualityWarningText)
            .join('; ')}`}
        />
      )}
      {waveform.loading && (
        <Skeleton
          width="100%"
          height={4}
          role="progressbar"
          aria-label="Loading the waveform"
        />
      )}
      <ErrorAlert error={waveform.error} title="Waveform unavailable" />
      {waveform.value && (
        <Waveform
          waveform={waveform.value}
          durationMs={durationMs || waveform.value.durationMs}
          currentMs={currentMs}
          labels={labels}
          dtmf={conversation.dtmf}
          startedAt={conversation.startedAt}
          onSeek={seek}
        />
      )}
    </Flex>
  );
}
