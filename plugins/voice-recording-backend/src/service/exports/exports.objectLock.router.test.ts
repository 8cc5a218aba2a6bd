/*
 * Export packages on S3 with Object Lock (docs/object-storage.md "Retention dates, legal
 * holds and deletes under Object Lock"), the real plugin on a real Ceph RGW, SQLite and
 * PostgreSQL: with `storage.s3.objectLock` configured a package is put without retention
 * (it expires and may be deleted); on a bucket whose own default retention locks it,
 * `DELETE /exports/:id` answers 409 naming the lock and its date, deletes nothing and is
 * audited as refused. GOVERNANCE, a day: the buckets are emptied afterwards.
 */
import { TestDatabases } from '@backstage/backend-test-utils';
import { NotificationSendOptions } from '@backstage/plugin-notifications-node';
import {
  generateEd25519PrivateKeyPem,
  S3BlobStore,
} from '@mvr/plugin-voice-recording-node';
import {
  createTestBucket,
  describeWithS3,
  removeTestBucket,
  s3AdminClient,
  s3StoreOptions,
} from '@mvr/plugin-voice-recording-node/testUtils';
import request from 'supertest';
import {
  caseTestBackend,
  userRef as ref,
} from '../__testUtils__/caseTestBackend';

jest.setTimeout(180_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });
const ALICE = ref('alice');
const GROUPS: Record<string, string[]> = {
  [ALICE]: ['group:default/compliance'],
};
const PEM = generateEd25519PrivateKeyPem();

describeWithS3('export packages under S3 Object Lock', server => {
  const admin = s3AdminClient(server);
  afterAll(() => admin.destroy());

  describe.each(
    databases
      .eachSupportedId()
      .flatMap(([id]) => [
        [id, 'objectLock configured'] as const,
        [id, 'bucket default retention'] as const,
      ]),
  )('on %s with %s', (databaseId, kind) => {
    const sent: NotificationSendOptions[] = [];
    let bucket: string;
    let app: any;
    let s3: S3BlobStore;
    const s3Config = () => ({
      bucket,
      endpoint: server.endpoint,
      region: server.region,
      forcePathStyle: true,
      credentials: server.credentials,
      ...(kind === 'objectLock configured'
        ? { objectLock: { mode: 'GOVERNANCE', retentionDays: 1 } }
        : {}),
    });
    const backend = caseTestBackend({
      databases,
      databaseId,
      groups: GROUPS,
      sent,
      config: {
        signing: { privateKey: PEM },
        get storage() {
          return { s3: s3Config() };
        },
      },
    });
    const { get, post, actions } = backend;

    beforeAll(async () => {
      bucket = await createTestBucket(admin, {
        objectLock: true,
        ...(kind === 'bucket default retention'
          ? { defaultRetention: { mode: 'GOVERNANCE', days: 1 } }
          : {}),
      });
      s3 = new S3BlobStore(s3StoreOptions(server, bucket));
      ({ app } = await backend.start());
    });
    afterAll(async () => {
      await backend.stop();
      s3.destroy();
      await removeTestBucket(admin, bucket);
    });

    // objectLock configured: put without retention, deleted; bucket default: 409 naming the lock
    it('deletes a package put without retention, refuses one the bucket locked (409 naming the lock)', async () => {
      const created = await post(ALICE, '/cases', {
        title: 'Client Y complaint',
        description: 'no calls yet',
        label: { title: 'Client Y', colour: '#D32F2F' },
      });
      expect(created.status).toBe(201);
      const ordered = await post(ALICE, '/exports', {
        scope: { kind: 'case', caseId: created.body.id },
      });
      expect([201, 202]).toContain(ordered.status);
      let job: any;
      for (let i = 0; i < 600; i++) {
        job = (await get(ALICE, `/exports/${ordered.body.id}`)).body;
        if (!['queued', 'running'].includes(job.state)) break;
        await new Promise(r => setTimeout(r, 100));
      }
      expect(job.state).toBe('done');
      const keys = await s3.list('');
      const packageKey = keys.find(k => k.includes(job.id))!;
      expect(packageKey).toBeDefined();
      const lock = await s3.protection(packageKey);

      const del = await request(app)
        .delete(`${backend.api}/exports/${job.id}`)
        .set(backend.as(ALICE));
      const deletes = (await actions('export-delete')).filter(
        (a: any) => a.target_id === job.id,
      );
      expect(lock.retention?.mode).toBe(
        kind === 'objectLock configured' ? undefined : 'GOVERNANCE',
      );
      const until = lock.retention?.retainUntil.toISOString();
      expect({
        status: del.status,
        message: del.body?.error?.message,
        stillListed: (await get(ALICE, `/exports/${job.id}`)).status,
        packageThere: (await s3.stat(packageKey)) !== undefined,
        audit: deletes.map((a: any) => JSON.parse(a.details).outcome),
      }).toEqual(
        kind === 'objectLock configured'
          ? {
              status: 204,
              message: undefined,
              stillListed: 404,
              packageThere: false,
              audit: ['succeeded'],
            }
          : {
              status: 409,
              message: `export ${job.id}: its package is write-once in object storage (S3 Object Lock GOVERNANCE retention until ${until}); it cannot be deleted before ${until}`,
              stillListed: 200,
              packageThere: true,
              audit: ['refused'],
            },
      );
    });
  });
});
