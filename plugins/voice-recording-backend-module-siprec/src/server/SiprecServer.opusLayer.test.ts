/*
 * The CELT layer of the Opus archive (MVR_OPUS_LAYER=celt, issue 21) through the whole
 * recorder: a real SIPREC call over UDP with real RTP, archived as CELT packets of the call's
 * exact duration; the start-up line names the layer, and a wrong value stops the recorder's
 * start with an error that names the variable. SQLite and PostgreSQL.
 *
 * The archive is encoded at the call's end on the event loop (encoderThreads 0): jest gives
 * a test file its own copy of process.env, which worker threads do not see (they inherit the
 * process's environment, as the recorder's encoder threads do from its start; the load bench's
 * --opus-layer celt runs show the background encoders coding CELT: bench/README.md).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TestDatabases } from '@backstage/backend-test-utils';
import { decodeOggOpus } from '../audio/opusFile';
import { readOggPackets, readOggPages } from '../audio/ogg';
import { bestCorrelation, channel, encodeG711, synthSpeech } from '../audio/__testUtils__/speech';
import {
  RecorderBackend,
  finishedConversation,
  startRecorderBackend,
  twoPartyMetadata,
  twoStreamOffer,
} from '../__testUtils__/recorderBackend';
import { SrcClient, streamRtp } from '../testing/SrcClient';

jest.setTimeout(180_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });

describe.each(databases.eachSupportedId())('Opus archive in the CELT layer (MVR_OPUS_LAYER) on %s', databaseId => {
  const before = process.env.MVR_OPUS_LAYER;
  let rb: RecorderBackend | undefined;
  let udp: SrcClient | undefined;

  afterEach(async () => {
    await udp?.close();
    await rb?.stop();
    udp = undefined;
    rb = undefined;
    if (before === undefined) delete process.env.MVR_OPUS_LAYER;
    else process.env.MVR_OPUS_LAYER = before;
  });

  it('a call archived in the CELT layer: CELT packets of the call’s duration, and the start-up line says so', async () => {
    process.env.MVR_OPUS_LAYER = 'celt';
    rb = await startRecorderBackend(await databases.init(databaseId), { opus: { encode: 'call-end', encoderThreads: 0, bitrate: 16000 } });
    const started = rb.logLines.find(l => /SIPREC recorder listening/.test(l.message));
    expect(started?.message).toMatch(/archive opus \(CELT layer \(MVR_OPUS_LAYER\), complexity 0, 60 ms frames/);
    udp = new SrcClient({ host: '127.0.0.1', port: rb.port, transport: 'udp' });
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

    const row = await finishedConversation(rb.knex, call.callId);
    expect(row.format).toBe('audio/ogg; codecs=opus');
    const file = fs.readFileSync(path.join(rb.archiveDir, row.storage_key));
    const pages = readOggPages(file);
    const packets = readOggPackets(pages).slice(2);
    // speech packets are CELT (TOC configurations 16-31), three 20 ms frames each (code 3)
    const celt = packets.filter(p => p.data[0] >> 3 >= 16);
    expect(celt.length).toBeGreaterThan(packets.length / 4);
    expect(celt.every(p => (p.data[0] & 3) === 3)).toBe(true);
    expect(packets.some(p => p.data[0] >> 3 < 12 && p.data[0] >> 3 !== 3)).toBe(false);

    const decoded = decodeOggOpus(file, 8000);
    expect(Math.round((decoded.samples * 1000) / 8000)).toBe(Number(row.duration_ms));
    const cl = bestCorrelation(a, channel(decoded.pcm, 0).subarray(0, a.length + 8000), 8000);
    const cr = bestCorrelation(b, channel(decoded.pcm, 1).subarray(0, b.length + 8000), 8000);
    expect(cl.value).toBeGreaterThan(0.8);
    expect(cr.value).toBeGreaterThan(0.8);
  });

  it('a wrong MVR_OPUS_LAYER stops the recorder at its start (not each archive later)', async () => {
    process.env.MVR_OPUS_LAYER = 'hybrid';
    const knex = await databases.init(databaseId);
    // (the plugin logs the start's error, MVR_OPUS_LAYER="hybrid": silk or celt, see opusCelt.test.ts)
    await expect(startRecorderBackend(knex)).rejects.toThrow(/the SIPREC recorder did not start/);
  });
});
