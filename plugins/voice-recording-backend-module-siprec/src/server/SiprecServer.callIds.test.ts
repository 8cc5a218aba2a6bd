/*
 * Item 17 of issue 14: long and binary Call-IDs over real SIP (UDP) on SQLite and
 * PostgreSQL. A legal 300-character Call-ID is recorded (it got 503 on PostgreSQL, the
 * column being varchar(255), and the SRC retried for ever); a Call-ID with a NUL byte is
 * recorded under its escaped stored form (the refused-session insert failed on
 * PostgreSQL); refusals of both keep their evidence; none is answered 503.
 */
import { TestDatabases } from '@backstage/backend-test-utils';
import { storedSipIdentifier } from '@mvr/plugin-voice-recording-node';
import { encodeG711, synthSpeech } from '../audio/__testUtils__/speech';
import {
  NUMBERS,
  RecorderBackend,
  finishedConversation,
  refusedSession,
  startRecorderBackend,
  twoPartyMetadata,
  twoStreamOffer,
} from '../__testUtils__/recorderBackend';
import { SrcClient, streamRtp } from '../testing/SrcClient';

jest.setTimeout(120_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });

const long = (tag: string) => `${tag}-${'7'.repeat(300 - tag.length - 1 - '@sbc.example.net'.length)}@sbc.example.net`;

describe.each(databases.eachSupportedId())('SIPREC recorder: long and binary Call-IDs on %s', databaseId => {
  let rb: RecorderBackend;
  let client: SrcClient;

  beforeAll(async () => {
    const knex = await databases.init(databaseId);
    rb = await startRecorderBackend(knex);
    client = new SrcClient({ host: '127.0.0.1', port: rb.port, transport: 'udp' });
    await client.start();
  });
  afterAll(async () => {
    await client?.close();
    await rb?.stop();
  });

  async function recordCall(callId: string) {
    const call = await client.invite({ sdp: twoStreamOffer(), metadata: twoPartyMetadata(), callId });
    expect(call.response!.status).toBe(200);
    const pcm = synthSpeech('Buy five hundred at market.').subarray(0, 8000);
    await Promise.all(call.mediaPorts.map(port => streamRtp({ port, payload: encodeG711('pcma', pcm), payloadType: 8 })));
    expect((await client.bye(call)).status).toBe(200);
    return call;
  }

  it('records a call with a legal 300-character Call-ID, stored as it is', async () => {
    const callId = long('rec');
    expect(callId).toHaveLength(300);
    await recordCall(callId);
    const row = await finishedConversation(rb.knex, callId);
    expect(row).toMatchObject({ state: 'finished', ended_by: 'bye', sip_call_id: callId, number: NUMBERS.recorded });
    expect(JSON.parse(row.quality)).toMatchObject({ packetsReceived: 100 });
  });

  it('records a call whose Call-ID has a NUL and control bytes, stored escaped and found by its stored form', async () => {
    const callId = `nul\u0000in\u001b[31mcall@sbc`;
    await recordCall(callId);
    const stored = storedSipIdentifier(callId);
    expect(stored).toBe('nul#00in#1b[31mcall@sbc');
    const row = await finishedConversation(rb.knex, stored);
    expect(row).toMatchObject({ state: 'finished', ended_by: 'bye', number: NUMBERS.recorded });
  });

  it('refuses such calls for a number in private mode with 403, never 503, and keeps the refused-session evidence', async () => {
    for (const callId of [long('ref'), `refused\u0000nul@sbc`]) {
      const call = await client.invite({ sdp: twoStreamOffer(), metadata: twoPartyMetadata(NUMBERS.private), callId });
      expect(call.response!.status).toBe(403);
      const row = await refusedSession(rb.knex, storedSipIdentifier(callId));
      expect(row).toMatchObject({ reason: 'manual-private', response_code: 403, number: NUMBERS.private });
    }
    expect(client.responses.filter(r => r.status === 503)).toHaveLength(0);
  });

  it('answers a Call-ID of several kilobytes and stores its bounded form with the hash of the whole', async () => {
    const callId = `${'k'.repeat(4000)}@sbc`;
    await recordCall(callId);
    const stored = storedSipIdentifier(callId);
    expect(stored).toHaveLength(1024);
    expect(await finishedConversation(rb.knex, stored)).toMatchObject({ state: 'finished' });
  });
});
