import { TestDatabases } from '@backstage/backend-test-utils';
import { encodeG711, synthSpeech } from '../audio/__testUtils__/speech';
import {
  NUMBERS,
  RecorderBackend,
  finishedConversation,
  startRecorderBackend,
  twoPartyMetadata,
  twoStreamOffer,
} from '../__testUtils__/recorderBackend';
import { SrcClient, streamRtp } from '../testing/SrcClient';

jest.setTimeout(120_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });

/**
 * A number without simultaneous calls: the next call may come the instant the previous
 * one's BYE was answered, while that call's archive is still being written.
 */
describe.each(databases.eachSupportedId())('back-to-back calls of a number without simultaneous calls on %s', databaseId => {
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

  it('records an INVITE sent at 0 ms after the BYE of the previous call was answered 200', async () => {
    const speech = encodeG711('pcma', synthSpeech('Sell two hundred at the open, thank you.').subarray(0, 8000 * 2));
    const first = await src.invite({ sdp: twoStreamOffer(), metadata: twoPartyMetadata(NUMBERS.single) });
    expect(first.response!.status).toBe(200);
    await Promise.all(first.mediaPorts.map(port => streamRtp({ port, payload: speech, payloadType: 8 })));
    expect((await src.bye(first)).status).toBe(200);
    // at once: the first call's archive (Opus, call-end) is not registered yet
    const second = await src.invite({ sdp: twoStreamOffer(), metadata: twoPartyMetadata(NUMBERS.single) });
    expect(second.response!.status).toBe(200);
    const pending = await rb.knex('vr_conversations').where('sip_call_id', first.callId).first();
    // the window the test is about: the first conversation was still `recording` when the second came
    // eslint-disable-next-line no-console
    console.log(`first call state when the second was answered: ${pending.state}`);
    await Promise.all(second.mediaPorts.map(port => streamRtp({ port, payload: speech, payloadType: 8 })));
    expect((await src.bye(second)).status).toBe(200);
    const [a, b] = [await finishedConversation(rb.knex, first.callId), await finishedConversation(rb.knex, second.callId)];
    expect(a).toMatchObject({ state: 'finished', ended_by: 'bye', number: NUMBERS.single });
    expect(b).toMatchObject({ state: 'finished', ended_by: 'bye', number: NUMBERS.single });
    expect(JSON.parse(b.quality).packetsReceived).toBe(200);
    expect(await rb.knex('vr_refused_sessions').where('sip_call_id', second.callId).first()).toBeUndefined();
  });

  it('still refuses a second call while the first is in progress (486)', async () => {
    const first = await src.invite({ sdp: twoStreamOffer(), metadata: twoPartyMetadata(NUMBERS.single) });
    expect(first.response!.status).toBe(200);
    const second = await src.invite({ sdp: twoStreamOffer(), metadata: twoPartyMetadata(NUMBERS.single) });
    expect(second.response!.status).toBe(486);
    expect((await src.bye(first)).status).toBe(200);
    await finishedConversation(rb.knex, first.callId);
  });
});
