import { fractionToTime, layoutWaveform, timeFraction } from './waveformLayout';

describe('layoutWaveform', () => {
  const base = {
    width: 1000,
    height: 168,
    gap: 8,
    durationMs: 100_000,
    startedAt: '2026-11-25T10:30:00.000Z',
  };

  it('stacks the recorded user on top and the other party below, bars centred', () => {
    const layout = layoutWaveform({
      ...base,
      channels: [
        { label: 'Recorded user: +32470123456', peaks: [0, 0.5, 1, 2] },
        { label: 'Other party: +32471234567', peaks: [0.25, 0.25] },
      ],
    });
    const [top, bottom] = layout.channels;
    expect(top.label).toBe('Recorded user: +32470123456');
    expect(top.top).toBe(0);
    expect(top.height).toBe(80);
    expect(top.centerY).toBe(40);
    expect(bottom.label).toBe('Other party: +32471234567');
    expect(bottom.top).toBe(88);
    expect(bottom.centerY).toBe(128);

    // One bar per peak across the whole width, a pixel between bars.
    expect(top.bars.map(b => b.x)).toEqual([0, 250, 500, 750]);
    expect(top.bars[0].width).toBe(249);
    // Silence keeps a 1px line; 0.5 fills half the lane; >1 is clamped.
    expect(top.bars.map(b => b.height)).toEqual([1, 40, 80, 80]);
    expect(top.bars[1].y).toBe(20);
    expect(top.bars[2].y).toBe(0);
    expect(bottom.bars.map(b => b.x)).toEqual([0, 500]);
    expect(bottom.bars[0].y + bottom.bars[0].height / 2).toBe(128);
  });

  it('places DTMF events relative to the start and drops those off the timeline', () => {
    const layout = layoutWaveform({
      ...base,
      channels: [],
      dtmf: [
        { at: '2026-11-25T10:30:25.000Z', digit: '5' },
        { at: '2026-11-25T10:31:15.000Z', digit: '#' },
        { at: '2026-11-25T10:29:59.000Z', digit: '1' },
        { at: '2026-11-25T10:31:41.000Z', digit: '2' },
        { at: 'not a date', digit: '3' },
      ],
    });
    expect(layout.dtmf).toEqual([
      { digit: '5', offsetMs: 25_000, fraction: 0.25, x: 250 },
      { digit: '#', offsetMs: 75_000, fraction: 0.75, x: 750 },
    ]);
  });

  it('gives a single channel the whole height', () => {
    const layout = layoutWaveform({
      ...base,
      channels: [{ label: 'mono', peaks: [1] }],
    });
    expect(layout.channels[0].height).toBe(168);
  });

  it('converts between time and timeline position, clamped', () => {
    expect(timeFraction(30_000, 120_000)).toBe(0.25);
    expect(timeFraction(500_000, 120_000)).toBe(1);
    expect(timeFraction(10, 0)).toBe(0);
    expect(fractionToTime(0.5, 120_000)).toBe(60_000);
    expect(fractionToTime(-1, 120_000)).toBe(0);
    expect(fractionToTime(2, 120_000)).toBe(120_000);
  });
});
