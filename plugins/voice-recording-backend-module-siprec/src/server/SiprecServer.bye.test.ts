import { TestDatabases } from '@backstage/backend-test-utils';
import { encodeG711, synthSpeech } from '../audio/__testUtils__/speech';
import { RecorderBackend, finishedConversation, startRecorderBackend, twoPartyMetadata, twoStreamOffer, waitFor } from '../__testUtils__/recorderBackend';
import { SipRequest, parseCSeq, parseNameAddr, parseVia } from '../sip/message';
import { SrcCall, SrcClient, streamRtp } from '../testing/SrcClient';

jest.setTimeout(120_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3'] });

const metadata = () => twoPartyMetadata();
const offer = () => twoStreamOffer();

const byeOf = (call: SrcCall) => (r: SipRequest) => r.method === 'BYE' && r.headers.get('Call-ID') === call.callId;

/** Checks a BYE from the recorder against the dialog the SRC knows. */
function expectDialogBye(bye: SipRequest, src: SrcClient, call: SrcCall) {
  expect(bye.method).toBe('BYE');
  // Request-URI: the SRC's Contact (remote target); no Record-Route, so no Route
  expect(bye.uri).toBe(parseNameAddr(call.invite.headers.get('Contact')!).uri);
  expect(bye.headers.has('Route')).toBe(false);
  expect(bye.headers.get('Call-ID')).toBe(call.callId);
  const from = parseNameAddr(bye.headers.get('From')!);
  const to = parseNameAddr(bye.headers.get('To')!);
  expect(from.params.get('tag')).toBe(call.toTag); // the recorder's tag
  expect(to.params.get('tag')).toBe(call.fromTag); // the SRC's tag
  expect(to.uri).toBe('sip:src@127.0.0.1');
  expect(from.uri).toBe(`sip:srs@127.0.0.1`);
  expect(parseCSeq(bye.headers.get('CSeq')!).method).toBe('BYE');
  expect(bye.headers.get('Max-Forwards')).toBe('70');
  const via = parseVia(bye.headers.getAll('Via')[0]);
  expect(via).toMatchObject({ transport: 'UDP', host: '127.0.0.1', port: src.server.port });
  expect(via.branch).toMatch(/^z9hG4bK./);
}

describe('SIPREC recorder: BYE of its own for calls it ends (UDP)', () => {
  let rb: RecorderBackend | undefined;
  let src: SrcClient;
  const speech = () => synthSpeech('Please hold while the recorder checks the line.');

  beforeAll(async () => {
    const knex = await databases.init('SQLITE_3');
    rb = await startRecorderBackend(knex);
    src = new SrcClient({ host: '127.0.0.1', port: rb.port, transport: 'udp' });
    await src.start();
  });

  afterAll(async () => {
    await src?.close();
    await rb?.stop();
  });

  it('RTP inactivity timeout: the SRC gets a BYE in the dialog with a Reason, answers 200, the conversation ends `timeout`', async () => {
    const before = { ...rb!.server.stats };
    const call = await src.invite({ sdp: offer(), metadata: metadata() });
    expect(call.response!.status).toBe(200);
    const t0 = Date.now();
    await streamRtp({ port: call.mediaPorts[0], payload: encodeG711('pcma', speech().subarray(0, 4000)), payloadType: 8 });
    const bye = await src.waitForRequest(byeOf(call), 15_000);
    const waited = Date.now() - t0;
    expectDialogBye(bye, src, call);
    expect(bye.headers.get('Reason')).toMatch(/^SIP;cause=200;text="RTP inactivity timeout \(no RTP for \d+ s\)"$/);
    // RTP stopped after 0.5 s; inactivity timeout 3 s
    expect(waited).toBeGreaterThan(3000);
    const row = await finishedConversation(rb!.knex, call.callId, 15_000);
    expect(row).toMatchObject({ state: 'finished', ended_by: 'timeout' });
    await waitFor(async () => rb!.server.stats.byesAnswered > before.byesAnswered, 5000, 'the 200 to the BYE');
    // answered at once: one copy only
    await new Promise(r => setTimeout(r, 700));
    expect(src.requests.filter(r => byeOf(call)(r.request))).toHaveLength(1);
    expect(rb!.server.stats).toMatchObject({
      byesSent: before.byesSent + 1,
      byesAnswered: before.byesAnswered + 1,
      byesUnanswered: before.byesUnanswered,
      responsesIgnored: before.responsesIgnored,
    });
    // the dialog is gone on the recorder's side
    expect((await src.bye(call)).status).toBe(481);
    // eslint-disable-next-line no-console
    console.log(`BYE after RTP inactivity: ${waited} ms after the call started (RTP 0.5 s, timeout 3 s)`);
  });

  it('an SRC that does not answer gets the BYE retransmitted (T1 doubling) until Timer F; the recorder gives up and keeps working', async () => {
    const silent = new SrcClient({ host: '127.0.0.1', port: rb!.port, transport: 'udp' });
    await silent.start();
    try {
      silent.answerRequest = () => undefined;
      const before = { ...rb!.server.stats };
      const call = await silent.invite({ sdp: offer(), metadata: metadata() });
      expect(call.response!.status).toBe(200);
      await streamRtp({ port: call.mediaPorts[0], payload: encodeG711('pcma', speech().subarray(0, 1600)), payloadType: 8 });
      const first = await silent.waitForRequest(byeOf(call), 15_000);
      expectDialogBye(first, silent, call);
      await new Promise(r => setTimeout(r, 2000));
      const early = silent.requests.filter(r => byeOf(call)(r.request));
      expect(early.length).toBeGreaterThanOrEqual(3); // 0, 0.5, 1.5 s
      await waitFor(async () => rb!.server.stats.byesUnanswered > before.byesUnanswered, 40_000, 'the BYE to time out');
      const copies = silent.requests.filter(r => byeOf(call)(r.request));
      const gaps = copies.slice(1).map((c, i) => c.at - copies[i].at);
      // eslint-disable-next-line no-console
      console.log(`unanswered BYE: ${copies.length} copies, gaps ${gaps.join(', ')} ms, gave up after ${copies[copies.length - 1].at - copies[0].at} ms`);
      // 0, .5, 1.5, 3.5, 7.5, 11.5, ... 31.5 s: 11 copies, gaps 500, 1000, 2000, then 4000 (T2)
      expect(copies).toHaveLength(11);
      for (const c of copies) {
        expect(parseVia(c.request.headers.getAll('Via')[0]).branch).toBe(parseVia(first.headers.getAll('Via')[0]).branch);
        expect(c.request.headers.get('CSeq')).toBe(first.headers.get('CSeq'));
      }
      expect(gaps[0]).toBeGreaterThan(350);
      expect(gaps[0]).toBeLessThan(800);
      expect(gaps[3]).toBeGreaterThan(3700);
      expect(Math.max(...gaps)).toBeLessThan(4400);
      await new Promise(r => setTimeout(r, 1500));
      expect(silent.requests.filter(r => byeOf(call)(r.request))).toHaveLength(11);
      expect(rb!.server.stats.byesAnswered).toBe(before.byesAnswered);
      expect(rb!.server.stats.internalErrors).toBe(before.internalErrors);
      expect(await finishedConversation(rb!.knex, call.callId)).toMatchObject({ ended_by: 'timeout' });
      expect((await src.options()).status).toBe(200);
    } finally {
      await silent.close();
    }
  });

  it('backend stop with a call in progress: the SRC gets a BYE saying the recorder is shutting down', async () => {
    const before = { ...rb!.server.stats };
    const server = rb!.server;
    const call = await src.invite({ sdp: offer(), metadata: metadata() });
    expect(call.response!.status).toBe(200);
    const media = streamRtp({ port: call.mediaPorts[0], payload: encodeG711('pcma', speech().subarray(0, 8000)), payloadType: 8 });
    await new Promise(r => setTimeout(r, 400));
    const knex = rb!.knex;
    await rb!.stop();
    rb = undefined;
    await media;
    const bye = src.requests.find(r => byeOf(call)(r.request));
    expect(bye).toBeDefined();
    expectDialogBye(bye!.request, src, call);
    expect(bye!.request.headers.get('Reason')).toBe('SIP;cause=200;text="recorder shutting down"');
    // stop waited for the 200 before closing the socket
    expect(server.stats).toMatchObject({ byesSent: before.byesSent + 1, byesAnswered: before.byesAnswered + 1 });
    const row = await knex('vr_conversations').where('sip_call_id', call.callId).first();
    expect(row).toMatchObject({ state: 'finished', ended_by: 'shutdown' });
  });
});
