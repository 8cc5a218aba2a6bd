import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TestDatabases } from '@backstage/backend-test-utils';
import { decodeOggOpus } from '../audio/opusFile';
import { writeWavG711Stereo } from '../audio/wav';
import { bestCorrelation, channel, encodeG711, loopTo, synthSpeech } from '../audio/__testUtils__/speech';
import {
  RecorderBackend,
  compressedConversation,
  finishedConversation,
  startRecorderBackend,
  twoPartyMetadata,
  waitFor,
  twoStreamOffer,
} from '../__testUtils__/recorderBackend';
import { SrcClient, streamRtp } from '../testing/SrcClient';

jest.setTimeout(180_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function compressJobsOf(rb: RecorderBackend, conversationId: string) {
  return rb
    .knex('vr_archive_jobs')
    .where({ kind: 'compress', subject: conversationId })
    .orderBy('id')
    .select('state', 'attempts', 'last_error')
    .then(rows => rows.map(r => ({ ...r, attempts: Number(r.attempts) })));
}

async function auditOf(rb: RecorderBackend, conversationId: string, action: string) {
  const rows = await rb.knex('vr_audit_log').where({ target_type: 'conversation', target_id: conversationId, action });
  return rows.map(r => JSON.parse(r.details));
}

describe.each(databases.eachSupportedId())('background Opus compression (opus.encode: background) on %s', databaseId => {
  let rb: RecorderBackend;
  let udp: SrcClient;

  beforeAll(async () => {
    // the recovery scan every second (default 60 s): the second test leaves a WAV without a job
    rb = await startRecorderBackend(await databases.init(databaseId), { opus: { encode: 'background' } }, () => ({
      archive: { scanIntervalSeconds: 1 },
    }));
    udp = new SrcClient({ host: '127.0.0.1', port: rb.port, transport: 'udp' });
    await udp.start();
  });

  afterAll(async () => {
    await udp?.close();
    await rb?.stop();
  });

  it('registers the call with a lossless WAV, then replaces it with Ogg/Opus: both hashes audited, WAV deleted, audio intact', async () => {
    const a = synthSpeech('Sell two hundred thousand euros against dollars at one point zero eight.').subarray(0, 8000 * 3);
    const b = synthSpeech('Done, two hundred thousand at one point zero eight, confirmed.', 'en-gb').subarray(0, 8000 * 3);
    const call = await udp.invite({ sdp: twoStreamOffer(), metadata: twoPartyMetadata() });
    expect(call.response!.status).toBe(200);
    await Promise.all([
      streamRtp({ port: call.mediaPorts[0], payload: encodeG711('pcma', a), payloadType: 8 }),
      streamRtp({ port: call.mediaPorts[1], payload: encodeG711('pcma', b), payloadType: 8 }),
    ]);
    expect((await udp.bye(call)).status).toBe(200);

    const registered = await finishedConversation(rb.knex, call.callId);
    const row = await compressedConversation(rb.knex, call.callId);
    expect(row.id).toBe(registered.id);

    // registered first with the interim WAV (the conversation-finish audit keeps its hash)
    const [finish] = await auditOf(rb, row.id, 'conversation-finish');
    expect(finish.storageKey).toMatch(/\.wav$/);
    expect(finish.sha256).toMatch(/^[0-9a-f]{64}$/);

    // now the Opus file, under the same name with .opus
    expect(row.format).toBe('audio/ogg; codecs=opus');
    expect(row.storage_key).toBe(finish.storageKey.replace(/\.wav$/, '.opus'));
    const file = fs.readFileSync(path.join(rb.archiveDir, row.storage_key));
    expect(sha256(file)).toBe(row.sha256);
    expect(Number(row.bytes)).toBe(file.length);
    expect(file.includes(Buffer.from(`SOURCE_SHA256=${finish.sha256}`))).toBe(true);
    // the WAV and its envelope are gone; the envelope is next to the Opus file
    expect(fs.existsSync(path.join(rb.archiveDir, finish.storageKey))).toBe(false);
    expect(fs.existsSync(path.join(rb.archiveDir, `${finish.storageKey}.peaks`))).toBe(false);
    expect(fs.existsSync(path.join(rb.archiveDir, `${row.storage_key}.peaks`))).toBe(true);

    // chain of custody: one audit entry with both hashes
    const [compressed] = await auditOf(rb, row.id, 'conversation-archive-compressed');
    expect(compressed).toMatchObject({
      from: { storageKey: finish.storageKey, sha256: finish.sha256 },
      to: { storageKey: row.storage_key, sha256: row.sha256, bytes: file.length, format: 'audio/ogg; codecs=opus' },
    });
    // the interim WAV was G.711 stereo: 2 bytes per 8 kHz frame after its header
    expect(compressed.from.bytes).toBeGreaterThanOrEqual(2 * 8000 * 3);

    const decoded = decodeOggOpus(file, 8000);
    const cl = bestCorrelation(a, channel(decoded.pcm, 0).subarray(0, a.length + 8000), 8000);
    const cr = bestCorrelation(b, channel(decoded.pcm, 1).subarray(0, b.length + 8000), 8000);
    // eslint-disable-next-line no-console
    console.log(`background compression (${databaseId}): ${file.length} bytes, correlation L ${cl.value.toFixed(3)} R ${cr.value.toFixed(3)}`);
    expect(cl.value).toBeGreaterThan(0.8);
    expect(cr.value).toBeGreaterThan(0.8);
    // compressed by the compress job the recorder enqueued at the registration, first attempt
    expect(await compressJobsOf(rb, row.id)).toEqual([{ state: 'done', attempts: 1, last_error: null }]);
    expect(rb.server.storeStatus().compressJobs).toMatchObject({ failed: 0 });
    expect(rb.server.storeStatus().compressJobs!.enqueued).toBeGreaterThanOrEqual(1);
  });

  it('compresses a WAV left pending with no job (registered before the queue, or its enqueue failed): the recovery scan enqueues it', async () => {
    const call = await udp.invite({ sdp: twoStreamOffer(), metadata: twoPartyMetadata() });
    expect(call.response!.status).toBe(200);
    expect((await udp.bye(call)).status).toBe(200);
    const done = await compressedConversation(rb.knex, call.callId);

    // as a recorder that stopped before compressing would leave it: a WAV, pending
    // 3 s of the first test's speech, μ-law this time (sox dithers its output, so the
    // fixture varies a little between runs: a short looped phrase was too close to the threshold)
    const left = loopTo(synthSpeech('Sell two hundred thousand euros against dollars at one point zero eight.'), 8000 * 3).subarray(0, 8000 * 3);
    const right = loopTo(synthSpeech('Done, two hundred thousand at one point zero eight, confirmed.', 'en-gb'), 8000 * 3).subarray(0, 8000 * 3);
    const wav = writeWavG711Stereo('mulaw', encodeG711('pcmu', left), encodeG711('pcmu', right), 8000);
    const key = done.storage_key.replace(/\.opus$/, '-pending.wav');
    fs.writeFileSync(path.join(rb.archiveDir, key), wav);
    await rb.knex('vr_conversations').where({ id: done.id }).update({
      storage_key: key,
      sha256: sha256(wav),
      bytes: wav.length,
      format: 'audio/wav',
      compress_to: 'opus',
    });
    const row = await waitFor(
      async () => {
        const r = await rb.knex('vr_conversations').where({ id: done.id }).first();
        return r.storage_key !== key && r.compress_to === null && r.superseded_storage_key === null ? r : undefined;
      },
      30_000,
      'the pending WAV to be compressed',
    );
    expect(row.storage_key).toBe(key.replace(/\.wav$/, '.opus'));
    const file = fs.readFileSync(path.join(rb.archiveDir, row.storage_key));
    expect(sha256(file)).toBe(row.sha256);
    expect(fs.existsSync(path.join(rb.archiveDir, key))).toBe(false);
    // one more compress job: the scan's
    expect(await compressJobsOf(rb, done.id)).toEqual([
      { state: 'done', attempts: 1, last_error: null },
      { state: 'done', attempts: 1, last_error: null },
    ]);
    const decoded = decodeOggOpus(file, 8000);
    expect(decoded.pcm.length / 2).toBeGreaterThanOrEqual(8000 * 3 - 160);
    const cl = bestCorrelation(left, channel(decoded.pcm, 0), 8000);
    const cr = bestCorrelation(right, channel(decoded.pcm, 1), 8000);
    // eslint-disable-next-line no-console
    console.log(`pending WAV compressed (${databaseId}): correlation L ${cl.value.toFixed(3)} R ${cr.value.toFixed(3)}`);
    expect(cl.value).toBeGreaterThan(0.8);
    expect(cr.value).toBeGreaterThan(0.8);
  });
});
