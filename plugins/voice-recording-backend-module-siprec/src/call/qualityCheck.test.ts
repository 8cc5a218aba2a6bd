import { ChannelSpeechActivity } from '@mvr/plugin-voice-recording-node';
import { DEFAULT_QUALITY_CHECK, QualityCheckInput, checkQuality, longestRtpGapMs } from './qualityCheck';

const side = (speechShare: number, clippedShare = 0): ChannelSpeechActivity => ({
  frames: 1000,
  speechFrames: Math.round(speechShare * 1000),
  speechShare,
  clippedFrames: Math.round(clippedShare * speechShare * 1000),
  clippedShare,
  peakDbfs: -10,
});

const figures = (a: number, b: number, extra: Record<string, number> = {}) => ({
  packetsReceived: a + b,
  packetsLost: 0,
  late: 0,
  ...extra,
  channels: [
    { channel: 0, label: '1', packetsReceived: a, gapMs: 0 },
    { channel: 1, label: '2', packetsReceived: b, gapMs: 0 },
  ],
});

const base = (over: Partial<QualityCheckInput> = {}): QualityCheckInput => ({
  durationMs: 20_000,
  streams: 2,
  quality: figures(1000, 1000),
  audioIssues: [],
  sides: [side(0.4), side(0.35)],
  ...over,
});

const codes = (input: QualityCheckInput, config = DEFAULT_QUALITY_CHECK) => {
  const r = checkQuality(input, config, new Date('2026-12-05T10:00:00Z'));
  return { verdict: r.verdict, codes: r.reasons.map(x => `${x.code}:${x.severity}`), r };
};

describe('checkQuality', () => {
  it('speech on both sides, no loss: ok, with the figures', () => {
    const { verdict, codes: c, r } = codes(base());
    expect(verdict).toBe('ok');
    expect(c).toEqual([]);
    expect(r).toMatchObject({
      channels: [
        { side: 'recorded', speechShare: 0.4, clippedShare: 0 },
        { side: 'other', speechShare: 0.35, clippedShare: 0 },
      ],
      packetLossShare: 0,
      checkedAt: '2026-12-05T10:00:00.000Z',
    });
  });

  it('one side silent: one-way (failed), naming the silent side', () => {
    const { verdict, codes: c, r } = codes(base({ sides: [side(0.4), side(0.005)] }));
    expect(verdict).toBe('failed');
    expect(c).toEqual(['one-way:failed']);
    expect(r.reasons[0].text).toMatch(/other party's channel is silent \(speech in 0\.5% .*recorded party speaks \(40\.0%\)/);
  });

  it('both sides silent: silent (failed); no one-way', () => {
    expect(codes(base({ sides: [side(0), side(0.01)] })).codes).toEqual(['silent:failed']);
  });

  it('a stream without RTP: missing-stream (failed), not one-way', () => {
    const { verdict, codes: c, r } = codes(base({ quality: figures(1000, 0), sides: [side(0.4), side(0)] }));
    expect(verdict).toBe('failed');
    expect(c).toEqual(['missing-stream:failed']);
    expect(r.reasons[0].text).toBe('Missing stream: 2 streams offered, RTP on 1 (none on label 2)');
  });

  it('packet loss: warning from 5%, failed from 20%', () => {
    expect(codes(base({ quality: figures(900, 900, { packetsLost: 90 }) })).codes).toEqual([]);
    const w = codes(base({ quality: figures(900, 900, { packetsLost: 200 }) }));
    expect(w.verdict).toBe('warning');
    expect(w.r.reasons[0].text).toBe('Packet loss 10.0%: 200 of 2000 packets (warning from 5%)');
    expect(codes(base({ quality: figures(800, 800, { packetsLost: 400 }) })).codes).toEqual(['packet-loss:failed']);
  });

  it('late packets or a reported jitter: warning', () => {
    expect(codes(base({ quality: figures(1000, 1000, { late: 150 }) })).codes).toEqual(['jitter:warning']);
    expect(codes(base({ quality: figures(1000, 1000, { jitterMs: 80 }) })).codes).toEqual(['jitter:warning']);
    expect(codes(base({ quality: figures(1000, 1000, { jitterMs: 20, late: 10 }) })).codes).toEqual([]);
  });

  it('clipping, a short call and a long RTP gap: warnings', () => {
    expect(codes(base({ sides: [side(0.4, 0.2), side(0.3)] })).codes).toEqual(['clipping:warning']);
    expect(codes(base({ durationMs: 1500 })).codes).toEqual(['short-call:warning']);
    expect(codes(base({ longestGapMs: 6000 })).codes).toEqual(['rtp-gap:warning']);
    expect(codes(base({ longestGapMs: 4000 })).codes).toEqual([]);
  });

  it('audio issues are failed reasons; no speech verdict on a recording without audio', () => {
    const r = codes(base({ audioIssues: ['no-media'], quality: figures(0, 0), sides: [side(0), side(0)] }));
    expect(r.codes).toEqual(['no-media:failed']);
    expect(r.r.reasons[0].text).toBe('No usable audio: 0 RTP packets received');
  });

  it('thresholds come from the configuration', () => {
    const strict = { ...DEFAULT_QUALITY_CHECK, packetLossWarningPercent: 1, minDurationSeconds: 30 };
    expect(codes(base({ quality: figures(990, 990, { packetsLost: 30 }) }), strict).codes).toEqual([
      'packet-loss:warning',
      'short-call:warning',
    ]);
  });
});

describe('longestRtpGapMs', () => {
  const frames = (channel: number, starts: number[]) =>
    starts.map((s, i) => ({ channel, offsetSamples: s, samples: 160, filePos: i, encoding: 'pcma' as const }));

  it('the longest hole between frames, bounded by the time the receiver counted as lost', () => {
    // channel 0: a 6 s hole (48000 samples) with 6 s lost; channel 1: a 10 s hole (hold: nothing lost)
    const audio = [...frames(0, [0, 160, 160 + 160 + 48000]), ...frames(1, [0, 80160])];
    const quality = {
      channels: [
        { channel: 0, gapMs: 6000 },
        { channel: 1, gapMs: 0 },
      ],
    };
    expect(longestRtpGapMs(audio as any, quality, 8000)).toBe(6000);
    expect(longestRtpGapMs(audio as any, { channels: [{ channel: 0, gapMs: 100 }] }, 8000)).toBe(100);
    expect(longestRtpGapMs([], quality, 8000)).toBeUndefined();
  });
});
