/*
 * Follow-up of item 8 of issue 14: the periodic re-check of the calls in progress. A
 * recorder deployed apart from the portal hears about a switch to private mode only
 * through the events bus; here the number is switched in the database directly (what a
 * portal in another process does, with no event reaching the recorder), and the
 * recording stops within one re-check interval. One policy lookup per recorded number
 * and run; while the database cannot answer, the recording goes on and runs are
 * skipped. Real SIP and RTP over UDP, the real plugin on SQLite and PostgreSQL.
 */
import { TestDatabases } from '@backstage/backend-test-utils';
import { CaptureStoreError, LookupAndDecideRequest } from '@mvr/plugin-voice-recording-node';
import { encodeG711, synthSpeech } from '../audio/__testUtils__/speech';
import {
  NUMBERS,
  RecorderBackend,
  finishedConversation,
  startRecorderBackend,
  twoPartyMetadata,
  twoStreamOffer,
  waitFor,
} from '../__testUtils__/recorderBackend';
import { SrcCall, SrcClient, streamRtp } from '../testing/SrcClient';

jest.setTimeout(120_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });

const INTERVAL_MS = 400;

const speech = () => encodeG711('pcma', synthSpeech('The client wants to sell the whole position today at the best price.'));

function stream(call: SrcCall, seconds: number, signal: AbortSignal) {
  const payload = speech().subarray(0, 8000 * seconds);
  return Promise.all(call.mediaPorts.map(port => streamRtp({ port, payload, payloadType: 8, signal })));
}

describe.each(databases.eachSupportedId())('SIPREC recorder: periodic re-check of the calls in progress on %s', databaseId => {
  let rb: RecorderBackend;
  let src: SrcClient;
  /** every decision the recorder asked for, with when */
  let lookups: Array<{ at: number; recordedParty?: string }>;
  let failLookups: boolean;

  beforeAll(async () => {
    const knex = await databases.init(databaseId);
    rb = await startRecorderBackend(knex, { policyRecheckSeconds: INTERVAL_MS / 1000, rtp: { inactivityTimeoutSeconds: 30 } });
    src = new SrcClient({ host: '127.0.0.1', port: rb.port, transport: 'udp' });
    await src.start();
    // the plugin's policy, watched (and made to fail in the outage test); the recorder's
    // database health observes it (SiprecServer wraps this context)
    const policy = (rb.server as any).options.ctx.policy;
    const decide = policy.lookupAndDecide.bind(policy);
    policy.lookupAndDecide = async (req: LookupAndDecideRequest) => {
      lookups.push({ at: Date.now(), recordedParty: req.hints?.recordedParty });
      if (failLookups) throw new CaptureStoreError('unavailable', 'policy.lookupAndDecide', 'database unavailable: connect ECONNREFUSED');
      return decide(req);
    };
  });
  beforeEach(() => {
    lookups = [];
    failLookups = false;
  });
  afterAll(async () => {
    await src?.close();
    await rb?.stop();
  });

  it('stops the recording of a number switched to private mode without any event, within one interval, one lookup per number and run', async () => {
    const abort = new AbortController();
    const calls = [
      await src.invite({ sdp: twoStreamOffer(), metadata: twoPartyMetadata(NUMBERS.recorded) }),
      await src.invite({ sdp: twoStreamOffer(), metadata: twoPartyMetadata(NUMBERS.recorded, '+32499000002') }),
      await src.invite({ sdp: twoStreamOffer(), metadata: twoPartyMetadata(NUMBERS.single) }),
    ];
    for (const c of calls) expect(c.response!.status).toBe(200);
    lookups = []; // those of the set-ups
    const media = calls.map(c => stream(c, 6, abort.signal));
    try {
      // a few runs with the three calls: each run asks once for each of the two numbers
      await new Promise(r => setTimeout(r, 3 * INTERVAL_MS + 200));
      const runs: string[][] = [];
      for (const l of lookups) {
        const last = runs[runs.length - 1];
        if (last && l.at - lookups[lookups.indexOf(l) - 1].at < INTERVAL_MS / 2) last.push(l.recordedParty!);
        else runs.push([l.recordedParty!]);
      }
      expect(runs.length).toBeGreaterThanOrEqual(2);
      for (const run of runs) expect(run.sort()).toEqual([NUMBERS.recorded, NUMBERS.single].sort());
      expect(rb.server.stats.policyRechecks).toBeGreaterThanOrEqual(runs.length);

      // the portal (another process, no events bus) switches the number to private mode
      const byes = calls.slice(0, 2).map(c => src.waitForRequest(r => r.method === 'BYE' && r.headers.get('Call-ID') === c.callId, 5_000));
      const t0 = Date.now();
      await rb.knex('vr_numbers').where('number', NUMBERS.recorded).update({ status_mode: 'manual', active_status: 'private' });
      const requests = await Promise.all(byes);
      expect(Date.now() - t0).toBeLessThan(INTERVAL_MS + 1_000);
      for (const b of requests) expect(b.headers.get('Reason')).toBe('SIP;cause=200;text="recording stopped: manual-private"');
      for (const c of calls.slice(0, 2)) {
        const row = await finishedConversation(rb.knex, c.callId);
        expect(row).toMatchObject({ state: 'finished', ended_by: 'policy' });
        expect(JSON.parse(row.recording_stopped)).toMatchObject({ reason: 'manual-private' });
        // the audio before the stop is kept
        expect(Number(row.duration_ms)).toBeGreaterThan(1_000);
      }
      // the other number's call goes on
      const single = await rb.knex('vr_conversations').where('sip_call_id', calls[2].callId).first();
      expect(single.state).toBe('recording');
      expect(rb.server.stats.recordingsStopped).toBeGreaterThanOrEqual(2);
    } finally {
      abort.abort();
      await Promise.all(media);
      await rb.knex('vr_numbers').where('number', NUMBERS.recorded).update({ status_mode: 'manual', active_status: 'professional' });
    }
    expect((await src.bye(calls[2])).status).toBe(200);
    const row = await finishedConversation(rb.knex, calls[2].callId);
    expect(row).toMatchObject({ state: 'finished', ended_by: 'bye' });
  });

  it('goes on recording while the database cannot answer, skips runs while it is down, and stops the call once it is back', async () => {
    const abort = new AbortController();
    const call = await src.invite({ sdp: twoStreamOffer(), metadata: twoPartyMetadata(NUMBERS.recorded) });
    expect(call.response!.status).toBe(200);
    const media = stream(call, 8, abort.signal);
    let gotBye = false;
    const bye = src.waitForRequest(r => r.method === 'BYE' && r.headers.get('Call-ID') === call.callId, 20_000).then(r => {
      gotBye = true;
      return r;
    });
    try {
      failLookups = true;
      await rb.knex('vr_numbers').where('number', NUMBERS.recorded).update({ status_mode: 'manual', active_status: 'private' });
      const skipped = rb.server.stats.policyRechecksSkipped;
      // the failed lookup marks the database down: the next runs are skipped, not tried
      await waitFor(async () => rb.server.database.down || undefined, 5_000, 'the database marked down');
      await waitFor(async () => rb.server.stats.policyRechecksSkipped > skipped || undefined, 5_000, 'a skipped run');
      await new Promise(r => setTimeout(r, 2 * INTERVAL_MS));
      expect(gotBye).toBe(false);
      expect(await rb.knex('vr_conversations').where('sip_call_id', call.callId).first()).toMatchObject({ state: 'recording' });
      // back: the health probe sees the database, the next run stops the call
      failLookups = false;
      const byeRequest = await bye;
      expect(byeRequest.headers.get('Reason')).toBe('SIP;cause=200;text="recording stopped: manual-private"');
      const row = await finishedConversation(rb.knex, call.callId);
      expect(row).toMatchObject({ state: 'finished', ended_by: 'policy' });
      // one warning per 10 s for the failed decisions, whatever the number of runs
      const warned = rb.logLines.filter(l => l.message.includes('cannot decide again after the periodic re-check'));
      expect(warned.length).toBe(1);
    } finally {
      abort.abort();
      await media;
      await rb.knex('vr_numbers').where('number', NUMBERS.recorded).update({ status_mode: 'manual', active_status: 'professional' });
    }
  });
});
