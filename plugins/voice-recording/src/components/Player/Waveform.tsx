import {
  CSSProperties,
  MouseEvent,
  useEffect,
  useMemo,
  useRef,
  useState,
} from 'react';
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

const rootStyle: CSSProperties = {
  position: 'relative',
  width: '100%',
  paddingTop: MARKER_ROW,
  userSelect: 'none',
};
const canvasStyle: CSSProperties = {
  display: 'block',
  width: '100%',
  height: WAVEFORM_HEIGHT,
  cursor: 'pointer',
  background: 'var(--bui-bg-neutral-2)',
  borderRadius: 'var(--bui-radius-2)',
};
const labelStyle: CSSProperties = {
  position: 'absolute',
  left: 4,
  padding: '0 4px',
  borderRadius: 'var(--bui-radius-1)',
  background: 'var(--bui-bg-neutral-1)',
  color: 'var(--bui-fg-primary)',
  opacity: 0.9,
  pointerEvents: 'none',
  fontFamily: 'var(--bui-font-regular)',
  fontSize: 12,
};
const markerStyle: CSSProperties = {
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
  color: 'var(--bui-accent-fg)',
  background: 'var(--bui-accent-bg)',
};

/**
 * The canvas colours from the Backstage UI theme in force (light or dark): the CSS
 * variables as the canvas sees them, with fallbacks where no BUI stylesheet is loaded.
 */
function waveformColors(element: Element) {
  const style = getComputedStyle(element);
  const v = (name: string, fallback: string) =>
    style.getPropertyValue(name).trim() || fallback;
  return {
    played: v('--bui-accent-bg', '#1f5493'),
    unplayed: v('--bui-fg-disabled', '#bdbdbd'),
    cursor: v('--bui-negative-fg-subdued', '#991919'),
    dtmf: v('--bui-warning-fg-subdued', '#aa4d00'),
    separator: v('--bui-border-1', '#e0e0e0'),
  };
}

/** The theme mode set on the page (`data-theme-mode` on html or body), to redraw on a switch. */
function readThemeMode(): string {
  return [document.documentElement, document.body]
    .map(element => element?.getAttribute('data-theme-mode') ?? '')
    .join('|');
}

export function useThemeMode(): string {
  const [mode, setMode] = useState(readThemeMode);
  useEffect(() => {
    const observer = new MutationObserver(() => setMode(readThemeMode()));
    for (const element of [document.documentElement, document.body]) {
      observer.observe(element, {
        attributes: true,
        attributeFilter: ['data-theme-mode'],
      });
    }
    return () => observer.disconnect();
  }, []);
  return mode;
}

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
  const canvasRef = useRef<HTMLCanvasElement>(null);
  // the canvas colours come from the theme: redrawn when it switches (light/dark)
  const themeMode = useThemeMode();
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
    const canvas = canvasRef.current;
    const ctx = canvas?.getContext('2d');
    if (!canvas || !ctx) return;
    drawWaveform(
      ctx,
      layout,
      { width: WAVEFORM_WIDTH, height: WAVEFORM_HEIGHT },
      progress,
      waveformColors(canvas),
    );
  }, [layout, progress, themeMode]);

  const seekAt = (e: MouseEvent<HTMLElement>) => {
    const rect = e.currentTarget.getBoundingClientRect();
    if (!(rect.width > 0)) return;
    props.onSeek(
      fractionToTime((e.clientX - rect.left) / rect.width, durationMs),
    );
  };

  const ariaLabel = `Waveform: top channel ${labels[0]}, bottom channel ${labels[1]}`;
  return (
    <div style={rootStyle}>
      {/* Clicking seeks; the Seek slider is the keyboard equivalent. */}
      {/* eslint-disable-next-line jsx-a11y/click-events-have-key-events, jsx-a11y/no-noninteractive-element-interactions */}
      <canvas
        ref={canvasRef}
        width={WAVEFORM_WIDTH}
        height={WAVEFORM_HEIGHT}
        style={canvasStyle}
        role="img"
        aria-label={ariaLabel}
        data-testid="waveform"
        data-progress={progress.toFixed(4)}
        onClick={seekAt}
      />
      {layout.channels.map(channel => (
        <span
          key={channel.index}
          style={{ ...labelStyle, top: MARKER_ROW + channel.top + 2 }}
          data-testid={
            channel.index === 0
              ? 'waveform-label-recorded'
              : 'waveform-label-other'
          }
        >
          {channel.label}
        </span>
      ))}
      {layout.dtmf.map((marker, i) => (
        <button
          type="button"
          key={`${marker.offsetMs}-${i}`}
          style={{ ...markerStyle, left: `${marker.fraction * 100}%` }}
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
    </div>
  );
}
