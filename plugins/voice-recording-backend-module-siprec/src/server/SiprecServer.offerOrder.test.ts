import * as fs from 'node:fs';
import * as path from 'node:path';
import { TestDatabases } from '@backstage/backend-test-utils';
import { deinterleavePcm16, readWav } from '../audio/wav';
import { goertzelPower, synthSpeech } from '../audio/__testUtils__/speech';
import { G722Decoder, G722Encoder } from '../codecs';
import { NUMBERS, RecorderBackend, finishedConversation, startRecorderBackend } from '../__testUtils__/recorderBackend';
import { SrcClient, streamRtp } from '../testing/SrcClient';
import { buildMetadata, buildOfferSdp } from '../testing/siprecMessages';

jest.setTimeout(120_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });

/** 16 kHz speech with a 6 kHz tone: only a wideband recording holds the tone. */
function widebandAudio(seconds: number) {
  const speech = synthSpeech('The bonds settle on Thursday, please confirm the amount.', 'en-gb', 160, 16000);
  const pcm = new Int16Array(16000 * seconds);
  for (let i = 0; i < pcm.length; i++) {
    pcm[i] = Math.round(0.6 * speech[i % speech.length] + 3000 * Math.sin((2 * Math.PI * 6000 * i) / 16000));
  }
  return new G722Encoder().encode(pcm);
}

describe.each(databases.eachSupportedId())('SIPREC offers read in the offerer\'s order, and vendor direction, on %s', databaseId => {
  let rb: RecorderBackend;
  let src: SrcClient;

  beforeAll(async () => {
    rb = await startRecorderBackend(await databases.init(databaseId), { archiveFormat: 'wav-g711' });
    src = new SrcClient({ host: '127.0.0.1', port: rb.port, transport: 'udp' });
    await src.start();
  });

  afterAll(async () => {
    await src?.close();
    await rb?.stop();
  });

  it('answers G.722 when the offer lists it first (RFC 3264 §6.1), and records the call wideband', async () => {
    const call = await src.invite({
      sdp: buildOfferSdp([
        { label: '1', port: 40000, payloads: [9, 8, 0, 101] },
        { label: '2', port: 40002, payloads: [9, 8, 0, 101] },
      ]),
      metadata: buildMetadata([
        { aor: `sip:${NUMBERS.recorded}@pbx`, sends: '1' },
        { aor: `tel:${NUMBERS.other}`, sends: '2' },
      ]),
    });
    expect(call.response!.status).toBe(200);
    const answer = call.response!.body.toString();
    expect(answer.match(/^m=audio \d+ RTP\/AVP .*$/gm)).toEqual([
      expect.stringMatching(/RTP\/AVP 9 101$/),
      expect.stringMatching(/RTP\/AVP 9 101$/),
    ]);
    const g722 = widebandAudio(2);
    await Promise.all(call.mediaPorts.map(port => streamRtp({ port, payload: g722, payloadType: 9 })));
    expect((await src.bye(call)).status).toBe(200);
    const row = await finishedConversation(rb.knex, call.callId);
    expect(row).toMatchObject({ state: 'finished', format: 'audio/wav' });
    expect(row.codec).toMatch(/^G722$/);
    const wav = readWav(fs.readFileSync(path.join(rb.archiveDir, row.storage_key)));
    expect(wav).toMatchObject({ encoding: 'pcm16', channels: 2, sampleRate: 16000 });
    const [left, right] = deinterleavePcm16(wav.data, 2);
    // both channels hold what a G.722 decoder makes of the bytes sent, sample for sample
    const bytesOf = (x: Int16Array) => Buffer.from(x.buffer, x.byteOffset, x.byteLength);
    const expected = bytesOf(new G722Decoder().decode(g722));
    expect(bytesOf(left).indexOf(expected)).toBeGreaterThanOrEqual(0);
    expect(bytesOf(right).indexOf(expected)).toBeGreaterThanOrEqual(0);
    // and the 6 kHz tone (above what 8 kHz sampling can carry)
    expect(goertzelPower(left, 6000, 16000)).toBeGreaterThan(20 * goertzelPower(left, 5000, 16000));
  });

  it.each([
    ['terminating', 'incoming'],
    ['originating', 'outgoing'],
  ])('reads the direction from Metaswitch <callType>%s</callType> when no direction tag is present: %s', async (callType, direction) => {
    // the recorded party is listed first, which alone would make the call outgoing
    const call = await src.invite({
      sdp: buildOfferSdp([
        { label: '1', port: 40000 },
        { label: '2', port: 40002 },
      ]),
      metadata: buildMetadata(
        [
          { aor: `sip:${NUMBERS.recorded}@pbx`, sends: '1' },
          { aor: `tel:${NUMBERS.other}`, sends: '2' },
        ],
        { extensionData: `<ms:callType xmlns:ms="http://www.metaswitch.com/siprec/extensions">${callType}</ms:callType>` },
      ),
    });
    expect(call.response!.status).toBe(200);
    const row = await rb.knex('vr_conversations').where('sip_call_id', call.callId).first();
    expect(row.direction).toBe(direction);
    expect((await src.bye(call)).status).toBe(200);
    await finishedConversation(rb.knex, call.callId);
  });
});
