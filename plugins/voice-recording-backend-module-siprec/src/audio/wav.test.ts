import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import {
  deinterleaveBytes,
  deinterleavePcm16,
  readWav,
  writeWavG711Stereo,
  writeWavPcm16Stereo,
  WAVE_FORMAT_ALAW,
  WAVE_FORMAT_MULAW,
} from './wav';
import { decodeG711, encodeG711, requireAudioTools, synthSpeech } from './__testUtils__/speech';

describe('wav', () => {
  let dir: string;
  beforeAll(() => {
    requireAudioTools();
    dir = mkdtempSync(path.join(tmpdir(), 'mvr-wav-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** sox (an independent reader) decodes the file to 16-bit PCM */
  function soxDecode(file: Buffer): { pcm: Int16Array[]; info: string } {
    const f = path.join(dir, `in-${Math.random()}.wav`);
    const raw = `${f}.raw`;
    writeFileSync(f, file);
    const info = execFileSync('/usr/bin/sox', ['--i', f]).toString();
    execFileSync('/usr/bin/sox', [f, '-t', 'raw', '-e', 'signed-integer', '-b', '16', raw]);
    return { pcm: deinterleavePcm16(readFileSync(raw), 2), info };
  }

  it('writes stereo 16-bit PCM that reads back identically (and sox agrees)', () => {
    const speech = synthSpeech('The quick brown fox.');
    const left = speech;
    const right = Int16Array.from(speech, x => -x);
    const file = writeWavPcm16Stereo(left, right, 8000);
    const parsed = readWav(file);
    expect(parsed).toMatchObject({ encoding: 'pcm16', channels: 2, sampleRate: 8000, bitsPerSample: 16 });
    expect(parsed.frames).toBe(left.length);
    const [l, r] = deinterleavePcm16(parsed.data, 2);
    expect(l).toEqual(left);
    expect(r).toEqual(right);
    const sox = soxDecode(file);
    expect(sox.info).toMatch(/Channels\s*:\s*2/);
    expect(sox.pcm[0]).toEqual(left);
  });

  it.each([
    ['mulaw', 'pcmu', WAVE_FORMAT_MULAW, /u-law/i],
    ['alaw', 'pcma', WAVE_FORMAT_ALAW, /a-law/i],
  ] as const)('writes %s stereo with the exact payload bytes', (law, codec, code, soxName) => {
    const speech = synthSpeech('Sell one hundred lots at market.');
    const left = encodeG711(codec, speech);
    const right = encodeG711(codec, speech.slice().reverse());
    const file = writeWavG711Stereo(law, left, right);
    const parsed = readWav(file);
    expect(parsed.formatCode).toBe(code);
    expect(parsed.bitsPerSample).toBe(8);
    expect(parsed.channels).toBe(2);
    const [l, r] = deinterleaveBytes(parsed.data, 2);
    expect(Buffer.from(l).equals(Buffer.from(left))).toBe(true);
    expect(Buffer.from(r).equals(Buffer.from(right))).toBe(true);
    // sox understands the header (format code, fact chunk) and expands the same values
    const sox = soxDecode(file);
    expect(sox.info).toMatch(soxName);
    expect(sox.pcm[0]).toEqual(decodeG711(codec, left));
    expect(sox.pcm[1]).toEqual(decodeG711(codec, right));
  });

  it('rejects what is not a WAV file', () => {
    expect(() => readWav(Buffer.from('not a wav file at all'))).toThrow(/RIFF/);
  });
});
