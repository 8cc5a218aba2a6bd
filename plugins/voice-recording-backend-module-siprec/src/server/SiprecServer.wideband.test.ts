import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TestDatabases } from '@backstage/backend-test-utils';
import { decodeOggOpus } from '../audio/opusFile';
import { deinterleavePcm16, readWav } from '../audio/wav';
import { bestCorrelation, channel, encodeG711, goertzelPower, synthSpeech } from '../audio/__testUtils__/speech';
import { G722Decoder, G722Encoder, decodeAlaw } from '../codecs';
import { upsample2x } from '../media/RtpReceiver';
import { NUMBERS, finishedConversation, startRecorderBackend, waitFor } from '../__testUtils__/recorderBackend';
import { SrcClient, streamRtp } from '../testing/SrcClient';
import { buildMetadata, buildOfferSdp } from '../testing/siprecMessages';

jest.setTimeout(120_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });

const SECONDS = 3;

/** Energy of `pcm` at `hz` (Goertzel), per sample. */
function toneEnergy(pcm: Int16Array, hz: number, rate: number): number {
  return goertzelPower(pcm, hz, rate) / pcm.length;
}

/**
 * The other party talks wideband (G.722: 16 kHz speech with a 6 kHz tone, which only
 * a 16 kHz recording can hold), the recorded party narrowband (PCMA). Offered in one
 * session, the call is recorded at 16 kHz.
 */
function audio() {
  const speech = synthSpeech('The bonds settle on Thursday, please confirm the amount.', 'en-gb', 160, 16000);
  const wide = new Int16Array(16000 * SECONDS);
  for (let i = 0; i < wide.length; i++) {
    wide[i] = Math.round(0.6 * speech[i % speech.length] + 3000 * Math.sin((2 * Math.PI * 6000 * i) / 16000));
  }
  const g722 = new G722Encoder().encode(wide);
  const narrow = synthSpeech('Sell five hundred bonds at par, thank you.').subarray(0, 8000 * SECONDS);
  const pcma = encodeG711('pcma', narrow);
  return { wide, g722, pcma };
}

async function placeCall(port: number, a: ReturnType<typeof audio>) {
  const client = new SrcClient({ host: '127.0.0.1', port, transport: 'udp' });
  await client.start();
  try {
    const call = await client.invite({
      sdp: buildOfferSdp([
        { label: 'a_leg', port: 40000, payloads: [8, 101] },
        { label: 'b_leg', port: 40002, payloads: [9, 101] },
      ]),
      metadata: buildMetadata([
        { aor: `sip:${NUMBERS.recorded}@pbx`, sends: 'a_leg' },
        { aor: `tel:${NUMBERS.other}`, sends: 'b_leg' },
      ]),
    });
    expect(call.response!.status).toBe(200);
    expect(call.response!.body.toString()).toMatch(/a=rtpmap:9 G722\/8000/);
    // G.722: 160 bytes per 20 ms, RTP clock 8 kHz (RFC 3551 4.5.2)
    await Promise.all([
      streamRtp({ port: call.mediaPorts[0], payload: a.pcma, payloadType: 8 }),
      streamRtp({ port: call.mediaPorts[1], payload: a.g722, payloadType: 9 }),
    ]);
    expect((await client.bye(call)).status).toBe(200);
    return call.callId;
  } finally {
    await client.close();
  }
}

describe.each(databases.eachSupportedId())('SIPREC call with a G.722 stream on %s', databaseId => {
  it('lossless archive: a 16 kHz WAV holding the decoded G.722 samples exactly and the PCMA samples upsampled', async () => {
    const knex = await databases.init(databaseId);
    const rb = await startRecorderBackend(knex, { archiveFormat: 'wav-g711' });
    try {
      const a = audio();
      const callId = await placeCall(rb.port, a);
      const row = await finishedConversation(knex, callId);
      expect(row).toMatchObject({ ended_by: 'bye', format: 'audio/wav' });
      expect(row.codec).toMatch(/G722/);
      expect(Math.abs(row.duration_ms - SECONDS * 1000)).toBeLessThan(1000);
      const file = fs.readFileSync(path.join(rb.archiveDir, row.storage_key));
      expect(createHash('sha256').update(file).digest('hex')).toBe(row.sha256);
      const wav = readWav(file);
      expect(wav).toMatchObject({ encoding: 'pcm16', channels: 2, sampleRate: 16000 });
      const [left, right] = deinterleavePcm16(wav.data, 2);
      const bytesOf = (x: Int16Array) => Buffer.from(x.buffer, x.byteOffset, x.byteLength);
      // the other party: what a G.722 decoder makes of the bytes sent, sample for sample
      const expectedRight = new G722Decoder().decode(a.g722);
      expect(bytesOf(right).indexOf(bytesOf(expectedRight))).toBeGreaterThanOrEqual(0);
      // the recorded party: each 20 ms PCMA packet decoded and upsampled to 16 kHz
      const expectedLeft = new Int16Array(a.pcma.length * 2);
      for (let o = 0; o < a.pcma.length; o += 160) {
        expectedLeft.set(upsample2x(decodeAlaw(Buffer.from(a.pcma.subarray(o, o + 160)))), o * 2);
      }
      expect(bytesOf(left).indexOf(bytesOf(expectedLeft))).toBeGreaterThanOrEqual(0);
      // the 6 kHz tone is there: above what 8 kHz sampling can carry
      expect(toneEnergy(right, 6000, 16000)).toBeGreaterThan(100 * toneEnergy(left, 6000, 16000));
    } finally {
      await rb.stop();
      await knex.destroy();
    }
  });

  it('Opus archive: encoded from the 16 kHz timeline; compressed in the background at a wideband bit rate the 6 kHz tone is kept and both channels correlate', async () => {
    const knex = await databases.init(databaseId);
    // at the default 15 kbit/s for both channels libopus codes speech narrowband whatever
    // the input rate; 64 kbit/s (32 per channel) is what keeps the upper band
    // the default way: registered with a 16-bit 16 kHz WAV, compressed in the background
    const rb = await startRecorderBackend(knex, { opus: { encode: 'background', bitrate: 64000 } });
    try {
      const a = audio();
      const callId = await placeCall(rb.port, a);
      const registered = await finishedConversation(knex, callId);
      expect(registered.format).toBe('audio/wav');
      const row = await waitFor(
        async () => {
          const r = await knex('vr_conversations').where('sip_call_id', callId).first();
          return r?.format === 'audio/ogg; codecs=opus' ? r : undefined;
        },
        30_000,
        'the WAV to be compressed',
      );
      const file = fs.readFileSync(path.join(rb.archiveDir, row.storage_key));
      expect(createHash('sha256').update(file).digest('hex')).toBe(row.sha256);
      // OpusHead: the input sample rate (bytes 12-15)
      const head = file.indexOf(Buffer.from('OpusHead'));
      expect(file.readUInt32LE(head + 12)).toBe(16000);
      const decoded = decodeOggOpus(file, 16000);
      const right = channel(decoded.pcm, 1);
      const left = channel(decoded.pcm, 0);
      expect(toneEnergy(right, 6000, 16000)).toBeGreaterThan(20 * toneEnergy(left, 6000, 16000));
      // 2 s of what was sent against the recording's start (silence before the first packet)
      const sentRight = new G722Decoder().decode(a.g722).subarray(0, 32000);
      const sentLeft = upsample2x(decodeAlaw(Buffer.from(a.pcma))).subarray(0, 32000);
      const cr = bestCorrelation(sentRight, right.subarray(0, 32000 + 8000), 8000).value;
      const cl = bestCorrelation(sentLeft, left.subarray(0, 32000 + 8000), 8000).value;
      // eslint-disable-next-line no-console
      console.log(`G.722 + PCMA call (${databaseId}): ${file.length} bytes, correlation L ${cl.toFixed(3)} R ${cr.toFixed(3)}`);
      expect(cr).toBeGreaterThan(0.8);
      expect(cl).toBeGreaterThan(0.8);
    } finally {
      await rb.stop();
      await knex.destroy();
    }
  });
});
