import { TestDatabases } from '@backstage/backend-test-utils';
import { encodeG711, loopTo, synthSpeech } from '../audio/__testUtils__/speech';
import {
  RecorderBackend,
  finishedConversation,
  startRecorderBackend,
  twoPartyMetadata,
  twoStreamOffer,
  waitFor,
} from '../__testUtils__/recorderBackend';
import { SrcClient, streamRtp } from '../testing/SrcClient';

jest.setTimeout(120_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });

/** 4 s of each party's speech (real speech from espeak-ng, as G.711 A-law) */
const SECONDS = 4;
const recordedSpeech = () =>
  encodeG711(
    'pcma',
    loopTo(synthSpeech('I would like to buy two hundred shares of the fund at market price, please.'), SECONDS * 8000),
  );
const otherSpeech = () =>
  encodeG711(
    'pcma',
    loopTo(synthSpeech('Certainly. Two hundred shares at market, the order is confirmed.', 'en-gb'), SECONDS * 8000),
  );
/** an open line without speech: A-law idle pattern */
const silence = () => new Uint8Array(SECONDS * 8000).fill(0xd5);

/**
 * Every call is checked as it is archived: real speech (or silence) sent as RTP over
 * UDP to a running recorder, the verdict and reasons read from the conversation row.
 * On SQLite the archive is Opus encoded at call end (the check reads PCM); on
 * PostgreSQL it is the background mode's lossless WAV (the check reads G.711 bytes).
 */
describe.each(
  databases.eachSupportedId().map(([id]) => [id, id === 'SQLITE_3' ? 'call-end' : 'background'] as const),
)('SIPREC recorder: quality check on real audio (%s, Opus %s)', (databaseId, encode) => {
  let rb: RecorderBackend;
  let src: SrcClient;

  beforeAll(async () => {
    const knex = await databases.init(databaseId);
    rb = await startRecorderBackend(knex, { rtp: { inactivityTimeoutSeconds: 30 }, opus: { encode } });
    src = new SrcClient({ host: '127.0.0.1', port: rb.port, transport: 'udp' });
    await src.start();
  });

  afterAll(async () => {
    await src?.close();
    await rb?.stop();
  });

  /** One call: what each stream carries (undefined: no RTP on it), then BYE; the finished row. */
  const call = async (streams: [Uint8Array | undefined, Uint8Array | undefined], drop?: Set<number>) => {
    const c = await src.invite({ sdp: twoStreamOffer(), metadata: twoPartyMetadata() });
    expect(c.response!.status).toBe(200);
    await Promise.all(
      streams.map((payload, i) =>
        payload ? streamRtp({ port: c.mediaPorts[i], payload, payloadType: 8, drop }) : Promise.resolve(),
      ),
    );
    await new Promise(r => setTimeout(r, 200));
    expect((await src.bye(c)).status).toBe(200);
    const row = await finishedConversation(rb.knex, c.callId);
    expect(row.state).toBe('finished');
    const check = JSON.parse(row.quality_check);
    // the indexed column and the stored check agree
    expect(row.quality_verdict).toBe(check.verdict);
    return { row, check, codes: check.reasons.map((r: any) => `${r.code}:${r.severity}`) };
  };

  it('speech on both channels, speech on one, silence on both, 10% loss, one stream missing', async () => {
    // the five calls at once (each lasts the 4 s of its audio)
    const every10th = new Set(Array.from({ length: (SECONDS * 8000) / 160 }, (_, i) => i).filter(i => i % 10 === 5));
    const [ok, oneWay, silent, lossy, missing] = await Promise.all([
      call([recordedSpeech(), otherSpeech()]),
      call([recordedSpeech(), silence()]),
      call([silence(), silence()]),
      call([recordedSpeech(), otherSpeech()], every10th),
      call([recordedSpeech(), undefined]),
    ]);

    // both parties speak: ok, with their speech shares
    expect(ok.check.verdict).toBe('ok');
    expect(ok.codes).toEqual([]);
    expect(ok.check.channels.map((c: any) => c.side)).toEqual(['recorded', 'other']);
    for (const c of ok.check.channels) expect(c.speechShare).toBeGreaterThan(0.3);
    expect(ok.check.packetLossShare).toBe(0);
    // eslint-disable-next-line no-console
    console.log(
      `speech share (recorded/other): ok ${ok.check.channels.map((c: any) => c.speechShare).join('/')}, ` +
        `one-way ${oneWay.check.channels.map((c: any) => c.speechShare).join('/')}, ` +
        `10% loss ${lossy.check.channels.map((c: any) => c.speechShare).join('/')}`,
    );

    // the other party's channel carries RTP but no speech: one-way, failed
    expect(oneWay.check.verdict).toBe('failed');
    expect(oneWay.codes).toEqual(['one-way:failed']);
    expect(oneWay.check.reasons[0].text).toMatch(/^One-way audio: the other party's channel is silent \(speech in 0\.0% of the call\) while the recorded party speaks/);
    expect(oneWay.check.channels[1].speechShare).toBe(0);

    // an open line on both sides: silent, failed (the packets all arrived)
    expect(silent.check.verdict).toBe('failed');
    expect(silent.codes).toEqual(['silent:failed']);
    expect(JSON.parse(silent.row.quality).packetsReceived).toBe(2 * SECONDS * 50);

    // every 10th packet lost on both streams: packet loss 10%, a warning; still speech on both
    expect(lossy.check.verdict).toBe('warning');
    expect(lossy.codes).toEqual(['packet-loss:warning']);
    expect(lossy.check.reasons[0].text).toBe('Packet loss 10.0%: 40 of 400 packets (warning from 5%)');
    expect(lossy.check.packetLossShare).toBe(0.1);
    for (const c of lossy.check.channels) expect(c.speechShare).toBeGreaterThan(0.3);

    // two streams offered, RTP on one: missing stream, failed (not reported as one-way)
    expect(missing.check.verdict).toBe('failed');
    expect(missing.codes).toEqual(['missing-stream:failed']);
    expect(missing.check.reasons[0].text).toBe('Missing stream: 2 streams offered, RTP on 1 (none on label 2)');

    // the finish audit carries the verdict and the reason codes; the call's end line says it
    const audit = await waitFor(
      async () => rb.knex('vr_audit_log').where({ action: 'conversation-finish', target_id: oneWay.row.id }).first(),
      5_000,
      'finish audit',
    );
    expect(JSON.parse(audit.details)).toMatchObject({ qualityVerdict: 'failed', qualityReasons: ['one-way'] });
    await waitFor(
      async () => rb.logLines.some(l => l.message.includes(oneWay.row.id) && l.message.includes('quality failed: one-way')) || undefined,
      5_000,
      'the end line with the verdict',
    );

    // the search filter finds them by verdict
    const verdicts = await rb.knex('vr_conversations').whereNotNull('quality_verdict').select('quality_verdict').count('* as n').groupBy('quality_verdict');
    expect(Object.fromEntries(verdicts.map((v: any) => [v.quality_verdict, Number(v.n)]))).toEqual({ ok: 1, warning: 1, failed: 3 });
  });

  it('6 s of RTP lost at a stretch on one stream: rtp-gap (with the loss it brings)', async () => {
    const nine = (pcm: Uint8Array) => {
      const out = new Uint8Array(9 * 8000);
      for (let i = 0; i < out.length; i++) out[i] = pcm[i % pcm.length];
      return out;
    };
    // packets 100..399 of the recorded party's stream (2 s to 8 s) never arrive
    const outage = new Set(Array.from({ length: 300 }, (_, i) => 100 + i));
    const c = await src.invite({ sdp: twoStreamOffer(), metadata: twoPartyMetadata() });
    expect(c.response!.status).toBe(200);
    await Promise.all([
      streamRtp({ port: c.mediaPorts[0], payload: nine(recordedSpeech()), payloadType: 8, drop: outage }),
      streamRtp({ port: c.mediaPorts[1], payload: nine(otherSpeech()), payloadType: 8 }),
    ]);
    await new Promise(r => setTimeout(r, 200));
    expect((await src.bye(c)).status).toBe(200);
    const row = await finishedConversation(rb.knex, c.callId);
    const check = JSON.parse(row.quality_check);
    expect(check.reasons.map((r: any) => `${r.code}:${r.severity}`)).toEqual(['packet-loss:failed', 'rtp-gap:warning']);
    expect(check.longestGapMs).toBe(6000);
    expect(check.reasons[1].text).toBe('RTP gap: 6.0 s without packets on a stream (warning from 5 s)');
    expect(row.quality_verdict).toBe('failed');
  });
});
