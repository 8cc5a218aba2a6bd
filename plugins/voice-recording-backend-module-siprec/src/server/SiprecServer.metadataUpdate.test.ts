import * as fs from 'node:fs';
import * as path from 'node:path';
import { TestDatabases, mockCredentials } from '@backstage/backend-test-utils';
import { decodeOggOpus } from '../audio/opusFile';
import { encodeG711, synthSpeech } from '../audio/__testUtils__/speech';
import {
  NUMBERS,
  RecorderBackend,
  finishedConversation,
  startRecorderBackend,
  twoStreamOffer,
  waitFor,
} from '../__testUtils__/recorderBackend';
import { SrcCall, SrcClient, streamRtp } from '../testing/SrcClient';
import { buildMetadata } from '../testing/siprecMessages';

jest.setTimeout(120_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });

/** A complete snapshot: the recorded party sends stream 1, the others stream 2; new ids every time. */
let snapshotCount = 0;
function snapshot(recorded: string, others: Array<{ aor: string; name?: string }>): string {
  snapshotCount++;
  return buildMetadata([
    { aor: `sip:${recorded}@pbx.example.com`, sends: '1' },
    ...others.map(o => ({ ...o, sends: '2' })),
  ]).replace(/participant_id="p(\d+)"/g, `participant_id="s${snapshotCount}-p$1"`);
}

const speech = () => encodeG711('pcma', synthSpeech('The client wants to sell the whole position today at the best price.'));

function stream(call: SrcCall, seconds: number, signal?: AbortSignal) {
  const payload = speech().subarray(0, 8000 * seconds);
  return Promise.all(call.mediaPorts.map(port => streamRtp({ port, payload, payloadType: 8, signal })));
}

describe.each(databases.eachSupportedId())('SIPREC metadata updates and policy during a call on %s', databaseId => {
  let rb: RecorderBackend;
  let src: SrcClient;

  beforeAll(async () => {
    rb = await startRecorderBackend(await databases.init(databaseId));
    src = new SrcClient({ host: '127.0.0.1', port: rb.port, transport: 'udp' });
    await src.start();
  });

  afterAll(async () => {
    await src?.close();
    await rb?.stop();
  });

  /** conversations whose phone search (either party's digits, as the search store reads them) matches */
  async function phoneMatches(digits: string): Promise<string[]> {
    const rows = await rb.knex('vr_conversations').where('number_digits', digits).orWhere('other_party_digits', digits).select('sip_call_id');
    if (rb.knex.client.config.client !== 'pg' && (await rb.knex.schema.hasTable('vr_conversations_phone'))) {
      // SQLite: the FTS trigram index of the partial search follows the row (triggers)
      const fts = await rb.knex('vr_conversations_phone_fts').whereRaw('vr_conversations_phone_fts MATCH ?', [`"${digits}"`]).select('rowid');
      const ids = await rb.knex('vr_conversations_phone').whereIn('rowid', fts.map(r => r.rowid)).select('conversation_id');
      const viaFts = await rb.knex('vr_conversations').whereIn('id', ids.map(r => r.conversation_id)).select('sip_call_id');
      expect(viaFts.map(r => r.sip_call_id).sort()).toEqual(rows.map(r => r.sip_call_id).sort());
    }
    return rows.map(r => r.sip_call_id);
  }

  it('a complete snapshot replaces the participants (no duplicates), the other party and the phone search follow it, the recorded marker and the per-stream metadata stay, the history says who was on the call when', async () => {
    // Avaya-style: the SBC names itself at set-up, the real party in an update
    const call = await src.invite({ sdp: twoStreamOffer(), metadata: snapshot(NUMBERS.recorded, [{ aor: 'sip:ASBCE@sbc.example.com' }]) });
    expect(call.response!.status).toBe(200);
    const row0 = await rb.knex('vr_conversations').where('sip_call_id', call.callId).first();
    expect(row0.other_party).toBe('ASBCE');
    const media = stream(call, 4);
    await new Promise(r => setTimeout(r, 700));
    const realParty = '+32499000111';
    expect((await src.reinvite(call, { sdp: twoStreamOffer(), metadata: snapshot(NUMBERS.recorded, [{ aor: `sip:${realParty}@carrier.example.net`, name: 'Client' }]) })).status).toBe(200);
    const afterUpdate = await waitFor(async () => {
      const r = await rb.knex('vr_conversations').where('sip_call_id', call.callId).first();
      return r.other_party === realParty ? r : undefined;
    }, 5_000, 'other party updated');
    const participants = JSON.parse(afterUpdate.participants);
    expect(participants).toEqual([
      expect.objectContaining({ aor: `sip:${NUMBERS.recorded}@pbx.example.com`, number: NUMBERS.recorded, recorded: true }),
      expect.objectContaining({ aor: `sip:${realParty}@carrier.example.net`, number: realParty, name: 'Client' }),
    ]);
    expect(participants[1].recorded).toBeUndefined();
    // the per-stream metadata written at set-up is still there
    expect(JSON.parse(afterUpdate.metadata).streams).toEqual([
      expect.objectContaining({ index: 0, label: '1', accepted: true, codec: 'PCMA' }),
      expect.objectContaining({ index: 1, label: '2', accepted: true, codec: 'PCMA' }),
    ]);
    expect(await phoneMatches('32499000111')).toContain(call.callId);

    // a transfer: the client is replaced by a colleague of theirs
    await new Promise(r => setTimeout(r, 500));
    const target = '+32499000222';
    expect((await src.reinvite(call, { metadata: snapshot(NUMBERS.recorded, [{ aor: `tel:${target}` }]), method: 'UPDATE' })).status).toBe(200);
    await waitFor(async () => {
      const r = await rb.knex('vr_conversations').where('sip_call_id', call.callId).first();
      return r.other_party === target ? r : undefined;
    }, 5_000, 'transfer target');
    expect(await phoneMatches('32499000222')).toContain(call.callId);
    await media;
    expect((await src.bye(call)).status).toBe(200);

    const row = await finishedConversation(rb.knex, call.callId);
    expect(row).toMatchObject({ state: 'finished', ended_by: 'bye', other_party: target });
    expect(JSON.parse(row.participants)).toHaveLength(2);
    const history = JSON.parse(row.participant_history);
    expect(history.map((h: any) => [h.number ?? h.aor, !!h.recorded, h.to !== undefined])).toEqual([
      [NUMBERS.recorded, true, false],
      ['sip:ASBCE@sbc.example.com', false, true],
      [realParty, false, true],
      [target, false, false],
    ]);
    // periods follow each other: the SBC's ends when the real party's starts, and so on
    expect(history[1].to).toBe(history[2].from);
    expect(history[2].to).toBe(history[3].from);
    expect(Date.parse(history[0].from)).toBe(new Date(row.started_at).getTime());
    expect(Date.parse(history[3].from) - Date.parse(history[2].from)).toBeGreaterThanOrEqual(400);
  });

  it('stops recording when an update brings an emergency number into the call: BYE with a Reason, the audio before kept, ended by policy, audited', async () => {
    const call = await src.invite({ sdp: twoStreamOffer(), metadata: snapshot(NUMBERS.recorded, [{ aor: `sip:${NUMBERS.other}@carrier.example.net` }]) });
    expect(call.response!.status).toBe(200);
    const abort = new AbortController();
    const media = stream(call, 6, abort.signal);
    await new Promise(r => setTimeout(r, 2000));
    const bye = src.waitForRequest(r => r.method === 'BYE' && r.headers.get('Call-ID') === call.callId);
    const t0 = Date.now();
    // a conference: the recorded user adds 112
    expect(
      (await src.reinvite(call, { metadata: snapshot(NUMBERS.recorded, [{ aor: `sip:${NUMBERS.other}@carrier.example.net` }, { aor: 'tel:112' }]) })).status,
    ).toBe(200);
    const byeRequest = await bye;
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(byeRequest.headers.get('Reason')).toMatch(/^SIP;cause=200;text="recording stopped: emergency-number"/);
    abort.abort();
    await media;
    const row = await finishedConversation(rb.knex, call.callId);
    expect(row).toMatchObject({ state: 'finished', ended_by: 'policy', other_party: '112' });
    const stopped = JSON.parse(row.recording_stopped);
    expect(stopped).toMatchObject({ reason: 'emergency-number' });
    expect(stopped.message).toContain('112');
    // what came before is kept: ~2 s of audio, not the 6 s the SRC went on sending
    expect(Number(row.duration_ms)).toBeGreaterThan(1500);
    expect(Number(row.duration_ms)).toBeLessThan(3500);
    const file = fs.readFileSync(path.join(rb.archiveDir, row.storage_key));
    const decoded = decodeOggOpus(file, 8000);
    expect(decoded.pcm.length / 2 / 8000).toBeGreaterThan(1.5);
    expect(decoded.pcm.length / 2 / 8000).toBeLessThan(3.5);
    const audit = await waitFor(
      async () => rb.knex('vr_audit_log').where({ action: 'conversation-finish', target_id: row.id }).first(),
      5_000,
      'finish audit',
    );
    const details = typeof audit.details === 'string' ? JSON.parse(audit.details) : audit.details;
    expect(details).toMatchObject({ endedBy: 'policy', recordingStopped: { reason: 'emergency-number' } });
    expect(JSON.parse(row.participant_history).some((h: any) => h.aor === 'tel:112' && !h.to)).toBe(true);
  });

  it('stops recording a call when its number is switched to private mode during the call (portal), keeps what came before', async () => {
    const call = await src.invite({ sdp: twoStreamOffer(), metadata: snapshot(NUMBERS.single, [{ aor: `sip:${NUMBERS.other}@carrier.example.net` }]) });
    expect(call.response!.status).toBe(200);
    const abort = new AbortController();
    const media = stream(call, 6, abort.signal);
    await new Promise(r => setTimeout(r, 1500));
    const bye = src.waitForRequest(r => r.method === 'BYE' && r.headers.get('Call-ID') === call.callId);
    const number = await rb.knex('vr_numbers').where('number', NUMBERS.single).first();
    const res = await fetch(`http://127.0.0.1:${rb.httpPort}/api/voice-recording/numbers/${number.id}/professional-mode`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: mockCredentials.user.header('user:default/bob') },
      body: JSON.stringify({ enabled: false }),
    });
    expect(res.status).toBe(200);
    const byeRequest = await bye;
    expect(byeRequest.headers.get('Reason')).toMatch(/recording stopped: manual-private/);
    abort.abort();
    await media;
    const row = await finishedConversation(rb.knex, call.callId);
    expect(row).toMatchObject({ state: 'finished', ended_by: 'policy' });
    expect(JSON.parse(row.recording_stopped)).toMatchObject({ reason: 'manual-private' });
    expect(Number(row.duration_ms)).toBeGreaterThan(1000);
    expect(Number(row.duration_ms)).toBeLessThan(3500);
    // the next call of the number is refused as usual
    const next = await src.invite({ sdp: twoStreamOffer(), metadata: snapshot(NUMBERS.single, [{ aor: `sip:${NUMBERS.other}@carrier.example.net` }]) });
    expect(next.response!.status).toBe(403);
  });
});
