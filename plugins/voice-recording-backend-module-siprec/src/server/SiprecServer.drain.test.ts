/*
 * Graceful drain (issue 20): the backend told to stop runs its root before-shutdown hooks
 * first (module.ts: the recorder drains there, with the plugin, the database and the HTTP
 * server still up). From that moment OPTIONS and the health endpoint answer 503
 * `draining`, a new INVITE gets 503 with Retry-After (a dispatcher moves on to another
 * recorder), and a call in progress runs on to its BYE and is recorded whole. Bounded by
 * `recorder.drain.timeoutSeconds`: a call still running then is ended `shutdown`.
 * Real UDP SIP and RTP, the real plugin on SQLite and PostgreSQL.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TestDatabases } from '@backstage/backend-test-utils';
import { encodeAlaw } from '../codecs';
import { RecorderBackend, finishedConversation, startRecorderBackend, twoPartyMetadata, twoStreamOffer } from '../__testUtils__/recorderBackend';
import { SrcCall, SrcClient, streamRtp } from '../testing/SrcClient';
import { RECORDER_HEALTH_PATH } from './healthRoute';

jest.setTimeout(120_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });

function tone(seconds: number, freq: number): Int16Array {
  const pcm = new Int16Array(Math.round(8000 * seconds));
  for (let i = 0; i < pcm.length; i++) pcm[i] = Math.round(8000 * Math.sin((2 * Math.PI * freq * i) / 8000));
  return pcm;
}

/** Streams `seconds` of two tones to the call's two media ports; resolves with the packets sent. */
async function media(call: SrcCall, seconds: number, seq = 0): Promise<number> {
  const r = await Promise.all([
    streamRtp({ port: call.mediaPorts[0], payload: encodeAlaw(tone(seconds, 440)), payloadType: 8, ssrc: 1111, seqStart: seq, tsStart: seq * 160 }),
    streamRtp({ port: call.mediaPorts[1], payload: encodeAlaw(tone(seconds, 620)), payloadType: 8, ssrc: 2222, seqStart: seq, tsStart: seq * 160 }),
  ]);
  return r[0].sent + r[1].sent;
}

describe.each(databases.eachSupportedId())('SIPREC recorder: graceful drain when the backend stops (%p)', databaseId => {
  let rb: RecorderBackend | undefined;
  let src: SrcClient | undefined;
  let stopped: Promise<void> | undefined;

  afterEach(async () => {
    await src?.close();
    src = undefined;
    await (stopped ?? rb?.stop())?.catch(() => undefined);
    if (rb) fs.rmSync(rb.dir, { recursive: true, force: true });
    rb = undefined;
    stopped = undefined;
  });

  it('answers OPTIONS and health 503 at once, refuses new INVITEs with 503 + Retry-After, records the call in progress whole up to its BYE', async () => {
    const knex = await databases.init(databaseId);
    rb = await startRecorderBackend(knex, { drain: { timeoutSeconds: 60 }, archiveFormat: 'wav-g711' });
    src = new SrcClient({ host: '127.0.0.1', port: rb.port, transport: 'udp' });
    await src.start();
    const health = () => fetch(`http://127.0.0.1:${rb!.httpPort}/api/voice-recording${RECORDER_HEALTH_PATH}`);
    expect((await src.options()).status).toBe(200);
    expect((await health()).status).toBe(200);

    const t0 = Date.now();
    const call = await src.invite({ sdp: twoStreamOffer(), metadata: twoPartyMetadata() });
    expect(call.response!.status).toBe(200);
    let packets = await media(call, 1);

    // the backend is told to stop (what SIGTERM does): the drain begins at once
    const stopAt = Date.now();
    stopped = rb.stop();
    const options = await src.options();
    const optionsMs = Date.now() - stopAt;
    expect(options.status).toBe(503);
    expect(options.headers.get('Retry-After')).toBe('30');
    const h = await health();
    expect(h.status).toBe(503);
    expect(await h.json()).toEqual({ status: 'unavailable', reasons: ['draining'], rtpReceive: expect.stringMatching(/^(native|dgram)$/), journalSync: 'filesystem' });
    const refused = await src.invite({ sdp: twoStreamOffer(), metadata: twoPartyMetadata() });
    expect(refused.response!.status).toBe(503);
    expect(refused.response!.headers.get('Retry-After')).toBe('30');
    expect(refused.response!.headers.get('Warning')).toBe('399 127.0.0.1 "recorder draining"');

    // the call in progress goes on: 2 s more audio after the stop began, then its BYE
    packets += await media(call, 2, 50);
    let done = false;
    stopped.then(() => (done = true));
    expect(done).toBe(false); // still draining, waiting for the BYE
    const bye = await src.bye(call);
    expect(bye.status).toBe(200);
    const wallMs = Date.now() - t0;
    await stopped;
    const drainedMs = Date.now() - stopAt;

    const row = await finishedConversation(knex, call.callId);
    expect(row).toMatchObject({ state: 'finished', ended_by: 'bye' });
    expect(Math.abs(Number(row.duration_ms) - wallMs)).toBeLessThan(600);
    const quality = typeof row.quality === 'string' ? JSON.parse(row.quality) : row.quality;
    expect(quality.packetsReceived).toBe(packets);
    expect(quality.packetsLost).toBe(0);
    const file = fs.readFileSync(path.join(rb.archiveDir, row.storage_key));
    expect(createHash('sha256').update(file).digest('hex')).toBe(row.sha256);
    // 3 s of two 8 kHz G.711 channels (the WAV archive: a byte a sample), not the 1 s before the stop
    expect(file.length).toBeGreaterThan(3 * 8000 * 2 * 0.95);
    // the drain's 503 is no refused recording: nothing written for it
    expect(await knex('vr_refused_sessions').where('sip_call_id', refused.callId)).toHaveLength(0);
    expect(await knex('vr_conversations').where('sip_call_id', refused.callId)).toHaveLength(0);
    const messages = rb.logLines.map(l => l.message);
    expect(messages.some(m => /SIPREC recorder draining: 1 call\(s\) in progress/.test(m))).toBe(true);
    expect(messages.some(m => /SIPREC recorder drained: 1 call\(s\) ended by their BYE/.test(m))).toBe(true);
    // eslint-disable-next-line no-console
    console.log(`drain (${databaseId}): OPTIONS 503 ${optionsMs} ms after the stop began; stopped ${drainedMs} ms after it, once the BYE came`);
  });

  it('ends a call still running when drain.timeoutSeconds is over (`shutdown`), with the audio until then', async () => {
    const knex = await databases.init(databaseId);
    rb = await startRecorderBackend(knex, { drain: { timeoutSeconds: 1.5 }, archiveFormat: 'wav-g711' });
    src = new SrcClient({ host: '127.0.0.1', port: rb.port, transport: 'udp' });
    await src.start();
    const call = await src.invite({ sdp: twoStreamOffer(), metadata: twoPartyMetadata() });
    expect(call.response!.status).toBe(200);
    const streaming = media(call, 4);
    await new Promise(r => setTimeout(r, 500));
    const stopAt = Date.now();
    stopped = rb.stop();
    await stopped;
    const ms = Date.now() - stopAt;
    expect(ms).toBeGreaterThanOrEqual(1400);
    expect(ms).toBeLessThan(8000);
    await streaming;
    // the recorder's BYE reached the SRC
    expect(src.requests.some(r => r.request.method === 'BYE' && r.request.headers.get('Call-ID') === call.callId)).toBe(true);
    const row = await finishedConversation(knex, call.callId);
    expect(row).toMatchObject({ state: 'finished', ended_by: 'shutdown' });
    // about 2 s recorded (0.5 s before the stop + the 1.5 s drain)
    expect(Number(row.duration_ms)).toBeGreaterThan(1700);
    expect(Number(row.duration_ms)).toBeLessThan(3500);
    expect(rb.logLines.some(l => l.level === 'warn' && /drain timed out after \d+ s: 1 call\(s\) still in progress are ended now/.test(l.message))).toBe(true);
  });
});
