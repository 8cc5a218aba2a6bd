/*
 * The recorder's archive puts and S3 Object Lock, on a real Ceph RGW bucket with Object
 * Lock (GOVERNANCE, a day: the bucket is emptied afterwards): an interim WAV that
 * compression will replace and every peak envelope are put without retention (else the
 * compressor could not delete the WAV, nor the disposal job the conversation, for
 * `retentionDays`); a final archive gets the store's retention.
 */
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { mockServices } from '@backstage/backend-test-utils';
import { S3BlobStore } from '@mvr/plugin-voice-recording-node';
import {
  createTestBucket,
  describeWithS3,
  removeTestBucket,
  s3AdminClient,
  s3StoreOptions,
} from '@mvr/plugin-voice-recording-node/testUtils';
import { archiveJournal } from '../call/register';
import { CallJournal, JournalChannel } from './CallJournal';
import { finalizeRecording, loadFinalizeInput } from './finalize';

jest.setTimeout(60_000);

const channels: JournalChannel[] = [
  { index: 0, role: 'other', encoding: 'pcma', label: 'b_leg' },
  { index: 1, role: 'recorded', encoding: 'pcma', label: 'a_leg' },
];

describeWithS3('recorder archives under S3 Object Lock', server => {
  const admin = s3AdminClient(server);
  let bucket: string;
  let store: S3BlobStore;
  let dir: string;

  beforeAll(async () => {
    bucket = await createTestBucket(admin, { objectLock: true });
    store = new S3BlobStore(s3StoreOptions(server, bucket, { objectLock: { mode: 'GOVERNANCE', retentionDays: 1 } }));
  });
  afterAll(async () => {
    store.destroy();
    await removeTestBucket(admin, bucket);
    admin.destroy();
  });
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(tmpdir(), 'mvr-finalize-lock-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  async function journal(callId: string) {
    const j = await CallJournal.create(dir, { callId, channels });
    for (let f = 0; f < 50; f++) {
      j.appendAudio(0, f * 160, Buffer.alloc(160, 0x55));
      j.appendAudio(1, f * 160, Buffer.alloc(160, 0xd5));
    }
    await j.end({ endedBy: 'bye' });
    return loadFinalizeInput(j.path);
  }

  it('puts an interim WAV (compression follows) and its peaks without retention', async () => {
    const { result } = await archiveJournal(await journal('interim-call'), 'c1', {}, {
      blobStore: store,
      format: 'wav-g711',
      compressTo: 'opus',
      logger: mockServices.logger.mock(),
    });
    expect(result?.storageKey).toMatch(/\.wav$/);
    expect(await store.protection(result!.storageKey)).toEqual({ legalHold: false, retention: undefined });
    expect(await store.protection(result!.peaksKey!)).toEqual({ legalHold: false, retention: undefined });
    // so the compressor can delete it once replaced
    await expect(store.delete(result!.storageKey)).resolves.toBe(true);
  });

  it('locks a final archive with the store retention, not its peaks', async () => {
    const before = Date.now();
    const result = await finalizeRecording(await journal('final-call'), { blobStore: store, format: 'wav-g711' });
    const lock = await store.protection(result.storageKey);
    expect(lock.retention?.mode).toBe('GOVERNANCE');
    expect(lock.retention!.retainUntil.getTime()).toBeGreaterThanOrEqual(before + 86_400_000 - 1000);
    expect((await store.protection(result.peaksKey!)).retention).toBeUndefined();
  });
});
