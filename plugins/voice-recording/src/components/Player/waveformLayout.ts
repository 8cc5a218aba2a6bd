/** Pure geometry of the waveform canvas (kept apart from drawing so it can be tested). */

export interface WaveformLayoutInput {
  /** Canvas size, in canvas pixels. */
  width: number;
  height: number;
  durationMs: number;
  /** Top = recorded user (left channel), bottom = other party (right channel). */
  channels: Array<{ label: string; peaks: number[] }>;
  dtmf?: Array<{ at: string; digit: string }>;
  /** Start of the conversation: DTMF instants are placed relative to it. */
  startedAt?: string;
  /** Space between two channel lanes. */
  gap?: number;
}

export interface WaveformBar {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface ChannelLayout {
  index: number;
  label: string;
  /** The lane of this channel. */
  top: number;
  height: number;
  /** Zero line, around which the bars are centred. */
  centerY: number;
  bars: WaveformBar[];
}

export interface DtmfMarker {
  digit: string;
  offsetMs: number;
  /** Position on the timeline, 0..1, and in canvas pixels. */
  fraction: number;
  x: number;
}

export interface WaveformLayout {
  channels: ChannelLayout[];
  dtmf: DtmfMarker[];
}

const clamp = (v: number, min: number, max: number) =>
  Math.min(max, Math.max(min, v));

/** Position (0..1) of a time on the timeline. */
export function timeFraction(ms: number, durationMs: number): number {
  if (!(durationMs > 0) || !Number.isFinite(ms)) return 0;
  return clamp(ms / durationMs, 0, 1);
}

/** The time (ms) at a position of the timeline, e.g. where the user clicked. */
export function fractionToTime(fraction: number, durationMs: number): number {
  if (!(durationMs > 0) || !Number.isFinite(fraction)) return 0;
  return clamp(fraction, 0, 1) * durationMs;
}

/**
 * Lays the channels out as stacked lanes (first channel on top) with one bar per
 * peak, centred on the lane's zero line, and places DTMF events on the timeline.
 */
export function layoutWaveform(input: WaveformLayoutInput): WaveformLayout {
  const { width, height, durationMs } = input;
  const n = input.channels.length;
  const gap = n > 1 ? input.gap ?? 8 : 0;
  const laneHeight = n > 0 ? (height - gap * (n - 1)) / n : 0;

  const channels = input.channels.map((channel, index) => {
    const top = index * (laneHeight + gap);
    const centerY = top + laneHeight / 2;
    const count = channel.peaks.length;
    const step = count > 0 ? width / count : 0;
    // Leave a pixel between bars when there is room for it.
    const barWidth = step >= 2 ? step - 1 : step;
    const bars = channel.peaks.map((peak, i) => {
      const amplitude = clamp(Number.isFinite(peak) ? Math.abs(peak) : 0, 0, 1);
      const h = Math.max(1, amplitude * laneHeight);
      return { x: i * step, y: centerY - h / 2, width: barWidth, height: h };
    });
    return {
      index,
      label: channel.label,
      top,
      height: laneHeight,
      centerY,
      bars,
    };
  });

  const start = input.startedAt ? Date.parse(input.startedAt) : NaN;
  const dtmf: DtmfMarker[] = [];
  for (const event of input.dtmf ?? []) {
    const at = Date.parse(event.at);
    if (Number.isNaN(at) || Number.isNaN(start)) continue;
    const offsetMs = at - start;
    if (offsetMs < 0 || (durationMs > 0 && offsetMs > durationMs)) continue;
    const fraction = timeFraction(offsetMs, durationMs);
    dtmf.push({ digit: event.digit, offsetMs, fraction, x: fraction * width });
  }
  return { channels, dtmf };
}

export interface WaveformColors {
  played: string;
  unplayed: string;
  cursor: string;
  dtmf: string;
  separator: string;
}

/** Draws a layout on a 2D context, bars before `progress` (0..1) in the played colour. */
export function drawWaveform(
  ctx: CanvasRenderingContext2D,
  layout: WaveformLayout,
  size: { width: number; height: number },
  progress: number,
  colors: WaveformColors,
): void {
  ctx.clearRect(0, 0, size.width, size.height);
  const progressX = clamp(progress, 0, 1) * size.width;
  for (const channel of layout.channels) {
    for (const bar of channel.bars) {
      ctx.fillStyle = bar.x < progressX ? colors.played : colors.unplayed;
      ctx.fillRect(bar.x, bar.y, Math.max(bar.width, 0.5), bar.height);
    }
    if (channel.index > 0) {
      ctx.fillStyle = colors.separator;
      ctx.fillRect(0, channel.top - 1, size.width, 1);
    }
  }
  ctx.fillStyle = colors.dtmf;
  for (const marker of layout.dtmf) {
    ctx.fillRect(marker.x, 0, 1, size.height);
  }
  ctx.fillStyle = colors.cursor;
  ctx.fillRect(Math.min(progressX, size.width - 2), 0, 2, size.height);
}
