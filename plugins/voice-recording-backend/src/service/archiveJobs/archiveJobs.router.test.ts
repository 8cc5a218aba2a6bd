import { mockCredentials, TestDatabases } from '@backstage/backend-test-utils';
import { NotificationSendOptions } from '@backstage/plugin-notifications-node';
import { Knex } from 'knex';
import request from 'supertest';
import { ArchiveJobsStore } from '../../database/ArchiveJobsStore';
import {
  caseTestBackend,
  userRef as ref,
} from '../__testUtils__/caseTestBackend';

jest.setTimeout(180_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });

const ALICE = ref('alice'); // admin (compliance)
const BOB = ref('bob'); // standard user
/** An error text from outside (an S3 endpoint's answer): stored and answered as text. */
const HOSTILE_ERROR = '<img src=x onerror=alert(1)> 503 Slow Down';

/**
 * The archive queue's admin routes in the plugin on a real database, with the suite's
 * real policy: figures per kind, dead jobs a page at a time, a retry (audited), and the
 * refusals (audited). Jobs carry the affinity of an instance that does not exist here, so
 * no worker of this process takes them.
 */
describe.each(databases.eachSupportedId())(
  'archive jobs routes on %s',
  databaseId => {
    const sent: NotificationSendOptions[] = [];
    const backend = caseTestBackend({
      databases,
      databaseId,
      groups: { [ALICE]: ['group:default/compliance'] },
      sent,
    });
    const { get, post, actions } = backend;
    let knex: Knex;
    let app: any;
    let store: ArchiveJobsStore;
    const dead: string[] = [];
    let queued: string;
    const NOWHERE = 'recorder-that-is-not-here';

    beforeAll(async () => {
      ({ knex, app } = await backend.start());
      store = new ArchiveJobsStore(knex);
      const t0 = new Date(Date.now() - 3600_000);
      for (let i = 0; i < 3; i++) {
        const id = await store.enqueue(
          {
            kind: 'upload',
            subject: `staged/c${i}.opus`,
            conversationId: `00000000-0000-4000-8000-00000000000${i}`,
            payload: { localPath: '/var/lib/secret/path' },
            affinity: NOWHERE,
            maxAttempts: 3,
          },
          t0,
        );
        const [job] = await store.claim({
          workerId: 'test-worker',
          instanceIds: [NOWHERE],
          kinds: ['upload'],
          limit: 1,
          leaseMs: 60_000,
        });
        if (job?.id !== id) throw new Error(`claimed ${job?.id}, not ${id}`);
        await store.fail(id, 'test-worker', `${HOSTILE_ERROR} (${i})`, {
          retryInMs: 0,
          permanent: true,
        });
        dead.push(id);
      }
      queued = await store.enqueue(
        { kind: 'compress', subject: 'c9', affinity: NOWHERE },
        new Date(Date.now() - 120_000),
      );
    });
    afterAll(() => backend.stop());

    it('answers the figures per kind', async () => {
      const r = await get(ALICE, '/archive-jobs/summary');
      expect(r.status).toBe(200);
      expect(r.body.kinds).toEqual([
        { kind: 'upload', queued: 0, running: 0, dead: 3, oldestAgeSeconds: 0 },
        {
          kind: 'compress',
          queued: 1,
          running: 0,
          dead: 0,
          oldestAgeSeconds: expect.any(Number),
        },
        { kind: 'derive', queued: 0, running: 0, dead: 0, oldestAgeSeconds: 0 },
      ]);
      expect(r.body.kinds[1].oldestAgeSeconds).toBeGreaterThanOrEqual(119);
      expect(Date.parse(r.body.at)).not.toBeNaN();
    });

    it('lists the dead jobs a page at a time, newest first, without their payload', async () => {
      const first = await get(ALICE, '/archive-jobs?state=dead&limit=2');
      expect(first.status).toBe(200);
      expect(first.body.items.map((j: any) => j.id)).toEqual([
        dead[2],
        dead[1],
      ]);
      expect(first.body.items[0]).toMatchObject({
        kind: 'upload',
        state: 'dead',
        subject: 'staged/c2.opus',
        conversationId: '00000000-0000-4000-8000-000000000002',
        attempts: 1,
        maxAttempts: 3,
        lastError: `${HOSTILE_ERROR} (2)`,
      });
      expect(JSON.stringify(first.body)).not.toContain('/var/lib/secret');
      const second = await get(
        ALICE,
        `/archive-jobs?state=dead&limit=2&cursor=${first.body.nextCursor}`,
      );
      expect(second.body.items.map((j: any) => j.id)).toEqual([dead[0]]);
      expect(second.body.nextCursor).toBeUndefined();
      const compress = await get(ALICE, '/archive-jobs?kind=compress');
      expect(compress.body.items.map((j: any) => j.id)).toEqual([queued]);
    });

    it('answers 400 naming the parameter', async () => {
      for (const [url, field] of [
        ['/archive-jobs?state=lost', 'state'],
        ['/archive-jobs?kind=shred', 'kind'],
        ['/archive-jobs?limit=0', 'limit'],
        ['/archive-jobs?cursor=abc', 'cursor'],
        ['/archive-jobs?sort=age', 'query'],
      ]) {
        const r = await get(ALICE, url);
        expect([url, r.status]).toEqual([url, 400]);
        expect(r.body.error.message).toMatch(new RegExp(`^${field}`));
      }
    });

    it('refuses a standard user every route, audited, and changes nothing', async () => {
      const before = (await actions('permission-denied')).length;
      for (const r of [
        await get(BOB, '/archive-jobs/summary'),
        await get(BOB, '/archive-jobs?state=dead'),
        await post(BOB, `/archive-jobs/${dead[0]}/retry`),
      ])
        expect(r.status).toBe(403);
      const denied = (await actions('permission-denied')).slice(before);
      expect(
        denied.map(d => [d.actor_ref, JSON.parse(d.details).permission]),
      ).toEqual([
        [BOB, 'voice-recording.health.read'],
        [BOB, 'voice-recording.health.read'],
        [BOB, 'voice-recording.health.acknowledge'],
      ]);
      expect((await store.get(dead[0]))?.state).toBe('dead');
      // a service may read the figures only through a channel allowed to
      const network = await request(app)
        .get(`${backend.api}/archive-jobs/summary`)
        .set(
          'Authorization',
          mockCredentials.service.header({
            onBehalfOf: mockCredentials.service('external:mobile-network'),
          } as any),
        );
      expect(network.status).toBe(403);
    });

    it('retries a dead job (audited); 409 for a job that is not dead, 404 unknown, 400 not an id', async () => {
      const ok = await post(ALICE, `/archive-jobs/${dead[1]}/retry`);
      expect(ok.status).toBe(200);
      expect(ok.body).toMatchObject({
        id: dead[1],
        state: 'queued',
        attempts: 0,
        maxAttempts: 3,
      });
      expect(ok.body.payload).toBeUndefined();
      const [entry] = await actions('archive-job-retry');
      expect(entry).toMatchObject({
        actor_ref: ALICE,
        target_type: 'archive-job',
        target_id: dead[1],
      });
      expect(JSON.parse(entry.details)).toEqual({
        kind: 'upload',
        subject: 'staged/c1.opus',
        conversationId: '00000000-0000-4000-8000-000000000001',
        lastError: `${HOSTILE_ERROR} (1)`,
        previousAttempts: 1,
        outcome: 'succeeded',
      });
      expect(await store.get(dead[1])).toMatchObject({
        state: 'queued',
        attempts: 0,
      });

      const refusedBefore = (await actions('request-refused')).length;
      const again = await post(ALICE, `/archive-jobs/${dead[1]}/retry`);
      expect(again.status).toBe(409);
      expect(again.body.error.message).toBe(
        `archive job ${dead[1]} is queued, not dead: only dead jobs are retried by hand`,
      );
      expect((await post(ALICE, '/archive-jobs/987654/retry')).status).toBe(
        404,
      );
      const notId = await post(ALICE, '/archive-jobs/..%2Fx/retry');
      expect(notId.status).toBe(400);
      expect(notId.body.error.message).toMatch(/^id: not an archive job id/);
      const refused = (await actions('request-refused')).slice(refusedBefore);
      expect(
        refused.map(r => [
          r.target_type,
          r.target_id,
          JSON.parse(r.details).status,
        ]),
      ).toEqual([
        ['archive-job', dead[1], 409],
        ['archive-job', '987654', 404],
        ['archive-job', '..%2Fx', 400],
      ]);
      // still one retry entry
      expect(await actions('archive-job-retry')).toHaveLength(1);
    });
  },
);
