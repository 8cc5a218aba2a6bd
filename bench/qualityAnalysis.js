#!/usr/bin/env node
/*
 * Cost of the quality check made as each call is archived (issue 19): CPU time per
 * call-hour of
 *   - the speech activity detector (20 ms frames, both sides) fed in the 1 s windows
 *     the archive step renders: 16-bit PCM (Opus at call end, G.722 calls) and G.711
 *     bytes (the lossless WAV of the default background mode), 8 kHz and 16 kHz;
 *   - the longest-RTP-gap scan of the journal's audio index (two channels, 20 ms frames);
 *   - the verdict itself.
 * Input: real speech (espeak-ng + sox), looped to one hour, with pauses.
 * Target: under 1% of a core per concurrent call, i.e. < 36 s of CPU per call-hour.
 *
 *   node bench/qualityAnalysis.js [--hours H]     (or: yarn bench quality)
 */
require('@backstage/cli/config/nodeTransform.cjs');
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const {
  SpeechActivityDetector,
} = require('../plugins/voice-recording-node/src/audio/speechActivity.ts');
const { encodeAlaw } = require('../plugins/voice-recording-node/src/audio/g711.ts');
const {
  checkQuality,
  longestRtpGapMs,
} = require('../plugins/voice-recording-backend-module-siprec/src/call/qualityCheck.ts');

const args = process.argv.slice(2);
const hours = Number(args[args.indexOf('--hours') + 1] || 1) || 1;
const TARGET_PERCENT = 1;

function speech(rate, text, voice) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mvr-bench-speech-'));
  try {
    const wav = path.join(dir, 's.wav');
    const raw = path.join(dir, 's.raw');
    execFileSync('espeak-ng', ['-v', voice, '-s', '160', '-w', wav, text]);
    execFileSync('sox', [wav, '-r', String(rate), '-c', '1', '-b', '16', '-e', 'signed-integer', '-t', 'raw', raw]);
    const b = fs.readFileSync(raw);
    const pcm = new Int16Array(b.length / 2);
    for (let i = 0; i < pcm.length; i++) pcm[i] = b.readInt16LE(i * 2);
    // followed by as long a pause (the other party speaks meanwhile)
    const out = new Int16Array(pcm.length * 2);
    out.set(pcm, 0);
    return out;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function cpuMs(fn) {
  const start = process.cpuUsage();
  const wall = process.hrtime.bigint();
  const result = fn();
  const used = process.cpuUsage(start);
  return { cpu: (used.user + used.system) / 1000, wall: Number(process.hrtime.bigint() - wall) / 1e6, result };
}

function detectorRun(rate, g711) {
  const left = speech(rate, 'I would like to buy two hundred shares of the fund at market price, please.', 'en-us');
  const right = speech(rate, 'Certainly. Two hundred shares at market, the order is confirmed.', 'en-gb');
  const window = rate; // 1 s windows, as finalize.ts renders them
  const l = new Int16Array(window);
  const r = new Int16Array(window);
  const la = new Uint8Array(window);
  const ra = new Uint8Array(window);
  const seconds = Math.round(hours * 3600);
  return cpuMs(() => {
    const d = new SpeechActivityDetector({ sampleRate: rate, channels: 2 });
    let li = 0;
    let ri = 0;
    for (let s = 0; s < seconds; s++) {
      for (let i = 0; i < window; i++) {
        l[i] = left[li++ % left.length];
        r[i] = right[ri++ % right.length];
      }
      if (g711) {
        // the WAV path: G.711 bytes (encoding them here is the bench's input, not measured apart)
        la.set(encodeAlaw(l));
        ra.set(encodeAlaw(r));
        d.pushG711([la, ra], 'pcma');
      } else {
        d.push([l, r]);
      }
    }
    return d.finish();
  });
}

/** the cost of building the input alone (copy + A-law encoding), subtracted from the runs */
function inputOnly(rate, g711) {
  const left = new Int16Array(rate * 7).fill(1000);
  const l = new Int16Array(rate);
  const r = new Int16Array(rate);
  const la = new Uint8Array(rate);
  const ra = new Uint8Array(rate);
  let sink = 0;
  const seconds = Math.round(hours * 3600);
  return cpuMs(() => {
    let li = 0;
    let ri = 0;
    for (let s = 0; s < seconds; s++) {
      for (let i = 0; i < rate; i++) {
        l[i] = left[li++ % left.length];
        r[i] = left[ri++ % left.length];
      }
      if (g711) {
        la.set(encodeAlaw(l));
        ra.set(encodeAlaw(r));
        sink += la[0] + ra[0];
      }
      sink += l[0];
    }
    return sink;
  }).cpu;
}

function gapScanRun() {
  const frames = Math.round(hours * 3600 * 50);
  const audio = [];
  for (let ch = 0; ch < 2; ch++) {
    for (let i = 0; i < frames; i++) {
      if (i % 1000 === 999) continue; // a lost packet now and then
      audio.push({ channel: ch, offsetSamples: i * 160, samples: 160, filePos: i, encoding: 'pcma' });
    }
  }
  const quality = {
    packetsReceived: audio.length,
    packetsLost: 2 * frames - audio.length,
    channels: [
      { channel: 0, packetsReceived: audio.length / 2, gapMs: 20 * Math.floor(frames / 1000) },
      { channel: 1, packetsReceived: audio.length / 2, gapMs: 20 * Math.floor(frames / 1000) },
    ],
  };
  return cpuMs(() => {
    const gap = longestRtpGapMs(audio, quality, 8000);
    return checkQuality({ durationMs: hours * 3600_000, streams: 2, quality, audioIssues: [], longestGapMs: gap });
  });
}

const perHour = ms => ms / hours;
const share = ms => (perHour(ms) / 3600_000) * 100;

console.log(`Quality check cost, ${hours} h of two-party speech per run, ${os.cpus()[0].model}, Node ${process.version}\n`);
console.log('step                                    CPU per call-hour   share of a core per concurrent call');
let worst = 0;
for (const [name, rate, g711] of [
  ['speech detector, PCM 8 kHz (Opus path)', 8000, false],
  ['speech detector, A-law 8 kHz (WAV path)', 8000, true],
  ['speech detector, PCM 16 kHz (G.722)', 16000, false],
]) {
  detectorRun(rate, g711); // warm up
  const run = detectorRun(rate, g711);
  const input = inputOnly(rate, g711);
  const net = Math.max(0, run.cpu - input);
  worst = Math.max(worst, net);
  const [a, b] = run.result;
  console.log(
    `${name.padEnd(40)}${`${perHour(net).toFixed(0)} ms`.padStart(10)}          ${share(net).toFixed(4)}%` +
      `   (speech ${a.speechShare.toFixed(2)}/${b.speechShare.toFixed(2)}; input building ${perHour(input).toFixed(0)} ms not counted)`,
  );
}
gapScanRun();
const gap = gapScanRun();
console.log(`${'RTP gap scan of the index + verdict'.padEnd(40)}${`${perHour(gap.cpu).toFixed(0)} ms`.padStart(10)}          ${share(gap.cpu).toFixed(4)}%   (verdict ${gap.result.verdict})`);
const total = worst + gap.cpu;
const ok = share(total) < TARGET_PERCENT;
console.log(
  `\nworst case total: ${perHour(total).toFixed(0)} ms of CPU per call-hour = ${share(total).toFixed(4)}% of a core per concurrent call: ${
    ok ? 'OK' : 'OVER'
  } target ${TARGET_PERCENT}%`,
);
process.exit(ok ? 0 : 1);
