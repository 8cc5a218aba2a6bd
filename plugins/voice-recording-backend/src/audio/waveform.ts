import { StereoPcm } from './pcm';

/**
 * Peak envelope of each channel in `points` buckets, each the largest absolute sample
 * of the bucket scaled to 0..1 (rounded to 3 decimals to keep the JSON small).
 */
export function computePeaks(pcm: StereoPcm, points: number): number[][] {
  return [pcm.left, pcm.right].map(samples => {
    const n = Math.max(1, Math.min(points, samples.length || 1));
    const out = new Array<number>(n).fill(0);
    const per = samples.length / n;
    for (let b = 0; b < n; b++) {
      const start = Math.floor(b * per);
      const end = Math.min(samples.length, Math.floor((b + 1) * per));
      let peak = 0;
      for (let i = start; i < end; i++) {
        const v = samples[i] < 0 ? -samples[i] : samples[i];
        if (v > peak) peak = v;
      }
      out[b] = Math.round((peak / 32768) * 1000) / 1000;
    }
    return out;
  });
}
