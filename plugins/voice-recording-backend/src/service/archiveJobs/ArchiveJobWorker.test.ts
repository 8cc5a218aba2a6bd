import { TestDatabases } from '@backstage/backend-test-utils';
import {
  ArchiveJob,
  ArchiveJobWorker,
  defaultArchiveJobBackoff,
  CompressionError,
  PermanentArchiveJobError,
  StorageUnavailableError,
} from '@mvr/plugin-voice-recording-node';
import createKnex, { Knex } from 'knex';
import { ArchiveJobsStore } from '../../database/ArchiveJobsStore';
import { applyDatabaseMigrations } from '../../database/util';

jest.setTimeout(120_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });
const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

/** Waits until `check` is true (polling), or fails naming what it waited for. */
async function until(
  what: string,
  check: () => Promise<boolean> | boolean,
  ms = 10_000,
) {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

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

describe('defaultArchiveJobBackoff', () => {
  it('doubles from 5 s and stops at an hour', () => {
    expect([1, 2, 3, 4, 10, 11, 50].map(defaultArchiveJobBackoff)).toEqual([
      5_000, 10_000, 20_000, 40_000, 2_560_000, 3_600_000, 3_600_000,
    ]);
  });
});

describe.each(databases.eachSupportedId())(
  'archive job worker on %s',
  databaseId => {
    let knex: Knex;
    let store: ArchiveJobsStore;
    const workers: ArchiveJobWorker[] = [];
    const worker = (
      o: Partial<ConstructorParameters<typeof ArchiveJobWorker>[0]>,
    ) => {
      const w = new ArchiveJobWorker({
        queue: store,
        workerId: 'w1',
        instanceIds: ['rec-a'],
        handlers: {},
        pollIntervalMs: 50,
        ...o,
      });
      workers.push(w);
      return w;
    };

    beforeAll(async () => {
      knex = await databases.init(databaseId);
      await applyDatabaseMigrations(knex);
      store = new ArchiveJobsStore(knex);
    });
    afterEach(async () => {
      await Promise.all(workers.splice(0).map(w => w.stop()));
      await knex('vr_archive_jobs').delete();
    });
    afterAll(() => knex.destroy());

    it('runs every job once across two workers of two processes, up to its concurrency each', async () => {
      const other = await secondPool(knex);
      try {
        const otherStore = new ArchiveJobsStore(other);
        const ranBy = new Map<string, string[]>();
        let inFlight = { a: 0, b: 0 };
        let maxInFlight = { a: 0, b: 0 };
        const handler = (name: 'a' | 'b') => async (job: ArchiveJob) => {
          inFlight[name]++;
          maxInFlight[name] = Math.max(maxInFlight[name], inFlight[name]);
          ranBy.set(job.subject, [
            ...(ranBy.get(job.subject) ?? []),
            `${name}${job.attempts}@${job.leaseUntil}`,
          ]);
          await sleep(5);
          inFlight[name]--;
        };
        for (let i = 0; i < 60; i++)
          await store.enqueue({ kind: 'compress', subject: `c${i}` });
        const a = worker({
          workerId: 'a',
          handlers: { compress: handler('a') },
          concurrency: 3,
        });
        const b = worker({
          queue: otherStore,
          workerId: 'b',
          handlers: { compress: handler('b') },
          concurrency: 2,
        });
        a.start();
        b.start();
        await Promise.all([a.idle(), b.idle()]);
        await until(
          'all jobs done',
          async () =>
            (await knex('vr_archive_jobs').where('state', 'done')).length ===
            60,
        );
        expect(ranBy.size).toBe(60);
        expect([...ranBy.values()].filter(r => r.length !== 1)).toEqual([]);
        expect(maxInFlight.a).toBeLessThanOrEqual(3);
        expect(maxInFlight.b).toBeLessThanOrEqual(2);
        expect(a.stats().completed + b.stats().completed).toBe(60);
        inFlight = { a: 0, b: 0 };
        maxInFlight = { a: 0, b: 0 };
      } finally {
        if (other !== knex) await other.destroy();
      }
    });

    it("takes a new job at once when notified, and only its kinds and its instance's affinity jobs", async () => {
      const seen: string[] = [];
      const w = worker({
        instanceIds: ['rec-a'],
        handlers: { upload: async j => void seen.push(j.subject) },
        pollIntervalMs: 60_000,
      });
      w.start();
      await w.idle();
      await store.enqueue({
        kind: 'upload',
        subject: 'mine',
        affinity: 'rec-a',
      });
      await store.enqueue({
        kind: 'upload',
        subject: 'theirs',
        affinity: 'rec-b',
      });
      await store.enqueue({ kind: 'derive', subject: 'not my kind' });
      const started = Date.now();
      w.notify();
      await until('the notified job ran', () => seen.length === 1);
      expect(Date.now() - started).toBeLessThan(5_000);
      await w.idle();
      expect(seen).toEqual(['mine']);
      expect(
        (await knex('vr_archive_jobs').orderBy('subject')).map(r => [
          r.subject,
          r.state,
        ]),
      ).toEqual([
        ['mine', 'done'],
        ['not my kind', 'queued'],
        ['theirs', 'queued'],
      ]);
    });

    it('fails an attempt with back-off, then succeeds; a permanent error is dead at once', async () => {
      let calls = 0;
      const backoffs: number[] = [];
      const w = worker({
        handlers: {
          upload: async () => {
            calls++;
            if (calls < 3) throw new Error(`S3 unreachable (${calls})`);
          },
          derive: async () => {
            throw new PermanentArchiveJobError('the archive no longer exists');
          },
        },
        backoff: n => {
          backoffs.push(n);
          return 30;
        },
      });
      const id = await store.enqueue({ kind: 'upload', subject: 'retry-me' });
      const dead = await store.enqueue({ kind: 'derive', subject: 'gone' });
      w.start();
      await until(
        'the upload done',
        async () => (await store.get(id))?.state === 'done',
      );
      expect(calls).toBe(3);
      expect(backoffs).toEqual([1, 2]);
      expect(await store.get(id)).toMatchObject({
        attempts: 3,
        lastError: 'S3 unreachable (2)',
      });
      await until(
        'the derive dead',
        async () => (await store.get(dead))?.state === 'dead',
      );
      expect(await store.get(dead)).toMatchObject({
        attempts: 1,
        lastError: 'the archive no longer exists',
      });
      expect(w.stats()).toMatchObject({ completed: 1, retried: 2, dead: 1 });
    });

    it('moves a job to dead when its last attempt fails, with the error shown', async () => {
      const w = worker({
        handlers: {
          compress: async () => {
            throw new Error('opus encoder crashed');
          },
        },
        backoff: () => 10,
      });
      const id = await store.enqueue({
        kind: 'compress',
        subject: 'c',
        maxAttempts: 2,
      });
      w.start();
      await until('dead', async () => (await store.get(id))?.state === 'dead');
      expect(await store.get(id)).toMatchObject({
        attempts: 2,
        lastError: 'opus encoder crashed',
      });
    });

    it('a storage outage spends no attempt: the job outlives any number of failed tries, then succeeds', async () => {
      let tries = 0;
      const w = worker({
        handlers: {
          compress: async () => {
            tries++;
            // the object store is down for the first 6 tries (3 times the attempts)
            if (tries <= 6)
              throw new CompressionError(
                'cannot read the WAV',
                'c-1',
                new StorageUnavailableError(
                  's3://b/k: connect ECONNREFUSED',
                  's3://b/k',
                  'ECONNREFUSED',
                ),
              );
          },
        },
        backoff: () => 10,
        outageRetryMs: 10,
      });
      const id = await store.enqueue({
        kind: 'compress',
        subject: 'c-1',
        maxAttempts: 2,
      });
      w.start();
      await until('done', async () => (await store.get(id))?.state === 'done');
      expect({ tries, attempts: (await store.get(id))?.attempts }).toEqual({
        tries: 7,
        attempts: 1,
      });
    });

    it('renews the lease of a long job so nobody else takes it', async () => {
      let runs = 0;
      const slow = async (_j: ArchiveJob, signal: AbortSignal) => {
        runs++;
        await sleep(1_200);
        if (signal.aborted) throw new Error('aborted');
      };
      const a = worker({
        workerId: 'a',
        handlers: { compress: slow },
        leaseMs: 300,
      });
      const id = await store.enqueue({ kind: 'compress', subject: 'long' });
      a.start();
      await until(
        'claimed by a',
        async () => (await store.get(id))?.leaseOwner === 'a',
      );
      const b = worker({
        workerId: 'b',
        handlers: { compress: slow },
        leaseMs: 300,
        pollIntervalMs: 20,
      });
      b.start();
      await until('done', async () => (await store.get(id))?.state === 'done');
      expect(runs).toBe(1);
      expect(await store.get(id)).toMatchObject({ attempts: 1 });
      expect(b.stats().claimed).toBe(0);
    });

    it('aborts a handler whose lease another worker took, and writes nothing for it', async () => {
      const aborted: unknown[] = [];
      let release!: () => void;
      const held = new Promise<void>(r => (release = r));
      const a = worker({
        workerId: 'a',
        leaseMs: 1_500,
        handlers: {
          upload: async (_j, signal) => {
            signal.addEventListener('abort', () => aborted.push(signal.reason));
            await held; // hangs: a stuck upload
          },
        },
      });
      const id = await store.enqueue({ kind: 'upload', subject: 'stuck' });
      a.start();
      await until(
        'claimed by a',
        async () => (await store.get(id))?.leaseOwner === 'a',
      );
      // the lease runs out under a (as if its renewals were lost) and b takes the job
      // (again if a renewal of a came in between)
      let taken: ArchiveJob[] = [];
      for (let i = 0; i < 5 && !taken.length; i++) {
        await knex('vr_archive_jobs')
          .where({ id })
          .update({ lease_until: new Date(Date.now() - 1) });
        taken = await store.claim({
          workerId: 'b',
          instanceIds: [],
          kinds: ['upload'],
          limit: 1,
          leaseMs: 60_000,
        });
      }
      expect(taken.map(j => j.id)).toEqual([id]);
      await until('a aborted', () => aborted.length === 1);
      expect(String((aborted[0] as Error).message)).toMatch(/lease lost/);
      release();
      await a.idle();
      expect(a.stats()).toMatchObject({ leaseLost: 1, completed: 0 });
      expect(await store.get(id)).toMatchObject({
        state: 'running',
        leaseOwner: 'b',
        attempts: 2,
      });
    });

    it('stop() aborts running handlers, waits for them and gives their jobs back', async () => {
      let signalSeen: AbortSignal | undefined;
      const w = worker({
        handlers: {
          compress: (_j, signal) =>
            new Promise<void>((_resolve, reject) => {
              signalSeen = signal;
              signal.addEventListener('abort', () =>
                setTimeout(() => reject(new Error('encoder stopped')), 50),
              );
            }),
        },
      });
      const id = await store.enqueue({
        kind: 'compress',
        subject: 'interrupted',
      });
      w.start();
      await until(
        'running',
        async () => (await store.get(id))?.state === 'running',
      );
      await w.stop();
      expect(signalSeen?.aborted).toBe(true);
      expect(await store.get(id)).toMatchObject({
        state: 'queued',
        attempts: 0,
      });
      expect(w.stats()).toMatchObject({ running: 0, released: 1 });
      // stopped: it takes nothing more
      await store.enqueue({ kind: 'compress', subject: 'after stop' });
      w.notify();
      await sleep(200);
      expect((await store.get(id))?.state).toBe('queued');
    });

    it('completes a job whose handler finished although stop() aborted it', async () => {
      let finish!: () => void;
      const w = worker({
        handlers: {
          derive: () =>
            new Promise<void>(resolve => {
              finish = resolve;
            }),
        },
      });
      const id = await store.enqueue({
        kind: 'derive',
        subject: 'almost done',
      });
      w.start();
      await until(
        'running',
        async () => (await store.get(id))?.state === 'running',
      );
      const stopped = w.stop();
      finish(); // the handler ignores the signal and finishes its work
      await stopped;
      expect(await store.get(id)).toMatchObject({ state: 'done', attempts: 1 });
      expect(w.stats()).toMatchObject({ completed: 1, released: 0 });
    });

    it('aborts the handler when no renewal succeeds before the lease ends (a hung database)', async () => {
      // renewals never answer; this worker takes one job (else it would take the job
      // again once its lease ran out, and lose it again)
      let claims = 0;
      const hung = Object.assign(Object.create(store), {
        renew: () => new Promise<boolean>(() => {}),
        claim: async (r: Parameters<ArchiveJobsStore['claim']>[0]) =>
          claims++ ? [] : store.claim(r),
      }) as ArchiveJobsStore;
      const reasons: string[] = [];
      const w = worker({
        queue: hung,
        leaseMs: 300,
        handlers: {
          upload: (_j, signal) =>
            new Promise<void>((_resolve, reject) =>
              signal.addEventListener('abort', () => {
                reasons.push(String(signal.reason?.message));
                reject(signal.reason);
              }),
            ),
        },
      });
      const id = await store.enqueue({
        kind: 'upload',
        subject: 'hung renewals',
      });
      const started = Date.now();
      w.start();
      await until('aborted', () => reasons.length === 1);
      expect(Date.now() - started).toBeGreaterThanOrEqual(250);
      expect(reasons[0]).toMatch(
        /lease lost: no renewal succeeded before its end/,
      );
      await w.idle();
      expect(w.stats()).toMatchObject({
        leaseLost: 1,
        completed: 0,
        retried: 0,
      });
      // nothing written for it: another worker takes it as its lease has run out
      const [again] = await store.claim({
        workerId: 'b',
        instanceIds: [],
        kinds: ['upload'],
        limit: 1,
        leaseMs: 60_000,
      });
      expect(again).toMatchObject({ id, attempts: 2 });
    });

    it('keeps polling after the database refused a claim', async () => {
      const ran: string[] = [];
      let refuse = 2;
      const flaky = Object.assign(Object.create(store), {
        claim: (r: Parameters<ArchiveJobsStore['claim']>[0]) => {
          if (refuse-- > 0)
            return Promise.reject(new Error('connection refused'));
          return store.claim(r);
        },
      }) as ArchiveJobsStore;
      const warnings: string[] = [];
      const w = worker({
        queue: flaky,
        handlers: { derive: async j => void ran.push(j.subject) },
        logger: {
          info: () => {},
          debug: () => {},
          error: () => {},
          warn: (m: string) => void warnings.push(m),
        },
      });
      await store.enqueue({ kind: 'derive', subject: 'waveform' });
      w.start();
      await until('ran', () => ran.length === 1);
      expect(w.stats().claimErrors).toBe(2);
      expect(warnings[0]).toMatch(/could not claim jobs: connection refused/);
    });
  },
);
