/*
 * The portal on S3 object storage (voiceRecording.storage.s3, docs/object-storage.md), on
 * a real Ceph RGW: it checks the bucket at start (a missing bucket stops it, naming the
 * bucket and the config key); a recording still staged on a recorder's disk answers 503
 * "still being uploaded from recorder X" instead of a 404; once the recorder's verified
 * upload has put it in the bucket it plays, with ranges, and downloads.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { mockCredentials, startTestBackend, TestDatabases } from '@backstage/backend-test-utils';
import { coreServices, createServiceFactory, LoggerService } from '@backstage/backend-plugin-api';
import { Conversation } from '@mvr/plugin-voice-recording-common';
import {
  LocalFileBlobStore,
  OggOpusWriter,
  S3BlobStore,
  StagingBlobStore,
} from '@mvr/plugin-voice-recording-node';
import {
  createTestBucket,
  describeWithS3,
  removeTestBucket,
  s3AdminClient,
  s3StoreOptions,
  S3TestServer,
} from '@mvr/plugin-voice-recording-node/testUtils';
import { Knex } from 'knex';
import request from 'supertest';
import { ConversationSearchStore } from '../../database/ConversationSearchStore';
import { KnexConversationsStore } from '../../database/ConversationsStore';
import { ALICE, aliceTestFeatures, sweepTone } from '../__testUtils__/aliceTestBackend';
import { binary, finishedCall } from '../__testUtils__/caseTestBackend';

jest.setTimeout(180_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });
interface Line {
  level: string;
  message: string;
}

function capturingLogger(lines: Line[]): LoggerService {
  const write = (level: string) => (message: string) => {
    lines.push({ level, message: String(message) });
  };
  const logger: LoggerService = {
    error: write('error'),
    warn: write('warn'),
    info: write('info'),
    debug: write('debug'),
    child: () => logger,
  };
  return logger;
}

function features(knex: Knex, server: S3TestServer, bucket: string, prefix: string, lines: Line[]) {
  return aliceTestFeatures(
    knex,
    {
      storage: {
        s3: {
          bucket,
          ...(prefix ? { prefix } : {}),
          endpoint: server.endpoint,
          region: server.region,
          forcePathStyle: true,
          credentials: server.credentials,
        },
      },
    },
    [createServiceFactory({ service: coreServices.rootLogger, deps: {}, factory: () => capturingLogger(lines) })],
  );
}

describeWithS3('the portal on S3 object storage', server => {
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
    let knex: Knex;
    let app: any;
    let stop: () => Promise<void>;
    let stagingDir: string;
    let call: Conversation;
    let ogg: Buffer;
    const lines: Line[] = [];
    const prefix = `portal-${databaseId.toLowerCase().replace(/_/g, '-')}-${randomBytes(3).toString('hex')}/`;
    const as = { Authorization: mockCredentials.user.header(ALICE) };
    const api = '/api/voice-recording';
    let staging: StagingBlobStore;
    let remote: S3BlobStore;

    beforeAll(async () => {
      knex = await databases.init(databaseId);
      const backend = await startTestBackend({ features: features(knex, server, bucket, prefix, lines) });
      app = backend.server;
      stop = () => backend.stop();
      // the recorder's side: its staging directory in front of the same bucket and prefix
      stagingDir = mkdtempSync(path.join(tmpdir(), 'vr-s3-router-'));
      remote = new S3BlobStore(s3StoreOptions(server, bucket, { prefix }));
      staging = new StagingBlobStore({ local: new LocalFileBlobStore(stagingDir, { minFreeBytes: 0 }), remote });
      const writer = new OggOpusWriter({ sampleRate: 8000, channels: 2 });
      ogg = Buffer.concat([...writer.write(sweepTone(20)), ...writer.end()]);
      const stored = await staging.put('recordings/s3/call.opus', ogg, { contentType: 'audio/ogg; codecs=opus' });
      call = finishedCall('2026-12-07T09:30:00.000Z', {
        number: '+32470123456',
        userRef: 'user:default/bob',
        durationMs: 20_000,
        storageKey: stored.key,
        sha256: stored.sha256,
        bytes: stored.size,
        format: 'audio/ogg; codecs=opus',
        captureSource: 'siprec',
        captureInstance: 'rec-b',
      });
      await knex('vr_conversations').delete();
      await new ConversationSearchStore(knex).insertFinished([call]);
      await knex('vr_conversations').where({ id: call.id }).update({ storage_location: 'staged:rec-b' });
    });

    afterAll(async () => {
      await stop?.();
      remote?.destroy();
      rmSync(stagingDir, { recursive: true, force: true });
    });

    it('logs where recordings go, without the secret', () => {
      const line = lines.find(l => l.message.startsWith('voice-recording storage: '));
      expect(line?.message).toBe(
        `voice-recording storage: S3 object storage s3://${bucket}/${prefix} at ${server.endpoint} (configured credentials)`,
      );
      expect(lines.some(l => l.message.includes(server.credentials.secretAccessKey))).toBe(false);
    });

    it('answers 503 "still being uploaded from recorder X" for a recording staged on a recorder', async () => {
      const audio = await request(app).get(`${api}/conversations/${call.id}/audio`).set(as);
      expect(audio.status).toBe(503);
      expect(audio.body.error.message).toBe(
        `the recording of conversation ${call.id} is still being uploaded from recorder "rec-b" to object storage; try again in a moment`,
      );
      const mp3 = await request(app).get(`${api}/conversations/${call.id}/download`).set(as);
      expect(mp3.status).toBe(503);
      expect(mp3.body.error.message).toContain('still being uploaded from recorder "rec-b"');
      // the detail says where it is
      const detail = await request(app).get(`${api}/conversations/${call.id}`).set(as);
      expect(detail.status).toBe(200);
      expect(detail.body.storageLocation).toBe('staged:rec-b');
    });

    it('plays and downloads the recording once its upload is verified and its location cleared', async () => {
      const store = new KnexConversationsStore(knex);
      const done = await staging.upload(call.storageKey!, {
        onVerified: async () => {
          expect(await store.setArchiveLocation(call.storageKey!, null, { expected: 'staged:rec-b' })).toBe(1);
        },
      });
      expect(done.outcome).toBe('uploaded');
      const url = `${api}/conversations/${call.id}/audio`;
      const full = await binary(request(app).get(url).set(as));
      expect(full.status).toBe(200);
      expect(Buffer.compare(full.body, ogg)).toBe(0);
      const part = await binary(request(app).get(url).set(as).set('Range', 'bytes=1000-1999'));
      expect(part.status).toBe(206);
      expect(Buffer.compare(part.body, ogg.subarray(1000, 2000))).toBe(0);
      const mp3 = await binary(request(app).get(`${api}/conversations/${call.id}/download`).set(as));
      expect(mp3.status).toBe(200);
      expect(mp3.headers['content-type']).toBe('audio/mpeg');
      expect(mp3.body.length).toBeGreaterThan(1000);
    });
  });

  it('refuses to start on a bucket that does not exist, naming it and the config key', async () => {
    const knex = await databases.init('SQLITE_3');
    const lines: Line[] = [];
    const missing = `mvr-missing-${randomBytes(4).toString('hex')}`;
    const started = startTestBackend({ features: features(knex, server, missing, '', lines) });
    await expect(started).rejects.toThrow(
      new RegExp(`voice-recording storage: S3 object storage s3://${missing}/ at .* cannot be used: S3 bucket "${missing}" does not exist.*\\(voiceRecording\\.storage\\.s3\\)`),
    );
  });
});
