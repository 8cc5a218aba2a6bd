/*
 * The Opus archive's layer (`voiceRecording.recorder.opus.layer`, issue 21) through the whole
 * recorder: real SIPREC calls over UDP with real RTP. By default the archive is CELT (at
 * 18800 bit/s), also when it is compressed in the background by the archive job on the
 * encoder threads (the job carries the layer); `layer: silk` gives SILK packets (at 15000
 * bit/s); the start-up line names the layer and its bit rate; a wrong value stops the
 * recorder's start with an error naming the key. SQLite and PostgreSQL.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TestDatabases } from '@backstage/backend-test-utils';
import { splitMultistreamPacket } from '@mvr/plugin-voice-recording-node';
import { decodeOggOpus } from '../audio/opusFile';
import { readOggPackets, readOggPages } from '../audio/ogg';
import { bestCorrelation, channel, encodeG711, synthSpeech } from '../audio/__testUtils__/speech';
import {
  RecorderBackend,
  compressedConversation,
  finishedConversation,
  startRecorderBackend,
  twoPartyMetadata,
  twoStreamOffer,
} from '../__testUtils__/recorderBackend';
import { SrcClient, streamRtp } from '../testing/SrcClient';

jest.setTimeout(180_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });

describe.each(databases.eachSupportedId())('Opus archive layer (opus.layer) on %s', databaseId => {
  let rb: RecorderBackend | undefined;
  let udp: SrcClient | undefined;

  afterEach(async () => {
    await udp?.close();
    await rb?.stop();
    udp = undefined;
    rb = undefined;
  });

  /** one two-party call of 3 s of speech per side; its archive as stored once final */
  async function recordCall(background: boolean) {
    udp = new SrcClient({ host: '127.0.0.1', port: rb!.port, transport: 'udp' });
    await udp.start();
    const a = synthSpeech('Buy five hundred thousand pounds against euros at one point one seven.').subarray(0, 8000 * 3);
    const b = synthSpeech('Confirmed, five hundred thousand at one point one seven.', 'en-gb').subarray(0, 8000 * 3);
    const call = await udp.invite({ sdp: twoStreamOffer(), metadata: twoPartyMetadata() });
    expect(call.response!.status).toBe(200);
    await Promise.all([
      streamRtp({ port: call.mediaPorts[0], payload: encodeG711('pcma', a), payloadType: 8 }),
      streamRtp({ port: call.mediaPorts[1], payload: encodeG711('pcma', b), payloadType: 8 }),
    ]);
    expect((await udp.bye(call)).status).toBe(200);
    const row = background ? await compressedConversation(rb!.knex, call.callId) : await finishedConversation(rb!.knex, call.callId);
    expect(row.format).toBe('audio/ogg; codecs=opus');
    const file = fs.readFileSync(path.join(rb!.archiveDir, row.storage_key));
    // every stream's packets apart (two mono streams), skipped silence (1 byte) left out
    const streams = readOggPackets(readOggPages(file))
      .slice(2)
      .flatMap(p => splitMultistreamPacket(p.data, 2))
      .filter(s => s.length > 1);
    const decoded = decodeOggOpus(file, 8000);
    expect(Math.round((decoded.samples * 1000) / 8000)).toBe(Number(row.duration_ms));
    const cl = bestCorrelation(a, channel(decoded.pcm, 0).subarray(0, a.length + 8000), 8000);
    const cr = bestCorrelation(b, channel(decoded.pcm, 1).subarray(0, b.length + 8000), 8000);
    expect(cl.value).toBeGreaterThan(0.8);
    expect(cr.value).toBeGreaterThan(0.8);
    return { streams, file, seconds: decoded.samples / 8000 };
  }

  it('by default CELT at 18800 bit/s, also compressed in the background on the encoder threads; the start-up line says so', async () => {
    rb = await startRecorderBackend(await databases.init(databaseId), { opus: { encode: 'background' } });
    const started = rb.logLines.find(l => /SIPREC recorder listening/.test(l.message));
    expect(started?.message).toMatch(/archive opus \(CELT layer, 18800 bit\/s, complexity 0, 60 ms frames/);
    const { streams } = await recordCall(true);
    expect(streams.length).toBeGreaterThan(20);
    // CELT: TOC configurations 16-31, three 20 ms frames per 60 ms packet (code 3)
    expect(streams.every(s => s[0] >> 3 >= 16 && (s[0] & 3) === 3)).toBe(true);
  });

  it('layer silk: SILK packets at 15000 bit/s (the archive as before issue 21)', async () => {
    rb = await startRecorderBackend(await databases.init(databaseId), { opus: { encode: 'call-end', encoderThreads: 0, layer: 'silk' } });
    const started = rb.logLines.find(l => /SIPREC recorder listening/.test(l.message));
    expect(started?.message).toMatch(/archive opus \(SILK layer, 15000 bit\/s, complexity 0, 60 ms frames/);
    const { streams } = await recordCall(false);
    expect(streams.length).toBeGreaterThan(20);
    // SILK narrowband 60 ms: TOC configuration 3, one frame (code 0)
    expect(streams.every(s => s[0] >> 3 === 3 && (s[0] & 3) === 0)).toBe(true);
  });

  it('a wrong opus.layer stops the backend at its start (the recorder and the archive work), naming the key', async () => {
    const knex = await databases.init(databaseId);
    await expect(startRecorderBackend(knex, { opus: { layer: 'hybrid' } })).rejects.toThrow(
      /Module 'siprec' .* startup failed; caused by Error: voiceRecording\.recorder\.opus\.layer: "hybrid" is not one of celt, silk/,
    );
  });
});
