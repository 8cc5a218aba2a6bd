import { TestDatabases } from '@backstage/backend-test-utils';
import createKnex, { Knex } from 'knex';
import { ArchiveJobsStore } from './ArchiveJobsStore';
import { applyDatabaseMigrations } from './util';

jest.setTimeout(120_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });
const t0 = new Date('2026-12-07T09:00:00.000Z');
const at = (ms: number) => new Date(t0.getTime() + ms);

/**
 * A second knex pool on the same database (PostgreSQL: another backend instance; knex
 * shares the test databases' settings object, so name the database); SQLite: the same
 * in-memory database (one process).
 */
async function secondPool(knex: Knex): Promise<Knex> {
  if (knex.client.config.client !== 'pg') return knex;
  return createKnex({
    client: 'pg',
    connection: {
      ...(knex.client.connectionSettings as object),
      database: (await knex.raw('SELECT current_database() AS d')).rows[0].d,
    },
    pool: { min: 0, max: 5 },
  });
}

describe.each(databases.eachSupportedId())(
  'archive jobs store on %s',
  databaseId => {
    let knex: Knex;
    let store: ArchiveJobsStore;

    beforeAll(async () => {
      knex = await databases.init(databaseId);
      await applyDatabaseMigrations(knex);
      // every claim looks for exhausted jobs (the tests' clock jumps)
      store = new ArchiveJobsStore(knex, { buryIntervalMs: 0 });
    });
    afterAll(() => knex.destroy());
    beforeEach(() => knex('vr_archive_jobs').delete());

    const claim = (
      workerId: string,
      now: Date,
      more: Partial<Parameters<ArchiveJobsStore['claim']>[0]> = {},
    ) =>
      store.claim(
        {
          workerId,
          instanceIds: [],
          kinds: ['upload', 'compress', 'derive'],
          limit: 10,
          leaseMs: 60_000,
          ...more,
        },
        now,
      );

    it('enqueues once per open kind and subject; a done job makes room for a new one', async () => {
      const id = await store.enqueue(
        {
          kind: 'upload',
          subject: 'conversations/c1/archive.opus',
          conversationId: 'c1',
          payload: { bytes: 1234 },
        },
        t0,
      );
      expect(
        await store.enqueue(
          { kind: 'upload', subject: 'conversations/c1/archive.opus' },
          t0,
        ),
      ).toBe(id);
      // another kind of the same subject is another job
      const compress = await store.enqueue(
        { kind: 'compress', subject: 'conversations/c1/archive.opus' },
        t0,
      );
      expect(compress).not.toBe(id);
      expect(await store.get(id)).toMatchObject({
        id,
        kind: 'upload',
        subject: 'conversations/c1/archive.opus',
        conversationId: 'c1',
        payload: { bytes: 1234 },
        state: 'queued',
        attempts: 0,
        maxAttempts: 8,
        runAfter: t0.toISOString(),
        createdAt: t0.toISOString(),
      });
      // running: still the open job
      const [taken] = await claim('w1', at(1), { kinds: ['upload'] });
      expect(taken.id).toBe(id);
      expect(
        await store.enqueue(
          { kind: 'upload', subject: 'conversations/c1/archive.opus' },
          at(2),
        ),
      ).toBe(id);
      expect(await store.complete(id, 'w1', at(3))).toBe(true);
      const again = await store.enqueue(
        { kind: 'upload', subject: 'conversations/c1/archive.opus' },
        at(4),
      );
      expect(again).not.toBe(id);
      expect((await store.get(again))?.state).toBe('queued');
    });

    it('enqueues one job when many processes enqueue the same subject at once', async () => {
      const other = await secondPool(knex);
      try {
        const b = new ArchiveJobsStore(other);
        const ids = await Promise.all(
          Array.from({ length: 30 }, (_, i) =>
            (i % 2 ? store : b).enqueue({ kind: 'derive', subject: 'c9/mp3' }),
          ),
        );
        expect(new Set(ids).size).toBe(1);
        const rows = await knex('vr_archive_jobs').where({ subject: 'c9/mp3' });
        expect(rows).toHaveLength(1);
      } finally {
        if (other !== knex) await other.destroy();
      }
    });

    it('refuses bad jobs with a message naming what is wrong', async () => {
      await expect(
        store.enqueue({ kind: 'shred' as any, subject: 'x' }),
      ).rejects.toThrow(/unknown kind "shred"/);
      await expect(
        store.enqueue({ kind: 'upload', subject: '' }),
      ).rejects.toThrow(/subject must be a non-empty string/);
      await expect(
        store.enqueue({ kind: 'upload', subject: 'x', maxAttempts: 0 }),
      ).rejects.toThrow(/maxAttempts must be a positive integer, got 0/);
      await expect(store.listJobs({ state: 'lost' as any })).rejects.toThrow(
        /unknown state "lost"/,
      );
      await expect(
        store.fail('1', 'w', 'x', { retryInMs: Number.NaN }),
      ).rejects.toThrow(
        'archive job 1 failure: retryInMs must be a non-negative number, got NaN',
      );
      await expect(store.renew('1', 'w', 0)).rejects.toThrow(
        'archive job 1 renewal: leaseMs must be positive, got 0',
      );
      await expect(store.listJobs({ cursor: 'abc' })).rejects.toThrow(
        /cursor "abc" is not one this API gave/,
      );
    });

    it('two workers claiming at the same time never get the same job (two pools)', async () => {
      const other = await secondPool(knex);
      try {
        const a = store;
        const b = new ArchiveJobsStore(other);
        const past = new Date(Date.now() - 60_000);
        const rows = Array.from({ length: 300 }, (_, i) => ({
          kind: 'upload',
          subject: `blob-${i}`,
          state: 'queued',
          attempts: 0,
          max_attempts: 8,
          run_after: past,
          created_at: past,
          updated_at: past,
        }));
        for (let i = 0; i < rows.length; i += 100)
          await knex('vr_archive_jobs').insert(rows.slice(i, i + 100));
        const takenBy = new Map<string, string>();
        let duplicates = 0;
        const worker = async (s: ArchiveJobsStore, workerId: string) => {
          let got = 0;
          for (;;) {
            const jobs = await s.claim({
              workerId,
              instanceIds: [`rec-${workerId}`],
              kinds: ['upload'],
              limit: 7,
              leaseMs: 60_000,
            });
            if (!jobs.length) return got;
            for (const j of jobs) {
              if (takenBy.has(j.id)) duplicates++;
              takenBy.set(j.id, workerId);
              expect(j).toMatchObject({
                state: 'running',
                leaseOwner: workerId,
                attempts: 1,
              });
            }
            got += jobs.length;
          }
        };
        const counts = await Promise.all(
          Array.from({ length: 8 }, (_, i) => worker(i % 2 ? a : b, `w${i}`)),
        );
        expect(duplicates).toBe(0);
        expect(takenBy.size).toBe(300);
        expect(counts.reduce((x, y) => x + y, 0)).toBe(300);
        // every row is owned by the worker that got it, claimed once
        const db = await knex('vr_archive_jobs').select(
          'id',
          'lease_owner',
          'attempts',
          'state',
        );
        for (const r of db) {
          expect(r.lease_owner).toBe(takenBy.get(String(r.id)));
          expect(Number(r.attempts)).toBe(1);
          expect(r.state).toBe('running');
        }
      } finally {
        if (other !== knex) await other.destroy();
      }
    });

    it('an expired lease is taken by another worker; the first can then neither renew, complete nor fail it', async () => {
      const id = await store.enqueue({ kind: 'compress', subject: 'c2' }, t0);
      const [first] = await claim('w1', t0, { leaseMs: 10_000 });
      expect(first).toMatchObject({
        id,
        attempts: 1,
        leaseOwner: 'w1',
        leaseUntil: at(10_000).toISOString(),
      });
      // still leased: nobody else takes it
      expect(await claim('w2', at(9_999))).toEqual([]);
      // renewed by its owner: later still
      expect(await store.renew(id, 'w1', 10_000, at(5_000))).toBe(true);
      expect(await claim('w2', at(12_000))).toEqual([]);
      // the lease runs out (w1 died or hung): w2 takes it, a second attempt
      const [second] = await claim('w2', at(15_001));
      expect(second).toMatchObject({ id, attempts: 2, leaseOwner: 'w2' });
      expect(await store.renew(id, 'w1', 10_000, at(15_002))).toBe(false);
      expect(await store.complete(id, 'w1', at(15_003))).toBe(false);
      expect(
        await store.fail(
          id,
          'w1',
          'late failure',
          { retryInMs: 0 },
          at(15_004),
        ),
      ).toBe(false);
      expect(await store.release(id, 'w1', at(15_005))).toBe(false);
      expect(await store.get(id)).toMatchObject({
        state: 'running',
        leaseOwner: 'w2',
        attempts: 2,
      });
      expect(await store.complete(id, 'w2', at(16_000))).toBe(true);
      const done = await store.get(id);
      expect(done).toMatchObject({
        state: 'done',
        finishedAt: at(16_000).toISOString(),
      });
      expect(done?.leaseOwner).toBeUndefined();
      // done: nobody writes it any more
      expect(await store.complete(id, 'w2', at(16_001))).toBe(false);
    });

    it('backs off a failed attempt and buries the job after its last attempt', async () => {
      const id = await store.enqueue(
        { kind: 'upload', subject: 'c3', maxAttempts: 2 },
        t0,
      );
      await claim('w1', t0);
      expect(
        await store.fail(
          id,
          'w1',
          'S3: 503 Slow Down',
          { retryInMs: 5_000 },
          at(100),
        ),
      ).toBe(true);
      expect(await store.get(id)).toMatchObject({
        state: 'queued',
        attempts: 1,
        runAfter: at(5_100).toISOString(),
        lastError: 'S3: 503 Slow Down',
      });
      expect(await claim('w1', at(5_099))).toEqual([]);
      const [again] = await claim('w2', at(5_100));
      expect(again).toMatchObject({ id, attempts: 2 });
      expect(
        await store.fail(
          id,
          'w2',
          'S3: 503 Slow Down again',
          { retryInMs: 5_000 },
          at(6_000),
        ),
      ).toBe(true);
      const dead = await store.get(id);
      expect(dead).toMatchObject({
        state: 'dead',
        attempts: 2,
        lastError: 'S3: 503 Slow Down again',
        finishedAt: at(6_000).toISOString(),
      });
      expect(await claim('w1', at(3_600_000))).toEqual([]);
      expect(await store.stats(at(7_000))).toContainEqual({
        kind: 'upload',
        queued: 0,
        running: 0,
        dead: 1,
        oldestAgeSeconds: 0,
      });
      // a permanent failure: dead at its first attempt
      const p = await store.enqueue({ kind: 'derive', subject: 'c3/mp3' }, t0);
      await claim('w1', t0, { kinds: ['derive'] });
      expect(
        await store.fail(
          p,
          'w1',
          'archive gone',
          { retryInMs: 5_000, permanent: true },
          at(1),
        ),
      ).toBe(true);
      expect(await store.get(p)).toMatchObject({
        state: 'dead',
        attempts: 1,
        lastError: 'archive gone',
      });
    });

    it('buries a job whose workers died on every attempt (looking every buryIntervalMs)', async () => {
      const lazy = new ArchiveJobsStore(knex, { buryIntervalMs: 10_000 });
      const j = await lazy.enqueue(
        { kind: 'derive', subject: 'lazy', maxAttempts: 1 },
        t0,
      );
      await lazy.claim(
        {
          workerId: 'w1',
          instanceIds: [],
          kinds: ['derive'],
          limit: 1,
          leaseMs: 1_000,
        },
        t0,
      );
      // ran out with no attempts left: never claimed again, dead at the next look
      expect(
        await lazy.claim(
          {
            workerId: 'w2',
            instanceIds: [],
            kinds: ['derive'],
            limit: 1,
            leaseMs: 1_000,
          },
          at(5_000),
        ),
      ).toEqual([]);
      expect((await lazy.get(j))?.state).toBe('running');
      await lazy.claim(
        {
          workerId: 'w2',
          instanceIds: [],
          kinds: ['derive'],
          limit: 1,
          leaseMs: 1_000,
        },
        at(10_000),
      );
      expect((await lazy.get(j))?.state).toBe('dead');
    });

    it('buries a job whose workers died on every attempt', async () => {
      const id = await store.enqueue(
        { kind: 'compress', subject: 'c4', maxAttempts: 2 },
        t0,
      );
      await claim('w1', t0, { leaseMs: 1_000 });
      const [second] = await claim('w2', at(1_001), { leaseMs: 1_000 });
      expect(second).toMatchObject({ id, attempts: 2 });
      // w2 died too: the next claim finds no attempts left
      expect(await claim('w3', at(2_002), { leaseMs: 1_000 })).toEqual([]);
      const dead = await store.get(id);
      expect(dead?.state).toBe('dead');
      expect(dead?.lastError).toMatch(
        /lease of worker w2 ran out with no attempts left \(2 attempts/,
      );
    });

    it('gives affinity jobs only to their instance and each worker only its kinds', async () => {
      const local = await store.enqueue(
        { kind: 'upload', subject: 'staged/rec-a/c5', affinity: 'rec-a' },
        t0,
      );
      const any = await store.enqueue(
        { kind: 'compress', subject: 'c5' },
        at(1),
      );
      expect(
        await claim('rec-b:1', at(2), {
          instanceIds: ['rec-b'],
          kinds: ['upload'],
        }),
      ).toEqual([]);
      const [mp3] = await claim('archiver:1', at(2), {
        instanceIds: [],
        kinds: ['compress', 'derive'],
      });
      expect(mp3.id).toBe(any);
      expect(await claim('archiver:2', at(3), { instanceIds: [] })).toEqual([]);
      const [own] = await claim('rec-a:7', at(4), { instanceIds: ['rec-a'] });
      expect(own).toMatchObject({
        id: local,
        affinity: 'rec-a',
        leaseOwner: 'rec-a:7',
      });
    });

    it('claims the oldest due jobs first, up to the limit; not-yet-due ones wait', async () => {
      const later = await store.enqueue(
        { kind: 'derive', subject: 'late', runAfter: at(60_000) },
        t0,
      );
      const ids = [];
      for (let i = 0; i < 4; i++)
        ids.push(
          await store.enqueue(
            { kind: 'derive', subject: `d${i}`, runAfter: at(i) },
            t0,
          ),
        );
      const first = await claim('w', at(10), { limit: 3 });
      expect(first.map(j => j.id)).toEqual(ids.slice(0, 3));
      expect((await claim('w', at(10))).map(j => j.id)).toEqual([ids[3]]);
      expect((await claim('w', at(60_000))).map(j => j.id)).toEqual([later]);
    });

    it('gives a job back without spending its attempt', async () => {
      const id = await store.enqueue({ kind: 'upload', subject: 'c6' }, t0);
      await claim('w1', t0);
      expect(await store.release(id, 'w1', at(10))).toBe(true);
      expect(await store.get(id)).toMatchObject({
        state: 'queued',
        attempts: 0,
        runAfter: at(10).toISOString(),
      });
      expect((await claim('w2', at(10)))[0]).toMatchObject({ id, attempts: 1 });
    });

    it("counts queued, running and dead jobs per kind with the oldest open age; lists a conversation's open jobs", async () => {
      await store.enqueue(
        { kind: 'upload', subject: 'u1', conversationId: 'c7' },
        t0,
      );
      await store.enqueue(
        { kind: 'upload', subject: 'u2', conversationId: 'c8' },
        at(30_000),
      );
      const c7derive = await store.enqueue(
        { kind: 'derive', subject: 'c7/mp3', conversationId: 'c7' },
        at(60_000),
      );
      await claim('w', at(61_000), { kinds: ['upload'], limit: 1 });
      const stats = await store.stats(at(120_000));
      expect(stats).toEqual([
        {
          kind: 'upload',
          queued: 1,
          running: 1,
          dead: 0,
          oldestAgeSeconds: 120,
        },
        {
          kind: 'compress',
          queued: 0,
          running: 0,
          dead: 0,
          oldestAgeSeconds: 0,
        },
        {
          kind: 'derive',
          queued: 1,
          running: 0,
          dead: 0,
          oldestAgeSeconds: 60,
        },
      ]);
      const open = await store.openJobsOf('c7');
      expect(open.map(j => [j.kind, j.state])).toEqual([
        ['upload', 'running'],
        ['derive', 'queued'],
      ]);
      await claim('w', at(61_000), { kinds: ['derive'] });
      await store.complete(c7derive, 'w', at(62_000));
      expect((await store.openJobsOf('c7')).map(j => j.kind)).toEqual([
        'upload',
      ]);
    });

    it('lists jobs a page at a time, retries a dead one by hand, purges old done jobs', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        const id = await store.enqueue(
          { kind: 'upload', subject: `p${i}`, maxAttempts: 1 },
          at(i),
        );
        ids.push(id);
      }
      for (const j of await claim('w', at(10)))
        await store.fail(
          j.id,
          'w',
          `boom ${j.subject}`,
          { retryInMs: 1000 },
          at(20),
        );
      const page1 = await store.listJobs({
        state: 'dead',
        kind: 'upload',
        limit: 2,
      });
      expect(page1.jobs.map(j => j.id)).toEqual([ids[4], ids[3]]);
      expect(page1.jobs[0].lastError).toBe('boom p4');
      const page2 = await store.listJobs({
        state: 'dead',
        limit: 2,
        cursor: page1.nextCursor,
      });
      expect(page2.jobs.map(j => j.id)).toEqual([ids[2], ids[1]]);
      const page3 = await store.listJobs({
        state: 'dead',
        limit: 2,
        cursor: page2.nextCursor,
      });
      expect(page3).toEqual({
        jobs: [expect.objectContaining({ id: ids[0] })],
      });
      expect((await store.listJobs({ state: 'queued' })).jobs).toEqual([]);
      expect(
        (await store.listJobs({ state: 'dead', kind: 'derive' })).jobs,
      ).toEqual([]);

      const retried = await store.retry(ids[4], at(100));
      expect(retried).toMatchObject({
        outcome: 'retried',
        job: {
          id: ids[4],
          state: 'queued',
          attempts: 0,
          runAfter: at(100).toISOString(),
        },
      });
      expect(await store.retry(ids[4])).toMatchObject({ outcome: 'not-dead' });
      expect(await store.retry('999999')).toEqual({ outcome: 'not-found' });
      expect(await store.retry('nope')).toEqual({ outcome: 'not-found' });
      // enqueued again since it died: the retry would make a second open job
      const fresh = await store.enqueue(
        { kind: 'upload', subject: 'p3' },
        at(200),
      );
      expect(await store.retry(ids[3], at(201))).toMatchObject({
        outcome: 'duplicate',
        openJobId: fresh,
      });
      expect((await store.get(ids[3]))?.state).toBe('dead');

      // done jobs: purged once older than the cut-off, others stay
      const [j] = await claim('w', at(300), { limit: 1 });
      await store.complete(j.id, 'w', at(400));
      const [k] = await claim('w', at(500), { limit: 1 });
      await store.complete(k.id, 'w', at(10_000));
      expect(await store.purgeDone(at(5_000))).toBe(1);
      // many: deleted a batch at a time, none of another state
      for (let i = 0; i < 5; i++) {
        const id = await store.enqueue(
          { kind: 'derive', subject: `old${i}` },
          at(600),
        );
        await claim('w', at(600), { kinds: ['derive'], limit: 1 });
        await store.complete(id, 'w', at(700));
      }
      expect(await store.purgeDone(at(5_000), 2)).toBe(5);
      expect(await knex('vr_archive_jobs').where('state', 'done')).toHaveLength(
        1,
      );
      expect(await store.get(j.id)).toBeUndefined();
      expect((await store.get(k.id))?.state).toBe('done');
      expect((await store.listJobs({ state: 'dead' })).jobs).toHaveLength(4);
    });
  },
);
