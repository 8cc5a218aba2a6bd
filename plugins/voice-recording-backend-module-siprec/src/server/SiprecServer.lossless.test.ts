import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TestDatabases } from '@backstage/backend-test-utils';
import { deinterleaveBytes, readWav } from '../audio/wav';
import { encodeG711, synthSpeech } from '../audio/__testUtils__/speech';
import { NUMBERS, finishedConversation, startRecorderBackend } from '../__testUtils__/recorderBackend';
import { SrcClient, streamRtp } from '../testing/SrcClient';
import { buildMetadata, buildOfferSdp } from '../testing/siprecMessages';

jest.setTimeout(120_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });

// both RTP receive paths (src/media/rtpSocket.ts): the native receiver's batches and node:dgram
const cases = databases.eachSupportedId().flatMap(([databaseId]) => (['native', 'dgram'] as const).map(rtp => [databaseId, rtp] as const));

describe.each(cases)('SIPREC basic call, lossless archive, on %s, RTP received by %s', (databaseId, rtpImpl) => {
  const before = process.env.MVR_RTP_IMPL;
  beforeAll(() => {
    process.env.MVR_RTP_IMPL = rtpImpl;
  });
  afterAll(() => {
    if (before === undefined) delete process.env.MVR_RTP_IMPL;
    else process.env.MVR_RTP_IMPL = before;
  });

  it('stores both G.711 streams bit-exact in a stereo WAV (recorded party left) and registers the call', async () => {
    const knex = await databases.init(databaseId);
    const rb = await startRecorderBackend(knex, { archiveFormat: 'wav-g711' });
    // the path the recorder uses, in its health JSON and its start line
    const health = await fetch(`http://127.0.0.1:${rb.httpPort}/api/voice-recording/recorder/health`);
    // (the journals' group commit needs the same addon: with node:dgram forced it is still there)
    expect(await health.json()).toMatchObject({ status: 'ok', rtpReceive: rtpImpl, journalSync: 'filesystem' });
    expect(rb.logLines.some(l => l.message.includes('call journals made durable by one syncfs per tick'))).toBe(true);
    expect(rb.logLines.some(l => l.message.includes(`receives RTP by ${rtpImpl === 'native' ? 'native' : 'node:dgram'}`))).toBe(true);
    const client = new SrcClient({ host: '127.0.0.1', port: rb.port, transport: 'udp' });
    await client.start();
    try {
      const a = encodeG711('pcmu', synthSpeech('Sell five hundred bonds at par.').subarray(0, 8000 * 2));
      const b = encodeG711('pcmu', synthSpeech('Five hundred at par, done.', 'en-gb').subarray(0, 8000 * 2));
      // the other party's stream is offered first: roles come from the metadata
      const call = await client.invite({
        sdp: buildOfferSdp([
          { label: 'b_leg', port: 40002, payloads: [0, 101] },
          { label: 'a_leg', port: 40000, payloads: [0, 101] },
        ]),
        metadata: buildMetadata([
          { aor: `tel:${NUMBERS.other}`, sends: 'b_leg' },
          { aor: `sip:${NUMBERS.recorded.replace('+32', '0')}@pbx`, sends: 'a_leg' },
        ]),
      });
      expect(call.response!.status).toBe(200);
      await Promise.all([
        streamRtp({ port: call.mediaPorts[0], payload: b, payloadType: 0 }),
        streamRtp({ port: call.mediaPorts[1], payload: a, payloadType: 0 }),
      ]);
      expect((await client.bye(call)).status).toBe(200);
      const row = await finishedConversation(knex, call.callId);
      expect(row).toMatchObject({ state: 'finished', ended_by: 'bye', number: NUMBERS.recorded, format: 'audio/wav' });
      const file = fs.readFileSync(path.join(rb.archiveDir, row.storage_key));
      expect(createHash('sha256').update(file).digest('hex')).toBe(row.sha256);
      const wav = readWav(file);
      expect(wav).toMatchObject({ encoding: 'mulaw', channels: 2, sampleRate: 8000 });
      const [left, right] = deinterleaveBytes(wav.data, 2);
      // the bytes sent appear unchanged, after the silence before the first packet
      expect(Buffer.from(left).indexOf(Buffer.from(a))).toBeGreaterThanOrEqual(0);
      expect(Buffer.from(right).indexOf(Buffer.from(b))).toBeGreaterThanOrEqual(0);
    } finally {
      await client.close();
      await rb.stop();
      await knex.destroy();
    }
  });
});
