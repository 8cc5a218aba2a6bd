import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TestDatabases } from '@backstage/backend-test-utils';
import { decodeOggOpus } from '../audio/opusFile';
import { bestCorrelation, channel, encodeG711, rms, synthSpeech } from '../audio/__testUtils__/speech';
import {
  NUMBERS,
  RecorderBackend,
  finishedConversation,
  refusedSession,
  startRecorderBackend,
  twoPartyMetadata,
  twoStreamOffer,
  waitFor,
} from '../__testUtils__/recorderBackend';
import { SrcClient, streamRtp } from '../testing/SrcClient';
import { buildMetadata } from '../testing/siprecMessages';

jest.setTimeout(120_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3'] });

const twoParty = twoPartyMetadata;
const offer = twoStreamOffer;

describe('SIPREC recorder in the voice-recording backend (SQLite)', () => {
  let rb: RecorderBackend;
  let udp: SrcClient;
  const speechA = () => synthSpeech('Buy one thousand shares of the fund at market price before noon today.');
  const speechB = () => synthSpeech('Confirmed, one thousand shares at market, executed, thank you very much.', 'en-gb');

  beforeAll(async () => {
    const knex = await databases.init('SQLITE_3');
    rb = await startRecorderBackend(knex);
    udp = new SrcClient({ host: '127.0.0.1', port: rb.port, transport: 'udp' });
    await udp.start();
  });

  afterAll(async () => {
    await udp?.close();
    await rb?.stop();
  });

  it('answers OPTIONS with 200 and Allow', async () => {
    const r = await udp.options();
    expect(r.status).toBe(200);
    expect(r.headers.get('Allow')).toContain('INVITE');
  });

  it('records a 2-stream call over UDP: finished row, sha256 of the stored file, duration, both channels correlate with the speech sent', async () => {
    const a = speechA().subarray(0, 8000 * 3);
    const b = speechB().subarray(0, 8000 * 3);
    const call = await udp.invite({ sdp: offer(), metadata: twoParty() });
    expect(call.response!.status).toBe(200);
    expect(call.mediaPorts).toHaveLength(2);
    expect(call.labels).toEqual(['1', '2']);
    const t0 = Date.now();
    await Promise.all([
      streamRtp({ port: call.mediaPorts[0], payload: encodeG711('pcma', a), payloadType: 8 }),
      streamRtp({ port: call.mediaPorts[1], payload: encodeG711('pcma', b), payloadType: 8 }),
    ]);
    await new Promise(r => setTimeout(r, 200));
    expect((await udp.bye(call)).status).toBe(200);
    const wall = Date.now() - t0;
    const row = await finishedConversation(rb.knex, call.callId);
    expect(row).toMatchObject({ state: 'finished', ended_by: 'bye', number: NUMBERS.recorded, other_party: NUMBERS.other, capture_source: 'siprec' });
    const file = fs.readFileSync(path.join(rb.archiveDir, row.storage_key));
    expect(createHash('sha256').update(file).digest('hex')).toBe(row.sha256);
    expect(Number(row.bytes)).toBe(file.length);
    expect(Math.abs(Number(row.duration_ms) - wall)).toBeLessThan(600);
    const decoded = decodeOggOpus(file, 8000);
    const left = channel(decoded.pcm, 0);
    const right = channel(decoded.pcm, 1);
    const cl = bestCorrelation(a, left.subarray(0, a.length + 8000), 8000);
    const cr = bestCorrelation(b, right.subarray(0, b.length + 8000), 8000);
    // eslint-disable-next-line no-console
    console.log(`basic call: ${file.length} bytes, ${row.duration_ms} ms (wall ${wall}), correlation L ${cl.value.toFixed(3)} (lag ${cl.lag}) R ${cr.value.toFixed(3)} (lag ${cr.lag})`);
    expect(cl.value).toBeGreaterThan(0.8);
    expect(cr.value).toBeGreaterThan(0.8);
    const quality = JSON.parse(row.quality);
    expect(quality.packetsReceived).toBe(300);
    expect(quality.packetsLost).toBe(0);
    // the journal goes right after the row is finished (registration, then delete)
    await waitFor(async () => (fs.readdirSync(rb.journalDir).some(f => f.endsWith('.mvrj')) ? undefined : true), 5_000, 'journal deleted');
    // the set-up clock saw the call: each phase within the whole, both session waits measured
    const setup = rb.server.setupLatency.report();
    expect(setup.total.calls).toBeGreaterThanOrEqual(1);
    expect(setup.total.max).toBeGreaterThan(0);
    expect(setup.phases.decision.max).toBeGreaterThan(0);
    expect(setup.phases.session.max).toBeLessThanOrEqual(setup.total.max);
    expect(setup.sessionWaits.row.max).toBeGreaterThan(0);
    expect(setup.sessionWaits.journal.max).toBeGreaterThan(0);
  });

  it.each([
    ['private', NUMBERS.private, NUMBERS.other, 403, 'manual-private', 'private mode'],
    ['outside schedule', NUMBERS.outside, NUMBERS.other, 403, 'outside-schedule', 'outside recording schedule'],
    ['emergency', NUMBERS.recorded, '112', 403, 'emergency-number', 'emergency call not recorded'],
    ['MVR inactive', NUMBERS.inactive, NUMBERS.other, 403, 'mvr-inactive', 'recording not active'],
    ['unknown number', NUMBERS.unknown, NUMBERS.other, 404, 'unknown-number', 'no recorded number'],
  ])('refuses a %s session with %s + Warning, no audio, a refused-session row', async (_n, recorded, other, status, reason, warning) => {
    const before = await rb.knex('vr_conversations').count({ n: '*' });
    const call = await udp.invite({ sdp: offer(), metadata: twoParty(recorded, other) });
    expect(call.response!.status).toBe(status);
    expect(call.response!.headers.get('Warning')).toMatch(new RegExp(`^399 127\\.0\\.0\\.1 ".*${warning}`));
    expect(call.response!.headers.get('Reason')).toContain(`cause=${status}`);
    const refused = await refusedSession(rb.knex, call.callId);
    expect(refused).toMatchObject({ reason, response_code: status, capture_source: 'siprec' });
    expect(await rb.knex('vr_conversations').count({ n: '*' })).toEqual(before);
    // the journal file made during the decision is gone: nothing of the call is kept on disk
    const prefix = call.callId.replace(/[^A-Za-z0-9_.@-]/g, '_').slice(0, 80);
    await waitFor(async () => (fs.readdirSync(rb.journalDir).some(f => f.startsWith(prefix)) ? undefined : true), 5_000, 'no journal of the refused call');
  });

  it('refuses a second simultaneous call of a number that does not allow it (486), records the first', async () => {
    const first = await udp.invite({ sdp: offer(), metadata: twoParty(NUMBERS.single) });
    expect(first.response!.status).toBe(200);
    const second = await udp.invite({ sdp: offer(), metadata: twoParty(NUMBERS.single) });
    expect(second.response!.status).toBe(486);
    expect(second.response!.headers.get('Warning')).toContain('simultaneous calls not allowed');
    expect(await refusedSession(rb.knex, second.callId)).toMatchObject({ reason: 'simultaneous-calls', response_code: 486 });
    expect((await udp.bye(first)).status).toBe(200);
    expect(await finishedConversation(rb.knex, first.callId)).toMatchObject({ ended_by: 'bye' });
  });

  it('refuses a non-SIPREC INVITE cleanly', async () => {
    const call = await udp.invite({ sdp: offer(), siprec: false });
    expect(call.response!.status).toBe(403);
    expect(call.response!.headers.get('Warning')).toContain('not a SIPREC recording session');
    expect(await refusedSession(rb.knex, call.callId)).toMatchObject({ reason: 'invalid-request' });
  });

  it('answers a malformed request with 400 and lives on; unknown methods get 405/501 with Allow', async () => {
    const bad = Buffer.from(
      'OPTIONS sip:srs@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKbad1\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:srs@127.0.0.1>\r\nCall-ID: bad-1\r\nCSeq: 1 OPTIONS\r\nthis is not a header\r\nContent-Length: 0\r\n\r\n',
    );
    // not answerable (no usable CSeq): logged and dropped
    await udp.sendRaw(Buffer.from('OPTIONS sip:srs@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKbad2\r\nCSeq: banana\r\n\r\n'));
    await udp.sendRaw(Buffer.from([0x80, 0x00, 0xff, 0x13, 0x37]));
    const got = new Promise<string>(resolve => {
      const sock = require('node:dgram').createSocket('udp4');
      sock.bind(0, '127.0.0.1', () => {
        sock.on('message', (m: Buffer) => {
          sock.close();
          resolve(m.toString('utf8').split('\r\n')[0]);
        });
        sock.send(bad, rb.port, '127.0.0.1');
      });
    });
    expect(await got).toMatch(/^SIP\/2\.0 400 /);
    expect((await udp.request('REGISTER')).status).toBe(405);
    const r = await udp.request('FOOBAR');
    expect(r.status).toBe(501);
    expect(r.headers.get('Allow')).toContain('OPTIONS');
    expect((await udp.request('INFO')).status).toBe(481);
    expect((await udp.options()).status).toBe(200);
  });

  it('CANCEL before the answer: 487 to the INVITE, no recording kept', async () => {
    const s = udp.startInvite({ sdp: offer(), metadata: twoParty() });
    await s.provisional;
    const c = await s.cancel();
    expect(c.status).toBe(200);
    const r = await s.response;
    // the 200 may win the race (RFC 3261 §9.2): the SRC then sends BYE
    if (r.status === 200) await udp.bye(s.call);
    expect([487, 200]).toContain(r.status);
    await new Promise(res => setTimeout(res, 500));
    const row = await rb.knex('vr_conversations').where('sip_call_id', s.call.callId).first();
    // a conversation begun meanwhile ends as 'cancel' (or 'bye' when the 200 won), never stays recording
    const ended = row ? (await finishedConversation(rb.knex, s.call.callId)).ended_by : 'none';
    expect(r.status === 487 ? ['none', 'cancel'] : ['bye']).toContain(ended);
  });

  it('handles a large INVITE over TCP (framing by Content-Length)', async () => {
    const tcp = new SrcClient({ host: '127.0.0.1', port: rb.server.addresses.tcp!, transport: 'tcp' });
    await tcp.start();
    try {
      const big = `<v:headers xmlns:v="http://example.com/vendor">${'<v:h>X-Pad: '.concat('a'.repeat(60), '</v:h>').repeat(60)}</v:headers>`;
      const call = await tcp.invite({
        sdp: offer(),
        metadata: buildMetadata(
          [
            { aor: `sip:${NUMBERS.recorded}@pbx.example.com`, sends: '1' },
            { aor: `sip:${NUMBERS.other}@carrier.example.net`, sends: '2' },
          ],
          { extensionData: big },
        ),
      });
      expect(call.invite.body.length).toBeGreaterThan(4000);
      expect(call.response!.status).toBe(200);
      expect((await tcp.options()).status).toBe(200);
      expect((await tcp.bye(call)).status).toBe(200);
      expect(await finishedConversation(rb.knex, call.callId)).toMatchObject({ ended_by: 'bye' });
    } finally {
      await tcp.close();
    }
  });

  it('re-INVITE with changed metadata updates the conversation; pause/resume keeps the timeline', async () => {
    const a = encodeG711('pcma', speechA().subarray(0, 8000));
    const call = await udp.invite({ sdp: offer(), metadata: twoParty() });
    expect(call.response!.status).toBe(200);
    const t0 = Date.now();
    await Promise.all([
      streamRtp({ port: call.mediaPorts[0], payload: a, payloadType: 8, ssrc: 11, seqStart: 100, tsStart: 1000 }),
      streamRtp({ port: call.mediaPorts[1], payload: a, payloadType: 8, ssrc: 22, seqStart: 100, tsStart: 1000 }),
    ]);
    // hold
    const hold = await udp.reinvite(call, { sdp: offer({ direction: 'inactive' }) });
    expect(hold.status).toBe(200);
    expect(hold.body.toString()).toContain('a=inactive');
    await new Promise(r => setTimeout(r, 4000)); // longer than the RTP timeout: a hold is not a dead call
    const resume = await udp.reinvite(call, {
      sdp: offer(),
      metadata: twoParty(NUMBERS.recorded, '+32499000002'),
    });
    expect(resume.status).toBe(200);
    expect((resume.body.toString().match(/^m=audio/gm) ?? []).length).toBe(2);
    // the SRC continues its timestamps as if no time had passed
    await Promise.all([
      streamRtp({ port: call.mediaPorts[0], payload: a, payloadType: 8, ssrc: 11, seqStart: 150, tsStart: 1000 + 8000 }),
      streamRtp({ port: call.mediaPorts[1], payload: a, payloadType: 8, ssrc: 22, seqStart: 150, tsStart: 1000 + 8000 }),
    ]);
    expect((await udp.bye(call)).status).toBe(200);
    const wall = Date.now() - t0;
    const row = await finishedConversation(rb.knex, call.callId);
    expect(row.ended_by).toBe('bye');
    expect(JSON.parse(row.participants).map((p: any) => p.number)).toContain('+32499000002');
    expect(Math.abs(Number(row.duration_ms) - wall)).toBeLessThan(700);
    const pcm = channel(decodeOggOpus(fs.readFileSync(path.join(rb.archiveDir, row.storage_key)), 8000).pcm, 0);
    // speech, then ~4 s of silence, then speech again
    expect(rms(pcm.subarray(1500, 7000))).toBeGreaterThan(300);
    expect(rms(pcm.subarray(8000 * 2, 8000 * 4))).toBeLessThan(60);
    expect(rms(pcm.subarray(pcm.length - 7000, pcm.length - 1500))).toBeGreaterThan(300);
  });

  it('reflects injected loss, reordering, duplicates and an SSRC change in the quality figures', async () => {
    const a = encodeG711('pcmu', speechA().subarray(0, 8000 * 2));
    const call = await udp.invite({ sdp: offer({ payloads: [0, 101] }), metadata: twoParty() });
    expect(call.response!.status).toBe(200);
    await Promise.all([
      streamRtp({
        port: call.mediaPorts[0],
        payload: a,
        payloadType: 0,
        drop: new Set([10, 30, 31, 70]),
        duplicate: new Set([5, 20, 40]),
        swap: new Set([50, 80]),
        ssrcChangeAt: 60,
        seqStart: 65530,
      }),
      streamRtp({ port: call.mediaPorts[1], payload: a, payloadType: 0 }),
    ]);
    expect((await udp.bye(call)).status).toBe(200);
    const row = await finishedConversation(rb.knex, call.callId);
    const q = JSON.parse(row.quality);
    const ch0 = q.channels.find((c: any) => c.channel === 0);
    expect(ch0).toMatchObject({ packetsLost: 4, duplicates: 3, ssrcChanges: 1, reordered: 2, gaps: 3 });
    expect(q.channels.find((c: any) => c.channel === 1)).toMatchObject({ packetsLost: 0, duplicates: 0, packetsReceived: 100 });
    expect(q.packetsLost).toBe(4);
  });

  it('ends a call whose BYE never came after the RTP inactivity timeout', async () => {
    const call = await udp.invite({ sdp: offer(), metadata: twoParty() });
    expect(call.response!.status).toBe(200);
    await streamRtp({ port: call.mediaPorts[0], payload: encodeG711('pcma', speechA().subarray(0, 4000)), payloadType: 8 });
    const row = await finishedConversation(rb.knex, call.callId, 15_000);
    expect(row).toMatchObject({ state: 'finished', ended_by: 'timeout' });
    expect((await udp.bye(call)).status).toBe(481);
  });

  it('refuses new calls with 503 while the archive directory is unusable, and records again once it is back', async () => {
    const moved = `${rb.archiveDir}.moved`;
    fs.renameSync(rb.archiveDir, moved);
    fs.writeFileSync(rb.archiveDir, 'not a directory');
    // the background probe (once a second) notices it
    await waitFor(async () => rb.server.storeStatus().storage?.ok === false || undefined, 5000, 'the unusable archive directory to be noticed');
    expect(rb.server.storeStatus().storage?.error).toMatch(/recordings/);
    try {
      const call = await udp.invite({ sdp: offer(), metadata: twoParty() });
      expect(call.response!.status).toBe(503);
      expect(call.response!.headers.get('Retry-After')).toBeDefined();
      expect(await refusedSession(rb.knex, call.callId)).toMatchObject({ reason: 'storage-unavailable', response_code: 503 });
    } finally {
      fs.rmSync(rb.archiveDir);
      fs.renameSync(moved, rb.archiveDir);
    }
    await waitFor(async () => rb.server.storeStatus().storage?.ok === true || undefined, 5000, 'the archive directory to be usable again');
    const ok = await udp.invite({ sdp: offer(), metadata: twoParty() });
    expect(ok.response!.status).toBe(200);
    await udp.bye(ok);
    await finishedConversation(rb.knex, ok.callId);
  });

  it('finishes calls in progress with `shutdown` when the backend stops', async () => {
    const call = await udp.invite({ sdp: offer(), metadata: twoParty() });
    expect(call.response!.status).toBe(200);
    const media = streamRtp({ port: call.mediaPorts[0], payload: encodeG711('pcma', speechA().subarray(0, 8000)), payloadType: 8 });
    await new Promise(r => setTimeout(r, 500));
    await rb.stop();
    await media;
    const row = await rb.knex('vr_conversations').where('sip_call_id', call.callId).first();
    expect(row).toMatchObject({ state: 'finished', ended_by: 'shutdown' });
    expect(fs.existsSync(path.join(rb.archiveDir, row.storage_key))).toBe(true);
    rb = undefined as any;
  });
});
