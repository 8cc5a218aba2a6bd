/*
 * Issue 20 (cluster test): a conversation row committed after the INVITE's set-up
 * budget. The recorder answers 503 (the SIP front moves the call to another recorder,
 * which records it); the late row must not stay as a conversation of that Call-ID: it
 * is withdrawn into the refused session, in one transaction, and audited.
 * The database is real (SQLite and PostgreSQL, the whole backend plugin with its
 * capture context and audit); only `conversations.begin` is delayed before it writes.
 */
import * as fs from 'node:fs';
import { TestDatabases } from '@backstage/backend-test-utils';
import { CaptureContext } from '@mvr/plugin-voice-recording-node';
import { INVITE_DATABASE_BUDGET_MS } from '../call/databaseHealth';
import { NUMBERS, RecorderBackend, startRecorderBackend, twoPartyMetadata, twoStreamOffer, waitFor } from '../__testUtils__/recorderBackend';
import { SrcCall, SrcClient } from '../testing/SrcClient';

jest.setTimeout(120_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });
const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

describe.each(databases.eachSupportedId())('SIPREC recorder: conversation begun after the 503 (%s)', databaseId => {
  let rb: RecorderBackend;
  let udp: SrcClient;

  beforeAll(async () => {
    const knex = await databases.init(databaseId);
    rb = await startRecorderBackend(knex);
    udp = new SrcClient({ host: '127.0.0.1', port: rb.port, transport: 'udp' });
    await udp.start();
  });

  afterAll(async () => {
    await udp?.close();
    await rb?.stop();
  });

  it('answers 503, leaves no conversation of the call and keeps one refused session with the reason', async () => {
    // the recorder's (observed) context: its begin writes the row only after the budget
    const conversations = (rb.server as unknown as { ctx: CaptureContext }).ctx.conversations;
    const begin = conversations.begin;
    let begun: Promise<string> | undefined;
    conversations.begin = input => {
      begun = sleep(INVITE_DATABASE_BUDGET_MS + 500).then(() => begin(input));
      return begun;
    };
    let call: SrcCall;
    try {
      call = await udp.invite({ sdp: twoStreamOffer(), metadata: twoPartyMetadata() });
    } finally {
      conversations.begin = begin;
    }
    expect(call.response!.status).toBe(503);
    expect(call.response!.headers.get('Retry-After')).toBe('30');
    // the row was written (late) ...
    const conversationId = await begun!;
    // ... and withdrawn
    await waitFor(
      async () => rb.logLines.some(l => l.message.includes(`conversation ${conversationId} was begun after the call was refused (503): withdrawn`)),
      10_000,
      'the withdrawal',
    );
    expect(await rb.knex('vr_conversations').where({ sip_call_id: call.callId })).toEqual([]);
    const refused = await rb.knex('vr_refused_sessions').where({ sip_call_id: call.callId });
    expect(refused).toHaveLength(1);
    expect(refused[0]).toMatchObject({
      reason: 'storage-unavailable',
      response_code: 503,
      number: NUMBERS.recorded,
      message: `conversations.begin: no answer from the database within the call set-up budget of ${INVITE_DATABASE_BUDGET_MS} ms`,
    });
    // audited: its start, its withdrawal into the refused session, the refusal once
    const audit = async (action: string, targetId: string) =>
      (await rb.knex('vr_audit_log').where({ action, target_id: targetId })).length;
    await waitFor(async () => (await audit('recording-refused', refused[0].id)) > 0, 10_000, 'the refusal audit');
    expect({
      start: await audit('conversation-start', conversationId),
      withdrawn: await audit('conversation-withdrawn', conversationId),
      finish: await audit('conversation-finish', conversationId),
      refused: await audit('recording-refused', refused[0].id),
    }).toEqual({ start: 1, withdrawn: 1, finish: 0, refused: 1 });
    // no journal left behind
    expect(fs.readdirSync(rb.journalDir).filter(f => f.includes(conversationId))).toEqual([]);
    // the next call is recorded
    const ok = await udp.invite({ sdp: twoStreamOffer(), metadata: twoPartyMetadata() });
    expect(ok.response!.status).toBe(200);
    expect((await udp.bye(ok)).status).toBe(200);
  });

  it('finishes the late conversation as failed when it can no longer be withdrawn (an archive named on it)', async () => {
    const conversations = (rb.server as unknown as { ctx: CaptureContext }).ctx.conversations;
    const begin = conversations.begin;
    let begun: Promise<string> | undefined;
    conversations.begin = input => {
      begun = sleep(INVITE_DATABASE_BUDGET_MS + 500).then(async () => {
        const id = await begin(input);
        // between its start and its withdrawal the row gets an archive: no longer withdrawable
        await rb.knex('vr_conversations').where({ id }).update({ storage_key: `late/${id}.wav` });
        return id;
      });
      return begun;
    };
    let call: SrcCall;
    try {
      call = await udp.invite({ sdp: twoStreamOffer(), metadata: twoPartyMetadata() });
    } finally {
      conversations.begin = begin;
    }
    expect(call.response!.status).toBe(503);
    const conversationId = await begun!;
    const row = await waitFor(
      async () => {
        const r = await rb.knex('vr_conversations').where({ id: conversationId }).first();
        return r && r.state !== 'recording' ? r : undefined;
      },
      10_000,
      'the late conversation to be finished',
    );
    expect(row).toMatchObject({
      state: 'failed',
      ended_by: 'error',
      failure_reason: `call refused (503): conversations.begin: no answer from the database within the call set-up budget of ${INVITE_DATABASE_BUDGET_MS} ms`,
    });
    expect(
      rb.logLines.filter(l => l.level === 'warn' && l.message.includes(`conversation ${conversationId} begun after its 503 cannot be withdrawn`)),
    ).toEqual([
      expect.objectContaining({ message: expect.stringContaining(`cannot be withdrawn: its archive is registered`) }),
    ]);
    // the refusal is kept all the same, once
    const refused = await waitFor(async () => {
      const rows = await rb.knex('vr_refused_sessions').where({ sip_call_id: call.callId });
      return rows.length ? rows : undefined;
    });
    expect(refused.map(r => [r.reason, r.response_code])).toEqual([['storage-unavailable', 503]]);
  });
});
