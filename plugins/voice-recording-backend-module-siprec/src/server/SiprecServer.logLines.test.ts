/*
 * Item 17 of issue 14, the recorder's log lines through a whole call: a Call-ID with
 * NUL, ESC, CR-like and C1 control characters and bytes that are not UTF-8, and
 * participant names with such characters, go through set-up, a metadata update and the
 * BYE; no line the backend logs carries one of them raw (each shows as an escape).
 * Real SIP over UDP, real RTP, the real plugin on SQLite and PostgreSQL.
 */
import { TestDatabases } from '@backstage/backend-test-utils';
import { storedSipIdentifier } from '@mvr/plugin-voice-recording-node';
import { buildMetadata } from '../testing/siprecMessages';
import { encodeG711, synthSpeech } from '../audio/__testUtils__/speech';
import { NUMBERS, RecorderBackend, finishedConversation, startRecorderBackend, twoStreamOffer } from '../__testUtils__/recorderBackend';
import { SrcClient, streamRtp } from '../testing/SrcClient';

jest.setTimeout(120_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });

// eslint-disable-next-line no-control-regex
const RAW = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\ufffd]/;
/** replaced on the wire by as many bytes that are not UTF-8 (a JS string cannot hold them; Content-Length stays right) */
const NOT_UTF8 = '^^';
const NOT_UTF8_BYTES = Buffer.from([0xff, 0xfe]);

function replaceAll(bytes: Buffer, what: Buffer, by: Buffer): Buffer {
  const parts: Buffer[] = [];
  let from = 0;
  for (let i = bytes.indexOf(what); i >= 0; i = bytes.indexOf(what, from)) {
    parts.push(bytes.subarray(from, i), by);
    from = i + what.length;
  }
  if (!parts.length) return bytes;
  parts.push(bytes.subarray(from));
  return Buffer.concat(parts);
}

describe.each(databases.eachSupportedId())('SIPREC recorder log lines with hostile identifiers on %s', databaseId => {
  let rb: RecorderBackend;
  let client: SrcClient;

  beforeAll(async () => {
    const knex = await databases.init(databaseId);
    rb = await startRecorderBackend(knex);
    client = new SrcClient({ host: '127.0.0.1', port: rb.port, transport: 'udp' });
    await client.start();
    const send = client.sendRaw.bind(client);
    client.sendRaw = bytes => send(replaceAll(bytes, Buffer.from(NOT_UTF8), NOT_UTF8_BYTES));
  });
  afterAll(async () => {
    await client?.close();
    await rb?.stop();
  });

  it('writes no control byte, line break or undecodable byte of the peer into any log line (INVITE, update, BYE)', async () => {
    const callId = `logtag\u0000nul\u001b[2Jesc\u000bvt\u0085nel\u2028ls\u007fdel${NOT_UTF8}@sbc.example.net`;
    // what the recorder reads: each byte that is not UTF-8 becomes U+FFFD
    const received = callId.replace(NOT_UTF8, '\ufffd\ufffd');
    const parties = (third?: string) =>
      buildMetadata([
        { aor: `sip:${NUMBERS.recorded}@pbx.example.com`, sends: '1' },
        { aor: `sip:${NUMBERS.other}@carrier.example.net`, name: `Eve\u0085\u2028 ${NOT_UTF8}`, sends: '2' },
        ...(third ? [{ aor: `sip:${third}@carrier.example.net`, name: `Mallory\u2029${NOT_UTF8}`, sends: '2' }] : []),
      ]);
    const lines = () => rb.logLines.map(l => l.message);
    const before = rb.logLines.length;

    const call = await client.invite({ sdp: twoStreamOffer(), metadata: parties(), callId });
    expect(`${call.response!.status} ${call.response!.reason}`).toBe('200 OK');
    const pcm = synthSpeech('Buy five hundred at market.').subarray(0, 8000);
    await Promise.all(call.mediaPorts.map(port => streamRtp({ port, payload: encodeG711('pcma', pcm), payloadType: 8 })));
    // a transfer: a third participant joins (complete metadata snapshot)
    expect((await client.reinvite(call, { metadata: parties('+32499000002') })).status).toBe(200);
    expect((await client.bye(call)).status).toBe(200);

    const row = await finishedConversation(rb.knex, storedSipIdentifier(received));
    expect(row).toMatchObject({ state: 'finished', ended_by: 'bye', number: NUMBERS.recorded });
    // the lines that name the call: set-up, metadata update, end
    const escaped = 'logtag\\x00nul\\x1b[2Jesc\\x0bvt\\x85nel\\u2028ls\\x7fdel\\ufffd\\ufffd@sbc.example.net';
    const aboutCall = () => lines().slice(before).filter(l => l.includes('logtag'));
    await finishedLine(() => aboutCall().some(l => l.includes('ended by bye')));
    const mentions = aboutCall();
    expect(mentions.some(l => l.startsWith(`recording call ${escaped} for ${NUMBERS.recorded}`))).toBe(true);
    expect(mentions.some(l => l.startsWith(`call ${escaped}: recording metadata updated (3 participants)`))).toBe(true);
    expect(mentions.some(l => l.startsWith(`call ${escaped} (conversation ${row.id}`))).toBe(true);
    for (const l of mentions) expect(l).toContain(escaped);
    // and no line at all (any plugin, any level) carries a raw control byte or U+FFFD
    const raw = lines()
      .slice(before)
      .filter(l => RAW.test(l));
    expect(raw).toEqual([]);
  });
});

async function finishedLine(check: () => boolean) {
  const end = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out waiting for the log line of the call end');
    await new Promise(r => setTimeout(r, 50));
  }
}
