/*
 * The recorder on S3 object storage (issue 20): real SIPREC calls over UDP into the real
 * backend (plugin + SIPREC module, SQLite and PostgreSQL), archives staged on the local
 * disk and uploaded by the archive job queue to a Ceph RGW of this test's own
 * (scripts/rgw.sh on ports 17490/13310/16900), which is stopped for 30 s while calls go on:
 *
 * - every call is answered and recorded (staging is local; the recorder stays healthy);
 * - the recorder's health says how many recordings wait and for how long, and it logs
 *   (rate-limited) that the queue is behind;
 * - the uploads catch up after RGW returns: every conversation's archive and peak envelope
 *   are in the bucket with the conversation's SHA-256, no location says staged, nothing is
 *   left in the staging directory;
 * - no local file disappears before its object is in the bucket with the same bytes (a
 *   watcher hashes every staged file and checks each one that goes), and none disappears
 *   while RGW is down.
 */
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { TestDatabases } from '@backstage/backend-test-utils';
import { EncryptedBlobStore, S3BlobStore, StaticKeyEncryptionKeys } from '@mvr/plugin-voice-recording-node';
import {
  createTestBucket,
  describeWithS3,
  s3AdminClient,
  s3StoreOptions,
  S3TestServer,
} from '@mvr/plugin-voice-recording-node/testUtils';
import { encodeG711, loopTo, synthSpeech } from '../audio/__testUtils__/speech';
import {
  RecorderBackend,
  finishedConversation,
  startRecorderBackend,
  twoPartyMetadata,
  twoStreamOffer,
  waitFor,
} from '../__testUtils__/recorderBackend';
import { SrcClient, streamRtp } from '../testing/SrcClient';

jest.setTimeout(600_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });
const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const RGW_SCRIPT = path.resolve(__dirname, '../../../../scripts/rgw.sh');
/** this test's own cluster: stopping its gateway disturbs nobody else's tests */
const RGW_ENV = {
  ...process.env,
  MVR_RGW_DIR: '/tmp/mvr-rgw-h2',
  MVR_RGW_PORT: '17490',
  MVR_RGW_MON_PORT: '13310',
  MVR_RGW_OSD_PORTS: '16900',
  MVR_RGW_MEM_MB: '512',
};
const OUTAGE_MS = 30_000;

function rgw(command: 'start' | 'stop' | 'gateway-stop' | 'gateway-start'): string {
  return execFileSync('bash', [RGW_SCRIPT, command], { env: RGW_ENV, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

async function readAll(r: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of r) parts.push(Buffer.from(c));
  return Buffer.concat(parts);
}

/** The staged blobs under the archive directory (no temporary or metadata files), relative keys. */
function stagedFiles(root: string): string[] {
  if (!fs.existsSync(root)) return [];
  return (fs.readdirSync(root, { recursive: true, withFileTypes: true }) as fs.Dirent[])
    .filter(e => e.isFile() && !e.name.includes('.tmp-') && !e.name.endsWith('.meta.json') && !e.name.startsWith('.probe'))
    .map(e => path.relative(root, path.join(e.parentPath, e.name)).split(path.sep).join('/'));
}

/**
 * Hashes every staged file when it appears and notes when it goes; each one that goes
 * must then be in the bucket with the same bytes.
 */
class StagingWatcher {
  readonly seen = new Map<string, string>();
  readonly gone: Array<{ key: string; sha256: string; at: number }> = [];
  private timer?: NodeJS.Timeout;
  private busy = false;
  constructor(private readonly root: string) {}
  start() {
    this.timer = setInterval(() => this.poll(), 50);
  }
  poll() {
    if (this.busy) return;
    this.busy = true;
    try {
      const now = new Set(stagedFiles(this.root));
      for (const key of now) {
        if (this.seen.has(key)) continue;
        try {
          this.seen.set(key, sha256(fs.readFileSync(path.join(this.root, key))));
        } catch {
          // gone between the listing and the read: it never counted as seen
        }
      }
      for (const [key, hash] of this.seen) {
        if (!now.has(key)) {
          this.gone.push({ key, sha256: hash, at: Date.now() });
          this.seen.delete(key);
        }
      }
    } finally {
      this.busy = false;
    }
  }
  stop() {
    if (this.timer) clearInterval(this.timer);
    this.poll();
  }
}

describeWithS3('recorder on S3 with an RGW outage', () => {
  let server: S3TestServer;
  let admin: ReturnType<typeof s3AdminClient>;

  beforeAll(() => {
    const env = rgw('start');
    const get = (name: string) => new RegExp(`export ${name}=(\\S+)`).exec(env)![1];
    server = {
      endpoint: get('MVR_TEST_S3_ENDPOINT'),
      region: get('MVR_TEST_S3_REGION'),
      credentials: { accessKeyId: get('MVR_TEST_S3_ACCESS_KEY_ID'), secretAccessKey: get('MVR_TEST_S3_SECRET_ACCESS_KEY') },
    };
    if (server.endpoint !== 'http://127.0.0.1:17490') throw new Error(`this test's RGW answers on ${server.endpoint}, not port 17490`);
    admin = s3AdminClient(server);
  });

  afterAll(() => {
    admin?.destroy();
    rgw('stop');
  });

  describe.each(databases.eachSupportedId())('on %s', databaseId => {
    let rb: RecorderBackend;
    let udp: SrcClient;
    let bucket: string;
    let objects: S3BlobStore;
    const health = async () => {
      const res = await fetch(`http://127.0.0.1:${rb.httpPort}/api/voice-recording/recorder/health`);
      return { status: res.status, body: (await res.json()) as any };
    };

    beforeAll(async () => {
      rgw('gateway-start');
      bucket = await createTestBucket(admin);
      objects = new S3BlobStore(s3StoreOptions(server, bucket, { prefix: 'rec/' }));
      rb = await startRecorderBackend(
        await databases.init(databaseId),
        { upload: { retryMinSeconds: 0.5, retryMaxSeconds: 2, warnAfterSeconds: 10 } },
        () => ({
          storage: {
            s3: {
              bucket,
              prefix: 'rec/',
              endpoint: server.endpoint,
              region: server.region,
              forcePathStyle: true,
              credentials: server.credentials,
            },
          },
        }),
      );
      udp = new SrcClient({ host: '127.0.0.1', port: rb.port, transport: 'udp' });
      await udp.start();
    });

    afterAll(async () => {
      await udp?.close();
      await rb?.stop();
      objects?.destroy();
      if (rb) fs.rmSync(rb.dir, { recursive: true, force: true });
    });

    it('records every call while RGW is down for 30 s; the uploads catch up, verified before any staged file goes', async () => {
      const watcher = new StagingWatcher(rb.archiveDir);
      watcher.start();
      const speech = encodeG711('pcma', loopTo(synthSpeech('Sell ten thousand at the open, please.'), 8000 * 2));
      const answered: string[] = [];
      const statuses: number[] = [];
      let running = true;
      // two callers, one call after the other, each call two seconds of audio both ways
      const caller = async () => {
        while (running) {
          const call = await udp.invite({ sdp: twoStreamOffer(), metadata: twoPartyMetadata() });
          statuses.push(call.response?.status ?? 0);
          if (call.response?.status !== 200) continue;
          await Promise.all([
            streamRtp({ port: call.mediaPorts[0], payload: speech, payloadType: 8 }),
            streamRtp({ port: call.mediaPorts[1], payload: speech, payloadType: 8 }),
          ]);
          const bye = await udp.bye(call);
          if (bye.status === 200) answered.push(call.callId);
        }
      };
      const callers = [caller(), caller()];

      await sleep(5_000);
      const beforeOutage = answered.length;
      rgw('gateway-stop');
      const outageFrom = Date.now();
      // during the outage: calls go on, the recorder stays healthy and says what waits
      await sleep(OUTAGE_MS - 5_000);
      const during = await health();
      const outageTo = Date.now();
      await sleep(5_000);
      rgw('gateway-start');
      const backAt = Date.now();
      await sleep(8_000);
      running = false;
      await Promise.all(callers);

      expect(during.status).toBe(200);
      expect(during.body.status).toBe('ok');
      expect(during.body.uploads.staged).toBeGreaterThan(0);
      expect(during.body.uploads.oldestAgeSeconds).toBeGreaterThanOrEqual(20);
      expect(during.body.uploads.worker.retried).toBeGreaterThan(0);
      // every INVITE answered 200, every call ended, calls were made before, during and after
      expect(statuses.every(s => s === 200)).toBe(true);
      expect(beforeOutage).toBeGreaterThan(0);
      const callsDuringOutage = answered.length - beforeOutage;
      expect(callsDuringOutage).toBeGreaterThan(10);

      // every call recorded; the uploads catch up
      const rows = await waitFor(
        async () => {
          const r = await rb.knex('vr_conversations').whereIn('sip_call_id', answered);
          return r.length === answered.length && r.every(x => x.state === 'finished' && x.storage_location === null) ? r : undefined;
        },
        120_000,
        'every conversation finished and uploaded',
      );
      const caughtUpAt = Date.now();
      await waitFor(async () => (stagedFiles(rb.archiveDir).length === 0 ? true : undefined), 30_000, 'the staging directory to empty');
      watcher.stop();

      // each conversation's archive and peaks in the bucket, with the conversation's hash
      for (const row of rows) {
        const archive = await readAll(await objects.get(row.storage_key));
        expect(sha256(archive)).toBe(row.sha256);
        expect(archive.length).toBe(Number(row.bytes));
        expect(await objects.stat(`${row.storage_key}.peaks`)).toBeDefined();
      }
      // no staged file went before its object held the same bytes, none while RGW was down
      // (a file uploaded within the watcher's 50 ms poll may go unseen; those staged while
      // RGW was down stayed for seconds: every one of them must have been seen going)
      const stagedDuringOutage = rows
        .filter(r => new Date(r.ended_at).getTime() > outageFrom + 1_000 && new Date(r.ended_at).getTime() < backAt - 3_000)
        .flatMap(r => [r.storage_key as string, `${r.storage_key}.peaks`]);
      expect(stagedDuringOutage.length).toBeGreaterThan(20);
      const goneKeys = new Set(watcher.gone.map(g => g.key));
      expect(stagedDuringOutage.filter(k => !goneKeys.has(k))).toEqual([]);
      const backlogDoneAt = Math.max(...watcher.gone.filter(g => stagedDuringOutage.includes(g.key)).map(g => g.at));
      for (const g of watcher.gone) {
        const stored = await readAll(await objects.get(g.key));
        expect(`${g.key} ${sha256(stored)}`).toBe(`${g.key} ${g.sha256}`);
      }
      const goneDuringOutage = watcher.gone.filter(g => g.at > outageFrom + 2_000 && g.at < backAt);
      expect(goneDuringOutage).toEqual([]);
      expect(watcher.seen.size).toBe(0);

      // the log said the queue was behind, rate-limited (one line a minute)
      const behind = rb.logLines.filter(l => l.message.startsWith('upload queue behind:'));
      expect(behind.length).toBeGreaterThanOrEqual(1);
      expect(behind.length).toBeLessThanOrEqual(2);
      expect(behind[0].message).toMatch(/recording\(s\) staged in .*, the oldest for \d+ s, waiting for s3:\/\/.*\/rec\//);
      const after = await health();
      expect(after.body.uploads).toMatchObject({ staged: 0, oldestAgeSeconds: 0, unqueued: 0 });
      // eslint-disable-next-line no-console
      console.log(
        `${databaseId}: ${answered.length} calls (${callsDuringOutage} after RGW stopped), ` +
          `${during.body.uploads.staged} staged ${Math.round((outageTo - outageFrom) / 1000)} s into the outage, ` +
          `the outage's ${stagedDuringOutage.length} staged files uploaded ${((backlogDoneAt - backAt) / 1000).toFixed(1)} s after RGW returned, ` +
          `all calls' ${((caughtUpAt - backAt) / 1000).toFixed(1)} s after (calls going on for 8 s); ${during.body.uploads.worker.retried} failed attempts retried`,
      );
    });
  });
  describe.each(databases.eachSupportedId())('starting during the outage on %s', databaseId => {
    let rb: RecorderBackend | undefined;
    let udp: SrcClient;
    let bucket: string;
    let objects: S3BlobStore;
    const key = randomBytes(32);

    beforeAll(async () => {
      rgw('gateway-start');
      bucket = await createTestBucket(admin);
      objects = new S3BlobStore(s3StoreOptions(server, bucket));
      rgw('gateway-stop');
    });

    afterAll(async () => {
      await udp?.close();
      await rb?.stop();
      objects?.destroy();
      if (rb) fs.rmSync(rb.dir, { recursive: true, force: true });
      rgw('gateway-start');
    });

    it('starts with RGW down (encryption on), records, and uploads and checks the keys once RGW is back', async () => {
      rb = await startRecorderBackend(
        await databases.init(databaseId),
        { upload: { retryMinSeconds: 0.5, retryMaxSeconds: 1 } },
        () => ({
          storage: {
            s3: { bucket, endpoint: server.endpoint, region: server.region, forcePathStyle: true, credentials: server.credentials },
          },
          encryption: { keys: [{ id: 'outage-key', key: key.toString('base64') }] },
        }),
      );
      const started = rb;
      const warned = started.logLines.filter(l => l.level === 'warn' && /does not answer/.test(l.message)).map(l => l.message);
      expect(warned.some(m => m.startsWith('voice-recording portal storage: the storage does not answer at start'))).toBe(true);
      expect(warned.some(m => m.startsWith('voice-recording recorder archive: the storage does not answer at start'))).toBe(true);
      udp = new SrcClient({ host: '127.0.0.1', port: started.port, transport: 'udp' });
      await udp.start();
      const speech = encodeG711('pcma', loopTo(synthSpeech('Hold the order until the close.'), 8000));
      const call = await udp.invite({ sdp: twoStreamOffer(), metadata: twoPartyMetadata() });
      expect(call.response!.status).toBe(200);
      await Promise.all([
        streamRtp({ port: call.mediaPorts[0], payload: speech, payloadType: 8 }),
        streamRtp({ port: call.mediaPorts[1], payload: speech, payloadType: 8 }),
      ]);
      expect((await udp.bye(call)).status).toBe(200);
      const row = await finishedConversation(started.knex, call.callId);
      expect(row.storage_location).toBe('staged:test-recorder');
      const staged = fs.readFileSync(path.join(started.archiveDir, row.storage_key));
      expect(staged.subarray(0, 6).toString('ascii')).toBe('MVRENC');
      rgw('gateway-start');
      const uploaded = await waitFor(
        async () => {
          const r = await started.knex('vr_conversations').where({ id: row.id }).first();
          return r.storage_location === null ? r : undefined;
        },
        60_000,
        'the upload after RGW returned',
      );
      const plain = await readAll(await new EncryptedBlobStore(objects, new StaticKeyEncryptionKeys([['outage-key', key]], 'outage-key')).get(uploaded.storage_key));
      expect(sha256(plain)).toBe(uploaded.sha256);
      expect((await readAll(await objects.get(uploaded.storage_key))).equals(staged)).toBe(true);
      // the deferred key check ran (every 15 s until the store answers) and created the key-check
      await waitFor(
        async () => (started.logLines.some(l => /the storage answers again; encryption keys checked/.test(l.message)) ? true : undefined),
        40_000,
        'the deferred key checks',
      );
      expect(started.logLines.filter(l => l.level === 'error').map(l => l.message)).toEqual([]);
      expect(await objects.list('_encryption/')).toEqual(['_encryption/key-check/outage-key']);
    });
  });
});
