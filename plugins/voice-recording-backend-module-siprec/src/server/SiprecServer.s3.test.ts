/*
 * The recorder on S3 object storage with encryption at rest and background Opus
 * compression (issue 20, docs/object-storage.md): a real SIPREC call's interim WAV, its
 * peaks and then its Opus file are staged, uploaded as ciphertext (the staged bytes as
 * they are), the superseded WAV is gone from disk and bucket, the conversation ends in the
 * store (no location) with the plaintext hash, and the recorder's health says nothing waits.
 */
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { TestDatabases } from '@backstage/backend-test-utils';
import { EncryptedBlobStore, S3BlobStore, StaticKeyEncryptionKeys } from '@mvr/plugin-voice-recording-node';
import {
  createTestBucket,
  describeWithS3,
  removeTestBucket,
  s3AdminClient,
  s3StoreOptions,
} from '@mvr/plugin-voice-recording-node/testUtils';
import { encodeG711, synthSpeech } from '../audio/__testUtils__/speech';
import {
  RecorderBackend,
  finishedConversation,
  startRecorderBackend,
  twoPartyMetadata,
  twoStreamOffer,
  waitFor,
} from '../__testUtils__/recorderBackend';
import { SrcClient, streamRtp } from '../testing/SrcClient';

jest.setTimeout(180_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function readAll(r: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of r) parts.push(Buffer.from(c));
  return Buffer.concat(parts);
}

function blobsUnder(root: string): string[] {
  if (!fs.existsSync(root)) return [];
  return (fs.readdirSync(root, { recursive: true, withFileTypes: true }) as fs.Dirent[])
    .filter(e => e.isFile() && !e.name.endsWith('.meta.json') && !e.name.includes('.tmp-'))
    .map(e => path.relative(root, path.join(e.parentPath, e.name)));
}

describeWithS3('recorder on S3, encrypted at rest, background compression', server => {
  let admin: ReturnType<typeof s3AdminClient>;
  let bucket: string;
  beforeAll(async () => {
    admin = s3AdminClient(server);
    bucket = await createTestBucket(admin);
  });
  afterAll(async () => {
    await removeTestBucket(admin, bucket);
    admin.destroy();
  });

  describe.each(databases.eachSupportedId())('on %s', databaseId => {
    let rb: RecorderBackend;
    let udp: SrcClient;
    let raw: S3BlobStore;
    let portal: EncryptedBlobStore;
    const key = randomBytes(32);
    const prefix = `enc-${databaseId.toLowerCase().replace(/_/g, '-')}/`;

    beforeAll(async () => {
      rb = await startRecorderBackend(
        await databases.init(databaseId),
        { opus: { encode: 'background' }, upload: { retryMinSeconds: 0.5, retryMaxSeconds: 2 } },
        () => ({
          storage: {
            s3: {
              bucket,
              prefix,
              endpoint: server.endpoint,
              region: server.region,
              forcePathStyle: true,
              credentials: server.credentials,
            },
          },
          encryption: { keys: [{ id: 'rec-s3', key: key.toString('base64') }] },
        }),
      );
      udp = new SrcClient({ host: '127.0.0.1', port: rb.port, transport: 'udp' });
      await udp.start();
      raw = new S3BlobStore(s3StoreOptions(server, bucket, { prefix }));
      portal = new EncryptedBlobStore(raw, new StaticKeyEncryptionKeys([['rec-s3', key]], 'rec-s3'));
    });

    afterAll(async () => {
      await udp?.close();
      await rb?.stop();
      raw?.destroy();
      if (rb) fs.rmSync(rb.dir, { recursive: true, force: true });
    });

    it('stages, compresses and uploads a call as ciphertext; the conversation ends in the store with the plaintext hash', async () => {
      const a = synthSpeech('Buy two hundred bonds at par.').subarray(0, 8000 * 2);
      const call = await udp.invite({ sdp: twoStreamOffer(), metadata: twoPartyMetadata() });
      expect(call.response!.status).toBe(200);
      await Promise.all([
        streamRtp({ port: call.mediaPorts[0], payload: encodeG711('pcma', a), payloadType: 8 }),
        streamRtp({ port: call.mediaPorts[1], payload: encodeG711('pcma', a), payloadType: 8 }),
      ]);
      expect((await udp.bye(call)).status).toBe(200);
      const registered = await finishedConversation(rb.knex, call.callId);
      expect(registered.storage_key).toMatch(/\.wav$/);
      const row = await waitFor(
        async () => {
          const r = await rb.knex('vr_conversations').where('sip_call_id', call.callId).first();
          return r.compress_to === null && r.superseded_storage_key === null && r.storage_location === null ? r : undefined;
        },
        60_000,
        'the call compressed and uploaded',
      );
      expect(row.format).toBe('audio/ogg; codecs=opus');
      // the object is ciphertext; decrypted with the key it is the conversation's archive
      const object = await readAll(await raw.get(row.storage_key));
      expect(object.subarray(0, 6).toString('ascii')).toBe('MVRENC');
      expect(object.includes(Buffer.from('OggS'))).toBe(false);
      const plain = await readAll(await portal.get(row.storage_key));
      expect(sha256(plain)).toBe(row.sha256);
      expect(plain.length).toBe(Number(row.bytes));
      expect(plain.subarray(0, 4).toString('ascii')).toBe('OggS');
      expect(await raw.stat(`${row.storage_key}.peaks`)).toBeDefined();
      // the interim WAV is gone everywhere, nothing is left staged
      await waitFor(async () => ((await raw.stat(registered.storage_key)) === undefined ? true : undefined), 30_000, 'the WAV gone from the bucket');
      await waitFor(async () => (blobsUnder(rb.archiveDir).length === 0 ? true : undefined), 30_000, 'the staging directory to empty');
      expect(await raw.list('_encryption/')).toEqual(['_encryption/key-check/rec-s3']);
      const health = await fetch(`http://127.0.0.1:${rb.httpPort}/api/voice-recording/recorder/health`);
      expect(health.status).toBe(200);
      expect(((await health.json()) as any).uploads).toMatchObject({ staged: 0, unqueued: 0 });
    });
  });
});
