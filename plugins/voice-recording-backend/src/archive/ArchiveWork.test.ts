/*
 * Compress jobs taken by the backend plugin's archive work (not by a recorder): real
 * queue (ArchiveJobsStore), real conversation records and audit, real WAV and Opus files
 * on local storage, on SQLite and PostgreSQL (two knex pools for two workers).
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { mockServices, TestDatabases } from '@backstage/backend-test-utils';
import {
  CaptureConversations,
  LocalFileBlobStore,
  OpusEncoderPool,
  PEAKS_CONTENT_TYPE,
  compressJobFor,
  decodeOggOpus,
  encodeAlaw,
  writeWavG711Stereo,
} from '@mvr/plugin-voice-recording-node';
import createKnex, { Knex } from 'knex';
import { createCaptureContext } from '../capture/createCaptureContext';
import { KnexAuditLogStore } from '../database/AuditLogStore';
import { ArchiveJobsStore } from '../database/ArchiveJobsStore';
import { KnexConversationsStore } from '../database/ConversationsStore';
import { openRecordingStores } from '../database/__testUtils__/recordingStores';
import { AuditRecorder } from '../service/AuditRecorder';
import { ArchiveWork } from './ArchiveWork';
import { ArchiveWorkConfig } from './archiveConfig';

jest.setTimeout(120_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Another knex pool on the same database (PostgreSQL: as another process); SQLite: the same. */
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

/** `seconds` of a two-party call: a tone per channel, A-law. */
function callWav(seconds: number, seed: number): Buffer {
  const tone = (f: number) => {
    const pcm = new Int16Array(8000 * seconds);
    for (let i = 0; i < pcm.length; i++) pcm[i] = Math.round(6000 * Math.sin((2 * Math.PI * f * i) / 8000));
    return encodeAlaw(pcm);
  };
  return writeWavG711Stereo('alaw', tone(300 + seed * 10), tone(520 + seed * 10), 8000);
}

const CONFIG: ArchiveWorkConfig = {
  enabled: true,
  encoderThreads: 1,
  concurrency: 2,
  scanIntervalMs: 3_600_000,
  opus: { layer: 'celt', bitrate: 18800, complexity: 0, frameMs: 60, skipSilence: true },
};

describe.each(databases.eachSupportedId())('archive work: compress jobs on %s', databaseId => {
  let knex: Knex;
  let other: Knex;
  let dir: string;
  let blobs: LocalFileBlobStore;
  let store: KnexConversationsStore;
  let auditLog: KnexAuditLogStore;
  let numberRef: { id: string; number: string; userRef: string };
  const works: ArchiveWork[] = [];
  const pools: OpusEncoderPool[] = [];
  const logger = mockServices.logger.mock();

  beforeAll(async () => {
    const opened = await openRecordingStores(databases, databaseId);
    knex = opened.knex;
    store = opened.store;
    other = await secondPool(knex);
    const n = await opened.addNumber('+32470000901', 'user:default/bob');
    numberRef = { id: n.id, number: n.number, userRef: n.userRef };
    auditLog = new KnexAuditLogStore(knex);
  });

  afterAll(async () => {
    if (other !== knex) await other.destroy();
    await knex.destroy();
  });

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mvr-archive-work-'));
    blobs = new LocalFileBlobStore(dir, { minFreeBytes: 0 });
    await knex('vr_archive_jobs').delete();
  });

  afterEach(async () => {
    await Promise.all(works.splice(0).map(w => w.stop()));
    await Promise.all(pools.splice(0).map(p => p.close()));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** the capture source's view of the conversations (audited as capture:siprec) */
  function conversationsOf(db: Knex, sourceId: string): CaptureConversations {
    const silent = mockServices.rootLogger({ level: 'none' });
    return createCaptureContext({
      sourceId,
      numbers: { getByNumbers: async () => [] },
      conversations: new KnexConversationsStore(db),
      audit: new AuditRecorder(mockServices.auditor.mock(), new KnexAuditLogStore(db), silent),
      logger: silent,
      config: { defaultCountry: 'BE', emergencyNumbers: [] } as any,
    }).conversations;
  }

  /** an archive worker that is no recorder: only the queue, the records and the storage */
  function archiver(
    workerId: string,
    db: Knex = knex,
    more: { leaseMs?: number; replaced?: (id: string) => Promise<void> } = {},
  ): ArchiveWork {
    const conversations = conversationsOf(db, 'siprec');
    const work = new ArchiveWork({
      queue: new ArchiveJobsStore(db),
      store: new KnexConversationsStore(db),
      conversationsOf: () => ({
        replaceArchive: async (id, input) => {
          await more.replaced?.(id);
          return conversations.replaceArchive(id, input);
        },
      }),
      blobStore: blobs,
      config: CONFIG,
      logger,
      workerId,
      instanceIds: [workerId],
      leaseMs: more.leaseMs ?? 60_000,
      pollIntervalMs: 100,
    });
    works.push(work);
    return work;
  }

  /** a call a recorder registered with an interim WAV (its compress job not enqueued) */
  async function pendingCall(seconds: number, seed: number) {
    const startedAt = new Date(Date.UTC(2026, 11, 7, 9, seed, 0));
    const { conversation: c } = await store.begin({
      recordedNumber: numberRef,
      startedAt,
      sipCallId: `call-${seed}-${Math.random()}@pbx`,
      participants: [{ aor: `sip:${numberRef.number}@pbx`, number: numberRef.number }],
      captureSource: 'siprec',
      captureInstance: 'recorder-1',
    });
    const wav = callWav(seconds, seed);
    const key = `recordings/2026/12/07/${c.id}.wav`;
    await blobs.put(key, wav, { contentType: 'audio/wav' });
    await blobs.put(`${key}.peaks`, Buffer.from(`peaks ${seed}`), { contentType: PEAKS_CONTENT_TYPE });
    await store.finish(c.id, {
      endedAt: new Date(startedAt.getTime() + seconds * 1000),
      endedBy: 'bye',
      storageKey: key,
      sha256: sha256(wav),
      bytes: wav.length,
      format: 'audio/wav',
      compressTo: 'opus',
    });
    return { id: c.id, key, wav };
  }

  const row = (id: string) => knex('vr_conversations').where({ id }).first();
  const jobsOf = (id: string) =>
    knex('vr_archive_jobs')
      .where({ kind: 'compress', subject: id })
      .orderBy('id')
      .select('state', 'attempts', 'last_error')
      .then(rows => rows.map(r => ({ ...r, attempts: Number(r.attempts) })));
  const compressedAudits = async (id: string) =>
    (await auditLog.list({ target: `conversation:${id}`, action: 'conversation-archive-compressed' })).items;

  it('a worker that is not the recorder takes the job: the WAV stays the recording until replaceArchive, then the Opus file is', async () => {
    const call = await pendingCall(2, 1);
    const opusKey = call.key.replace(/\.wav$/, '.opus');
    // the recorder enqueued the job at the registration, with its own Opus settings
    await new ArchiveJobsStore(knex).enqueue(compressJobFor(call.id, { bitrate: 24000, complexity: 2, frameMs: 20, skipSilence: false }));
    const atReplace: Array<{ storageKey: string; wavOnDisk: boolean; opusOnDisk: boolean }> = [];
    const work = archiver('archiver-1:1234:archive', knex, {
      replaced: async id => {
        atReplace.push({
          storageKey: (await row(id)).storage_key,
          wavOnDisk: (await blobs.stat(call.key)) !== undefined,
          opusOnDisk: (await blobs.stat(opusKey)) !== undefined,
        });
      },
    });
    work.start();
    await work.idle();

    // right before the replacement: still the WAV, which is there, next to the new file
    expect(atReplace).toEqual([{ storageKey: call.key, wavOnDisk: true, opusOnDisk: true }]);
    const after = await row(call.id);
    const file = fs.readFileSync(blobs.resolveKey(opusKey));
    expect(after).toMatchObject({ storage_key: opusKey, sha256: sha256(file), format: 'audio/ogg; codecs=opus', compress_to: null, superseded_storage_key: null });
    expect(Number(after.bytes)).toBe(file.length);
    expect(await blobs.stat(call.key)).toBeUndefined();
    expect(await blobs.stat(`${call.key}.peaks`)).toBeUndefined();
    expect((await blobs.stat(`${opusKey}.peaks`))?.size).toBeGreaterThan(0);
    const decoded = decodeOggOpus(file, 8000);
    expect(decoded.tags.SOURCE_SHA256).toBe(sha256(call.wav));
    expect(Math.abs(decoded.samples - 2 * 8000)).toBeLessThanOrEqual(160);
    // encoded with the job's settings (20 ms frames: 50 packets a second), not the archiver's
    expect(decoded.packets).toBeGreaterThanOrEqual(95);
    // audited as the capture source's, with both hashes
    const [audit] = await compressedAudits(call.id);
    expect(audit.actorRef).toBe('capture:siprec');
    expect(audit.details).toMatchObject({ from: { storageKey: call.key, sha256: sha256(call.wav) }, to: { storageKey: opusKey, sha256: sha256(file) } });
    expect(await jobsOf(call.id)).toEqual([{ state: 'done', attempts: 1, last_error: null }]);
    expect(work.stats()).toMatchObject({ workerId: 'archiver-1:1234:archive', compression: { compressed: 1, supersededDeleted: 1, stale: 0, failed: 0 } });
  });

  it('two workers (two pools on PostgreSQL) never compress the same conversation twice', async () => {
    const calls = await Promise.all([1, 2, 3, 4, 5, 6, 7, 8].map(i => pendingCall(1, 10 + i)));
    const queue = new ArchiveJobsStore(knex);
    for (const c of calls) await queue.enqueue(compressJobFor(c.id));
    const replacing = new Map<string, string[]>();
    const track = (worker: string) => async (id: string) => {
      replacing.set(id, [...(replacing.get(id) ?? []), worker]);
    };
    const a = archiver('archiver-a', knex, { replaced: track('a') });
    const b = archiver('archiver-b', other, { replaced: track('b') });
    a.start();
    b.start();
    await Promise.all([a.idle(), b.idle()]);
    await Promise.all([a.idle(), b.idle()]);

    for (const c of calls) {
      expect({ id: c.id, workers: replacing.get(c.id)?.length }).toEqual({ id: c.id, workers: 1 });
      expect(await compressedAudits(c.id)).toHaveLength(1);
      expect(await jobsOf(c.id)).toEqual([{ state: 'done', attempts: 1, last_error: null }]);
      expect((await row(c.id)).storage_key).toBe(c.key.replace(/\.wav$/, '.opus'));
    }
    const sa = a.stats().compression;
    const sb = b.stats().compression;
    expect(sa.compressed + sb.compressed).toBe(8);
    expect(sa.stale + sb.stale + sa.failed + sb.failed).toBe(0);
    // eslint-disable-next-line no-console
    console.log(`two workers (${databaseId}): a compressed ${sa.compressed}, b ${sb.compressed}`);
  });

  it('a worker killed mid-job: once its lease runs out another worker finishes the job, in a file of its own', async () => {
    const call = await pendingCall(1, 30);
    const queue = new ArchiveJobsStore(knex);
    await queue.enqueue(compressJobFor(call.id));
    // the killed worker took the job and had begun its Opus file
    const [taken] = await queue.claim({ workerId: 'killed:99:archive', instanceIds: [], kinds: ['compress'], limit: 1, leaseMs: 1500 });
    expect(taken.subject).toBe(call.id);
    const firstKey = call.key.replace(/\.wav$/, '.opus');
    await blobs.put(firstKey, Buffer.from('OggS half a file'), { contentType: 'audio/ogg; codecs=opus' });
    const survivor = archiver('survivor:1:archive', other, { leaseMs: 1500 });
    survivor.start();
    // nothing to take while the lease runs
    await new Promise(r => setTimeout(r, 500));
    expect((await row(call.id)).storage_key).toBe(call.key);
    expect(survivor.stats().worker.claimed).toBe(0);

    const done = await (async () => {
      const end = Date.now() + 30_000;
      for (;;) {
        const r = await row(call.id);
        if (r.compress_to === null && r.superseded_storage_key === null) return r;
        if (Date.now() > end) throw new Error('the job was not finished by the other worker');
        await new Promise(res => setTimeout(res, 100));
      }
    })();
    await survivor.idle();
    const secondKey = call.key.replace(/\.wav$/, '.a2.opus');
    const file = fs.readFileSync(blobs.resolveKey(secondKey));
    expect(done).toMatchObject({ storage_key: secondKey, sha256: sha256(file) });
    expect(decodeOggOpus(file, 8000).tags.SOURCE_SHA256).toBe(sha256(call.wav));
    // the WAV and what the killed worker left are gone
    expect(await blobs.stat(call.key)).toBeUndefined();
    expect(await blobs.stat(firstKey)).toBeUndefined();
    expect(await jobsOf(call.id)).toEqual([{ state: 'done', attempts: 2, last_error: null }]);
    // the killed worker, were it to come back, can record nothing
    expect(await queue.complete(taken.id, 'killed:99:archive')).toBe(false);
    expect(await compressedAudits(call.id)).toHaveLength(1);
  });

  it('the recovery scan enqueues archives pending with no job, not those with a dead job or still staged', async () => {
    const noJob = await pendingCall(1, 40);
    const dead = await pendingCall(1, 41);
    const staged = await pendingCall(1, 42);
    const queue = new ArchiveJobsStore(knex);
    await queue.enqueue(compressJobFor(dead.id, { bitrate: 15000, complexity: 0 }));
    await knex('vr_archive_jobs').where({ subject: dead.id }).update({ state: 'dead', last_error: 'not a WAV' });
    await knex('vr_conversations').where({ id: staged.id }).update({ storage_location: 'staged:recorder-1' });
    // a WAV superseded by a replacement whose worker crashed before deleting it needs a job too
    const crashed = await pendingCall(1, 43);
    const crashedOpus = crashed.key.replace(/\.wav$/, '.opus');
    await blobs.put(crashedOpus, Buffer.from('an Opus file in use'), { contentType: 'audio/ogg; codecs=opus' });
    await knex('vr_conversations')
      .where({ id: crashed.id })
      .update({ compress_to: null, storage_key: crashedOpus, format: 'audio/ogg; codecs=opus', superseded_storage_key: crashed.key });
    const work = archiver('scanner:1:archive');

    expect(await work.scanNow()).toBe(2);
    expect(await work.scanNow()).toBe(0); // open jobs now
    const subjects = (await knex('vr_archive_jobs').where({ kind: 'compress', state: 'queued' }).select('subject')).map(r => r.subject);
    expect(subjects.sort()).toEqual([noJob.id, crashed.id].sort());

    work.start();
    await work.idle();
    expect((await row(noJob.id)).format).toBe('audio/ogg; codecs=opus');
    expect(await row(crashed.id)).toMatchObject({ superseded_storage_key: null, storage_key: crashedOpus });
    expect(await blobs.stat(crashedOpus)).toBeDefined();
    expect(await blobs.stat(crashed.key)).toBeUndefined();
    expect(await row(dead.id)).toMatchObject({ compress_to: 'opus', storage_key: dead.key });
    expect(await row(staged.id)).toMatchObject({ compress_to: 'opus', storage_key: staged.key });
    expect(work.stats().scanned).toBe(2);
  });

  it('an interim WAV uploaded from a recorder\'s staging gets its compress job when its location is cleared', async () => {
    const call = await pendingCall(1, 50);
    await knex('vr_conversations').where({ id: call.id }).update({ storage_location: 'staged:recorder-1' });
    const queue = new ArchiveJobsStore(knex);
    const silent = mockServices.rootLogger({ level: 'none' });
    const recorderCtx = createCaptureContext({
      sourceId: 'siprec',
      numbers: { getByNumbers: async () => [] },
      conversations: store,
      audit: new AuditRecorder(mockServices.auditor.mock(), auditLog, silent),
      logger: silent,
      config: { defaultCountry: 'BE', emergencyNumbers: [] } as any,
      archiveJobs: queue,
      compressOpus: { layer: 'silk', bitrate: 24000, complexity: 1, frameMs: 40, skipSilence: true },
    });
    // staged: no job (the scan skips it too)
    expect((await store.listCompressionsWithoutJob({ limit: 100 })).map(c => c.conversationId)).not.toContain(call.id);
    // the upload handler, once the object is verified
    expect(await recorderCtx.conversations.setArchiveLocation!(call.key, null, { expected: 'staged:recorder-1' })).toBe(1);
    const jobs = await knex('vr_archive_jobs').where({ kind: 'compress', subject: call.id });
    expect(jobs.map(j => ({ state: j.state, payload: JSON.parse(j.payload) }))).toEqual([
      { state: 'queued', payload: { opus: { layer: 'silk', bitrate: 24000, complexity: 1, frameMs: 40, skipSilence: true } } },
    ]);
    // an upload of a file that is no interim WAV awaiting compression enqueues nothing
    expect(await recorderCtx.conversations.setArchiveLocation!('recordings/other.opus', null)).toBe(0);
    expect(Number((await knex('vr_archive_jobs').count({ n: '*' }).first())!.n)).toBe(1);

    const work = archiver('archiver-2:1:archive');
    work.start();
    await work.idle();
    expect(await row(call.id)).toMatchObject({ format: 'audio/ogg; codecs=opus', storage_location: null, compress_to: null });
  });
});
