import { ChangeEvent, useEffect, useRef, useState } from 'react';
import useAsync from 'react-use/esm/useAsync';
import {
  Box,
  IconButton,
  LinearProgress,
  Slider,
  Typography,
} from '@material-ui/core';
import { Alert } from '@material-ui/lab';
import PlayArrowIcon from '@material-ui/icons/PlayArrow';
import PauseIcon from '@material-ui/icons/Pause';
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
import { LabeledTextField } from '../LabeledTextField/LabeledTextField';
import { preferredAudioFormat } from './audioFormat';
import { useAuthCookie } from './useAuthCookie';
import { Waveform } from './Waveform';

export const PLAYBACK_SPEEDS = [0.5, 0.75, 1, 1.25, 1.5, 1.75, 2];
export const WAVEFORM_POINTS = 1000;

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

  const onSpeed = (e: ChangeEvent<{ value: unknown }>) => {
    const value = Number(e.target.value);
    if (PLAYBACK_SPEEDS.includes(value)) setRate(value);
  };

  const updateDuration = () => {
    const d = audioRef.current?.duration;
    if (d !== undefined && Number.isFinite(d) && d > 0) {
      setDurationMs(d * 1000);
    }
  };

  return (
    <Box
      display="flex"
      flexDirection="column"
      gridGap={8}
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
      <Box display="flex" alignItems="center" gridGap={16} flexWrap="wrap">
        <IconButton
          data-testid="play-button"
          aria-label={playing ? 'Pause' : 'Play'}
          color="primary"
          disabled={!audioReady}
          onClick={togglePlay}
        >
          {playing ? <PauseIcon /> : <PlayArrowIcon />}
        </IconButton>
        <Typography
          variant="body2"
          data-testid="player-time"
          aria-label="Playback position"
        >
          {formatDuration(currentMs)} / {formatDuration(durationMs)}
        </Typography>
        <Box flex={1} minWidth={200} px={1}>
          <Slider
            aria-label="Seek"
            data-testid="seek-slider"
            min={0}
            max={Math.max(durationMs, 1)}
            step={100}
            value={Math.min(currentMs, Math.max(durationMs, 1))}
            disabled={!audioReady}
            getAriaValueText={v => formatDuration(v)}
            onChange={(_, v) => seek(Array.isArray(v) ? v[0] : v)}
          />
        </Box>
        <Box width={140}>
          <LabeledTextField
            select
            fullWidth
            label="Playback speed"
            value={String(rate)}
            onChange={onSpeed}
            SelectProps={{ native: true }}
            InputLabelProps={{ shrink: true }}
            inputProps={{
              'aria-label': 'Playback speed',
              'data-testid': 'speed-select',
            }}
          >
            {PLAYBACK_SPEEDS.map(s => (
              <option key={s} value={String(s)}>
                {s}×
              </option>
            ))}
          </LabeledTextField>
        </Box>
      </Box>
      {!cookie.ready && !cookie.error && (
        <Typography variant="body2">Preparing playback…</Typography>
      )}
      <ErrorAlert error={cookie.error} title="Could not authorise playback" />
      <ErrorAlert error={src.error} />
      <ErrorAlert error={playError} title="Playback failed" />
      <ErrorAlert
        error={auditError}
        title="The playback start could not be recorded"
      />
      {conversation.audio && !conversation.audio.available && (
        <Alert severity="info">This conversation has no audio available.</Alert>
      )}
      {warnings.length > 0 && (
        <Alert severity="warning" data-testid="player-quality-warnings">
          Quality warnings: {warnings.map(qualityWarningText).join('; ')}
        </Alert>
      )}
      {waveform.loading && <LinearProgress />}
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
    </Box>
  );
}
