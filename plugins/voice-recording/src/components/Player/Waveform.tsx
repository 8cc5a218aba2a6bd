import { MouseEvent, useEffect, useMemo, useRef } from 'react';
import { Box, Typography, makeStyles, useTheme } from '@material-ui/core';
import type { ConversationDtmfEvent } from '@mvr/plugin-voice-recording-common';
import type { Waveform as WaveformData } from '../../api/VoiceRecordingApi';
import { formatDuration } from '../ConversationsPage/format';
import {
  drawWaveform,
  fractionToTime,
  layoutWaveform,
  timeFraction,
} from './waveformLayout';

/** Canvas resolution; the canvas is stretched to the width of its box. */
export const WAVEFORM_WIDTH = 1000;
export const WAVEFORM_HEIGHT = 160;
const LANE_GAP = 8;
/** Height of the row above the canvas where DTMF markers sit. */
const MARKER_ROW = 18;

const useStyles = makeStyles(theme => ({
  root: {
    position: 'relative',
    width: '100%',
    paddingTop: MARKER_ROW,
    userSelect: 'none',
  },
  canvas: {
    display: 'block',
    width: '100%',
    height: WAVEFORM_HEIGHT,
    cursor: 'pointer',
    background: theme.palette.background.default,
    borderRadius: 4,
  },
  label: {
    position: 'absolute',
    left: 4,
    padding: '0 4px',
    borderRadius: 2,
    background: theme.palette.background.paper,
    opacity: 0.9,
    pointerEvents: 'none',
    fontSize: 12,
  },
  marker: {
    position: 'absolute',
    top: 0,
    transform: 'translateX(-50%)',
    minWidth: 16,
    padding: '0 3px',
    border: 'none',
    borderRadius: 3,
    fontSize: 11,
    lineHeight: '16px',
    cursor: 'pointer',
    color: theme.palette.common.white,
    background: theme.palette.secondary.main,
  },
}));

/**
 * Both channels of a conversation as a waveform (top = recorded user, bottom = other
 * party, each labelled), with the playback position and DTMF events; clicking seeks.
 */
export function Waveform(props: {
  waveform: WaveformData;
  durationMs: number;
  currentMs: number;
  /** Labels of the top and bottom channels (the parties). */
  labels: [string, string];
  dtmf?: ConversationDtmfEvent[];
  startedAt?: string;
  onSeek: (ms: number) => void;
}) {
  const classes = useStyles();
  const theme = useTheme();
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const { waveform, durationMs, labels, dtmf, startedAt } = props;

  const layout = useMemo(
    () =>
      layoutWaveform({
        width: WAVEFORM_WIDTH,
        height: WAVEFORM_HEIGHT,
        durationMs,
        gap: LANE_GAP,
        channels: waveform.channels.slice(0, 2).map((c, i) => ({
          label: labels[i] ?? c.label,
          peaks: c.peaks,
        })),
        dtmf,
        startedAt,
      }),
    [waveform, durationMs, labels, dtmf, startedAt],
  );
  const progress = timeFraction(props.currentMs, durationMs);

  useEffect(() => {
    const ctx = canvasRef.current?.getContext('2d');
    if (!ctx) return;
    drawWaveform(
      ctx,
      layout,
      { width: WAVEFORM_WIDTH, height: WAVEFORM_HEIGHT },
      progress,
      {
        played: theme.palette.primary.main,
        unplayed: theme.palette.grey[400],
        cursor: theme.palette.error.main,
        dtmf: theme.palette.secondary.main,
        separator: theme.palette.divider,
      },
    );
  }, [layout, progress, theme]);

  const seekAt = (e: MouseEvent<HTMLElement>) => {
    const rect = e.currentTarget.getBoundingClientRect();
    if (!(rect.width > 0)) return;
    props.onSeek(
      fractionToTime((e.clientX - rect.left) / rect.width, durationMs),
    );
  };

  const ariaLabel = `Waveform: top channel ${labels[0]}, bottom channel ${labels[1]}`;
  return (
    <Box className={classes.root}>
      {/* Clicking seeks; the Seek slider is the keyboard equivalent. */}
      {/* eslint-disable-next-line jsx-a11y/click-events-have-key-events, jsx-a11y/no-noninteractive-element-interactions */}
      <canvas
        ref={canvasRef}
        width={WAVEFORM_WIDTH}
        height={WAVEFORM_HEIGHT}
        className={classes.canvas}
        role="img"
        aria-label={ariaLabel}
        data-testid="waveform"
        data-progress={progress.toFixed(4)}
        onClick={seekAt}
      />
      {layout.channels.map(channel => (
        <Typography
          key={channel.index}
          component="span"
          className={classes.label}
          style={{
            top: MARKER_ROW + channel.top + 2,
          }}
          data-testid={
            channel.index === 0
              ? 'waveform-label-recorded'
              : 'waveform-label-other'
          }
        >
          {channel.label}
        </Typography>
      ))}
      {layout.dtmf.map((marker, i) => (
        <button
          type="button"
          key={`${marker.offsetMs}-${i}`}
          className={classes.marker}
          style={{ left: `${marker.fraction * 100}%` }}
          data-testid="dtmf-marker"
          data-offset-ms={Math.round(marker.offsetMs)}
          aria-label={`DTMF ${marker.digit} at ${formatDuration(
            marker.offsetMs,
          )}`}
          title={`DTMF ${marker.digit} at ${formatDuration(marker.offsetMs)}`}
          onClick={() => props.onSeek(marker.offsetMs)}
        >
          {marker.digit}
        </button>
      ))}
    </Box>
  );
}
