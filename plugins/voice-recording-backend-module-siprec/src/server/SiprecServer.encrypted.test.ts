/*
 * The recorder with encryption at rest (docs/encryption.md): a real SIPREC call is
 * archived encrypted (the interim WAV, its peaks, then the Opus file made on an encoder
 * thread), and the conversation's hash is the plaintext's.
 */
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { TestDatabases } from '@backstage/backend-test-utils';
import { EncryptedBlobStore, LocalFileBlobStore, StaticKeyEncryptionKeys } from '@mvr/plugin-voice-recording-node';
import { decodeOggOpus } from '../audio/opusFile';
import { bestCorrelation, channel, encodeG711, synthSpeech } from '../audio/__testUtils__/speech';
import {
  RecorderBackend,
  compressedConversation,
  finishedConversation,
  startRecorderBackend,
  twoPartyMetadata,
  twoStreamOffer,
} from '../__testUtils__/recorderBackend';
import { SrcClient, streamRtp } from '../testing/SrcClient';

jest.setTimeout(180_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function readAll(r: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of r) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

describe.each(databases.eachSupportedId())('recorder archive encrypted at rest on %s', databaseId => {
  let rb: RecorderBackend;
  let udp: SrcClient;
  const key = randomBytes(32);
  let store: EncryptedBlobStore;

  beforeAll(async () => {
    rb = await startRecorderBackend(await databases.init(databaseId), { opus: { encode: 'background' } }, ({ archiveDir }) => ({
      storage: { local: { directory: archiveDir } },
      encryption: { keys: [{ id: 'rec-1', key: key.toString('base64') }] },
    }));
    udp = new SrcClient({ host: '127.0.0.1', port: rb.port, transport: 'udp' });
    await udp.start();
    store = new EncryptedBlobStore(
      new LocalFileBlobStore(rb.archiveDir, { minFreeBytes: 0 }),
      new StaticKeyEncryptionKeys([['rec-1', key]], 'rec-1'),
    );
  });

  afterAll(async () => {
    await udp?.close();
    await rb?.stop();
  });

  it('archives a call encrypted (WAV, peaks, then Opus from the encoder thread) with the plaintext hash on the conversation', async () => {
    const a = synthSpeech('Buy fifty thousand shares at market.').subarray(0, 8000 * 3);
    const b = synthSpeech('Bought, fifty thousand at market.', 'en-gb').subarray(0, 8000 * 3);
    const call = await udp.invite({ sdp: twoStreamOffer(), metadata: twoPartyMetadata() });
    expect(call.response!.status).toBe(200);
    await Promise.all([
      streamRtp({ port: call.mediaPorts[0], payload: encodeG711('pcma', a), payloadType: 8 }),
      streamRtp({ port: call.mediaPorts[1], payload: encodeG711('pcma', b), payloadType: 8 }),
    ]);
    expect((await udp.bye(call)).status).toBe(200);
    const registered = await finishedConversation(rb.knex, call.callId);
    expect(registered.storage_key).toMatch(/\.wav$/);
    const row = await compressedConversation(rb.knex, call.callId);
    expect(row.format).toBe('audio/ogg; codecs=opus');

    const onDisk = fs.readFileSync(path.join(rb.archiveDir, row.storage_key));
    expect(onDisk.subarray(0, 6).toString('ascii')).toBe('MVRENC');
    expect(onDisk.includes(Buffer.from('OggS'))).toBe(false);
    const peaksOnDisk = fs.readFileSync(path.join(rb.archiveDir, `${row.storage_key}.peaks`));
    expect(peaksOnDisk.subarray(0, 6).toString('ascii')).toBe('MVRENC');
    expect(fs.existsSync(path.join(rb.archiveDir, '_encryption', 'key-check', 'rec-1'))).toBe(true);

    const opus = await readAll(await store.get(row.storage_key));
    expect(sha256(opus)).toBe(row.sha256);
    expect(Number(row.bytes)).toBe(opus.length);
    const decoded = decodeOggOpus(opus, 8000);
    expect(bestCorrelation(a, channel(decoded.pcm, 0).subarray(0, a.length + 8000), 8000).value).toBeGreaterThan(0.8);
    expect(bestCorrelation(b, channel(decoded.pcm, 1).subarray(0, b.length + 8000), 8000).value).toBeGreaterThan(0.8);
    expect(rb.server.storeStatus().compressJobs).toMatchObject({ failed: 0 });
  });
});
