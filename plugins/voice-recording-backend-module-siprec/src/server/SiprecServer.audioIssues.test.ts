import { randomBytes } from 'node:crypto';
import { TestDatabases } from '@backstage/backend-test-utils';
import { encodeG711, synthSpeech } from '../audio/__testUtils__/speech';
import {
  RecorderBackend,
  finishedConversation,
  refusedSession,
  startRecorderBackend,
  twoPartyMetadata,
  twoStreamOffer,
  waitFor,
} from '../__testUtils__/recorderBackend';
import { SrcClient, streamRtp } from '../testing/SrcClient';

jest.setTimeout(120_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3'] });

/**
 * Calls whose recording holds no usable audio (no RTP at all, or only packets in a
 * codec the recorder cannot decode) are flagged on the conversation when archived,
 * and counted in the recorder's figures; a call with real audio is not.
 */
describe('SIPREC recorder: recordings without usable audio are flagged', () => {
  let rb: RecorderBackend;
  let src: SrcClient;
  const speech = () =>
    synthSpeech(
      'The client confirms the order of two hundred shares at market price.',
    );

  beforeAll(async () => {
    const knex = await databases.init('SQLITE_3');
    // no inactivity timeout during these calls: a call without RTP lasts until its BYE
    rb = await startRecorderBackend(knex, {
      rtp: { inactivityTimeoutSeconds: 60 },
    });
    src = new SrcClient({ host: '127.0.0.1', port: rb.port, transport: 'udp' });
    await src.start();
  });

  afterAll(async () => {
    await src?.close();
    await rb?.stop();
  });

  it('a 6 s call with 0 RTP packets: finished, flagged no-media, counted', async () => {
    const before = { ...rb.server.stats };
    const call = await src.invite({
      sdp: twoStreamOffer(),
      metadata: twoPartyMetadata(),
    });
    expect(call.response!.status).toBe(200);
    await new Promise(r => setTimeout(r, 6000));
    expect((await src.bye(call)).status).toBe(200);
    const row = await finishedConversation(rb.knex, call.callId);
    expect(row).toMatchObject({ state: 'finished', ended_by: 'bye' });
    expect(Number(row.duration_ms)).toBeGreaterThanOrEqual(5900);
    // the silent archive is kept (evidence of the call), but flagged
    expect(row.storage_key).toBeTruthy();
    expect(JSON.parse(row.audio_issues)).toEqual(['no-media']);
    const quality = JSON.parse(row.quality);
    expect(quality).toMatchObject({ packetsReceived: 0, audioPackets: 0 });
    expect(quality.undecodable).toBeUndefined();
    // counted when the session's end settles, which can be a moment after the row is written
    await waitFor(
      async () =>
        rb.server.stats.recordingsNoMedia === before.recordingsNoMedia + 1 ||
        undefined,
      10_000,
      'the call counted as no-media',
    );
    expect(rb.server.stats.recordingsUndecodable).toBe(
      before.recordingsUndecodable,
    );
  });

  it('every packet in G.729 (PT 18) and G.721 (PT 2) after PCMA was agreed: flagged undecodable-codec with the packets per payload type', async () => {
    const before = { ...rb.server.stats };
    const call = await src.invite({
      sdp: twoStreamOffer(),
      metadata: twoPartyMetadata(),
    });
    expect(call.response!.status).toBe(200);
    expect(call.response!.body.toString()).toMatch(/a=rtpmap:8 PCMA\/8000/);
    // G.729: 20 bytes per 20 ms; G.721 (32 kbit/s ADPCM): 80 bytes per 20 ms
    const [g729, g721] = await Promise.all([
      streamRtp({
        port: call.mediaPorts[0],
        payload: randomBytes(100 * 20),
        bytesPerPacket: 20,
        payloadType: 18,
      }),
      streamRtp({
        port: call.mediaPorts[1],
        payload: randomBytes(80 * 80),
        bytesPerPacket: 80,
        payloadType: 2,
      }),
    ]);
    expect(g729.sent).toBe(100);
    expect(g721.sent).toBe(80);
    await new Promise(r => setTimeout(r, 200));
    expect((await src.bye(call)).status).toBe(200);
    const row = await finishedConversation(rb.knex, call.callId);
    expect(row).toMatchObject({ state: 'finished', ended_by: 'bye' });
    expect(JSON.parse(row.audio_issues)).toEqual(['undecodable-codec']);
    const quality = JSON.parse(row.quality);
    expect(quality).toMatchObject({ packetsReceived: 180, audioPackets: 0 });
    expect(quality.undecodable).toEqual([
      { payloadType: 2, codec: 'G721', packets: 80 },
      { payloadType: 18, codec: 'G729', packets: 100 },
    ]);
    const byChannel = Object.fromEntries(
      quality.channels.map((c: any) => [c.label, c]),
    );
    expect(byChannel['1']).toMatchObject({
      packetsReceived: 100,
      audioPackets: 0,
      undecodable: { 18: 100 },
    });
    expect(byChannel['2']).toMatchObject({
      packetsReceived: 80,
      audioPackets: 0,
      undecodable: { 2: 80 },
    });
    await waitFor(
      async () =>
        rb.server.stats.recordingsUndecodable ===
          before.recordingsUndecodable + 1 || undefined,
      10_000,
      'the call counted as undecodable-codec',
    );
    expect(rb.server.stats.recordingsNoMedia).toBe(before.recordingsNoMedia);
  });

  it('an offer of G.729 only is refused (488, refused session kept), never recorded as silence', async () => {
    const call = await src.invite({
      sdp: twoStreamOffer({ payloads: [18, 101] }),
      metadata: twoPartyMetadata(),
    });
    expect(call.response!.status).toBe(488);
    expect(call.response!.headers.get('Reason')).toMatch(/no recordable media/);
    const refused = await refusedSession(rb.knex, call.callId);
    expect(refused).toMatchObject({
      reason: 'unsupported-media',
      response_code: 488,
    });
    expect(refused.message).toMatch(/offered G729, TELEPHONE-EVENT/);
    expect(
      await rb
        .knex('vr_conversations')
        .where('sip_call_id', call.callId)
        .first(),
    ).toBeUndefined();
  });

  it('a call with real speech in PCMA: no flag, every packet in the recording', async () => {
    const before = { ...rb.server.stats };
    const call = await src.invite({
      sdp: twoStreamOffer(),
      metadata: twoPartyMetadata(),
    });
    expect(call.response!.status).toBe(200);
    const pcm = speech().subarray(0, 16000); // 2 s
    await Promise.all([
      streamRtp({
        port: call.mediaPorts[0],
        payload: encodeG711('pcma', pcm),
        payloadType: 8,
      }),
      streamRtp({
        port: call.mediaPorts[1],
        payload: encodeG711('pcma', pcm),
        payloadType: 8,
      }),
    ]);
    await new Promise(r => setTimeout(r, 200));
    expect((await src.bye(call)).status).toBe(200);
    const row = await finishedConversation(rb.knex, call.callId);
    expect(row).toMatchObject({ state: 'finished', ended_by: 'bye' });
    expect(row.audio_issues).toBeNull();
    const quality = JSON.parse(row.quality);
    expect(quality).toMatchObject({ packetsReceived: 200, audioPackets: 200 });
    expect(quality.undecodable).toBeUndefined();
    expect(rb.server.stats.recordingsNoMedia).toBe(before.recordingsNoMedia);
    expect(rb.server.stats.recordingsUndecodable).toBe(
      before.recordingsUndecodable,
    );
  });

  it('a few stray packets in an undecodable codec among real audio: not flagged, but counted', async () => {
    const call = await src.invite({
      sdp: twoStreamOffer(),
      metadata: twoPartyMetadata(),
    });
    expect(call.response!.status).toBe(200);
    const pcm = speech().subarray(0, 8000); // 1 s
    await streamRtp({
      port: call.mediaPorts[0],
      payload: encodeG711('pcma', pcm),
      payloadType: 8,
    });
    await streamRtp({
      port: call.mediaPorts[0],
      payload: randomBytes(5 * 20),
      bytesPerPacket: 20,
      payloadType: 18,
    });
    await new Promise(r => setTimeout(r, 200));
    expect((await src.bye(call)).status).toBe(200);
    const row = await finishedConversation(rb.knex, call.callId);
    expect(row.audio_issues).toBeNull();
    const quality = JSON.parse(row.quality);
    expect(quality).toMatchObject({
      audioPackets: 50,
      undecodable: [{ payloadType: 18, codec: 'G729', packets: 5 }],
    });
  });
});
