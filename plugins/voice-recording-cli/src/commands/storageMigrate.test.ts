/*
 * `mvr storage-migrate` on real local files (encrypted at rest, and one legacy plain
 * file), a real Ceph RGW bucket with Object Lock (GOVERNANCE: emptied afterwards) and the
 * plugin's real database (SQLite, and PostgreSQL when MVR_TEST_POSTGRES_CONNECTION is set).
 * A dry run writes nothing; a run as a real process is killed (SIGKILL) half-way with
 * --delete-local: every local file gone by then has its verified object in the bucket;
 * the rerun carries on (objects already there are skipped), refuses the file whose hash
 * is not the recorded one, and a third run copies nothing. Archives get their
 * conversation's retention end as Object Lock date and the held one an S3 legal hold.
 */
import { spawn } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import nodePath from 'node:path';
import { Readable } from 'node:stream';
import { Client } from 'pg';
import { ConfigSources, StaticConfigSource } from '@backstage/config-loader';
import { DatabaseManager } from '@backstage/backend-defaults/database';
import {
  BlobStore,
  EncryptedBlobStore,
  LocalFileBlobStore,
  S3BlobStore,
  StaticKeyEncryptionKeys,
} from '@mvr/plugin-voice-recording-node';
import {
  createTestBucket,
  describeWithS3,
  removeTestBucket,
  s3AdminClient,
  s3StoreOptions,
} from '@mvr/plugin-voice-recording-node/testUtils';
import { main } from '../index';
import type { CliIo } from '../io';

jest.setTimeout(240_000);

const PG =
  process.env.BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING ??
  process.env.MVR_TEST_POSTGRES_CONNECTION;
const MIGRATIONS = nodePath.resolve(
  __dirname,
  '../../../voice-recording-backend/migrations',
);
const BIN = nodePath.resolve(__dirname, '../../bin/mvr');
const DAY = 86_400_000;

async function readAll(r: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of r) parts.push(c as Buffer);
  return Buffer.concat(parts);
}
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describeWithS3('mvr storage-migrate', server => {
  const admin = s3AdminClient(server);
  afterAll(() => admin.destroy());

  describe.each([['sqlite'], ...(PG ? [['postgres']] : [])])('on %s', db => {
    let dir: string;
    let bucket: string;
    let pgDatabase: string | undefined;
    let knex: any;
    const cleanup: Array<() => Promise<void>> = [];

    beforeEach(async () => {
      dir = fs.mkdtempSync(nodePath.join(tmpdir(), 'mvr-migrate-'));
      bucket = await createTestBucket(admin, { objectLock: true });
    });
    afterEach(async () => {
      for (const c of cleanup.splice(0).reverse()) await c().catch(() => {});
      await removeTestBucket(admin, bucket);
      if (pgDatabase) {
        const client = new Client({ connectionString: PG });
        await client.connect();
        await client.query(`DROP DATABASE IF EXISTS "${pgDatabase}" WITH (FORCE)`);
        await client.end();
        pgDatabase = undefined;
      }
      fs.rmSync(dir, { recursive: true, force: true });
    });

    function capture() {
      const out: string[] = [];
      const err: string[] = [];
      const io: CliIo = {
        out: t => out.push(t),
        err: t => err.push(t),
        cwd: dir,
        fetch: () => Promise.reject(new Error('no network in tests')),
      };
      return { io, out: () => out.join(''), err: () => err.join('') };
    }

    /** the backend's config: the bucket, the keys, the database (paths relative to backend/) */
    function writeConfig() {
      const database =
        db === 'postgres'
          ? {
              client: 'pg',
              connection: PG,
              plugin: { 'voice-recording': { connection: { database: pgDatabase } } },
            }
          : {
              client: 'better-sqlite3',
              connection: { directory: nodePath.join(dir, 'sqlite') },
            };
      const config = {
        backend: { database },
        voiceRecording: {
          storage: {
            s3: {
              bucket,
              endpoint: server.endpoint,
              region: server.region,
              forcePathStyle: true,
              credentials: server.credentials,
              objectLock: { mode: 'GOVERNANCE', retentionDays: 1 },
            },
          },
          encryption: {
            activeKeyId: 'k1',
            keys: [{ id: 'k1', keyFile: '../keys/k1.key' }],
          },
        },
      };
      // JSON is YAML
      fs.writeFileSync(
        nodePath.join(dir, 'app-config.s3.yaml'),
        JSON.stringify(config, null, 1),
      );
      return config;
    }

    async function setup() {
      if (db === 'postgres')
        pgDatabase = `mvr_h5_migrate_${randomBytes(4).toString('hex')}`;
      for (const d of ['backend', 'recordings', 'keys', 'sqlite'])
        fs.mkdirSync(nodePath.join(dir, d));
      const kek = randomBytes(32);
      fs.writeFileSync(nodePath.join(dir, 'keys', 'k1.key'), kek.toString('base64'));
      const config = writeConfig();
      // the plugin's database, migrated, as the backend would have it
      const previous = process.cwd();
      process.chdir(nodePath.join(dir, 'backend'));
      try {
        const manager = DatabaseManager.fromConfig(
          await ConfigSources.toConfig(StaticConfigSource.create({ data: config as any })),
        );
        const hooks: Array<() => any> = [];
        knex = await manager
          .forPlugin('voice-recording', {
            logger: { error() {}, warn() {}, info() {}, debug() {}, child: () => ({}) } as any,
            lifecycle: {
              addStartupHook() {},
              addShutdownHook: (h: any) => hooks.push(h),
              addBeforeShutdownHook() {},
            } as any,
          })
          .getClient();
        cleanup.push(async () => {
          await knex.destroy();
        });
      } finally {
        process.chdir(previous);
      }
      await knex.migrate.latest({ directory: MIGRATIONS, tableName: 'vr_knex_migrations' });

      const local = new LocalFileBlobStore(nodePath.join(dir, 'recordings'), { minFreeBytes: 0 });
      const encrypted = new EncryptedBlobStore(local, new StaticKeyEncryptionKeys([['k1', kek]], 'k1'), {
        segmentSize: 4096,
      });
      await encrypted.verifyKeys(); // the key-check blob, as the backend writes it
      const retentionUntil = new Date(Date.now() + 3 * DAY);
      retentionUntil.setUTCMilliseconds(0);
      const rows: any[] = [];
      const conversations: Array<{ id: string; key: string; audio: Buffer; kind: string }> = [];
      const add = async (kind: 'archive' | 'held' | 'plain' | 'interim' | 'corrupt') => {
        const id = randomUUID();
        const key = `2026/12/07/${id}.${kind === 'interim' ? 'wav' : 'ogg'}`;
        const audio = randomBytes(60_000 + Math.floor(Math.random() * 20_000));
        const store: BlobStore = kind === 'plain' ? local : encrypted;
        await store.put(key, audio, { contentType: 'audio/ogg' });
        await encrypted.put(`${key}.peaks`, randomBytes(200), { contentType: 'application/octet-stream' });
        rows.push({
          id,
          number: '+32470000001',
          user_ref: 'user:default/bob',
          started_at: new Date(),
          ended_at: new Date(),
          sip_call_id: `t-${id}`,
          participants: '[]',
          metadata: '{}',
          dtmf: '[]',
          state: 'finished',
          storage_key: key,
          sha256: kind === 'corrupt' ? sha(Buffer.from('something else')) : sha(audio),
          bytes: audio.length,
          format: 'audio/ogg; codecs=opus',
          capture_source: 'test',
          compress_to: kind === 'interim' ? 'opus' : null,
          retention_until: retentionUntil,
        });
        conversations.push({ id, key, audio, kind });
      };
      for (let i = 0; i < 24; i++) await add('archive');
      await add('held');
      await add('plain');
      await add('interim');
      await add('corrupt');
      await encrypted.put('derived/x/mp3/conversation.mp3', randomBytes(5000), { contentType: 'audio/mpeg' });
      for (const r of rows) await knex('vr_conversations').insert(r);
      // a standing legal hold on the held one's label
      const held = conversations.find(c => c.kind === 'held')!;
      const labelId = randomUUID();
      const caseId = randomUUID();
      await knex('vr_labels').insert({ id: labelId, title: 'Matter', colour: '#aa0000', created_by: 'user:default/alice' });
      await knex('vr_cases').insert({ id: caseId, title: 'Matter', owner_ref: 'user:default/alice', label_id: labelId });
      await knex('vr_conversation_labels').insert({ conversation_id: held.id, label_id: labelId, added_by: 'user:default/alice' });
      await knex('vr_legal_holds').insert({
        id: randomUUID(),
        case_id: caseId,
        label_id: labelId,
        reason: 'litigation',
        reference: 'LIT-1',
        state: 'active',
        placed_by: 'user:default/alice',
        placed_at: new Date(),
      });
      const s3 = new S3BlobStore(s3StoreOptions(server, bucket));
      cleanup.push(async () => {
        // the held object's legal hold off, so that the bucket can be emptied
        await s3.setLegalHold(held.key, false).catch(() => {});
        s3.destroy();
      });
      const files = (await local.list('')).sort();
      return {
        local,
        s3,
        plaintextS3: new EncryptedBlobStore(s3, new StaticKeyEncryptionKeys([['k1', kek]], 'k1')),
        conversations,
        files,
        retentionUntil,
      };
    }

    const args = (...extra: string[]) => [
      'storage-migrate',
      '--config',
      'app-config.s3.yaml',
      '--paths-from',
      'backend',
      '--from',
      'recordings',
      ...extra,
    ];

    it('moves the archive: dry run, a run killed half-way, the rerun, and an idempotent third run', async () => {
      const t = await setup();
      const total = t.files.length;
      expect(total).toBe(28 * 2 + 2); // archives and peaks, the derived MP3, the key check

      // dry run: says what it would do, writes nothing
      const dry = capture();
      const dryCode = await main(args('--dry-run'), dry.io);
      expect(dryCode).toBe(1); // the corrupt one is refused even so
      expect(dry.out()).toContain('dry run: nothing is written');
      expect(dry.out()).toContain(`would copy: ${total - 1}`);
      expect(await t.s3.list('')).toEqual([]);

      // a real process, killed once a few objects are in: what went locally is verified in S3
      const child = spawn(process.execPath, [BIN, ...args('--delete-local', '--concurrency', '1')], {
        cwd: dir,
        env: { ...process.env, INIT_CWD: dir },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let childErr = '';
      child.stderr.on('data', d => {
        childErr += d;
      });
      const exited = new Promise<number | null>(r => child.on('exit', code => r(code)));
      const started = Date.now();
      for (;;) {
        const n = (await t.s3.list('')).length;
        if (n >= 8) break;
        if (Date.now() - started > 120_000) throw new Error(`no progress: ${childErr}`);
        await new Promise(r => setTimeout(r, 100));
      }
      child.kill('SIGKILL');
      await exited;
      const inBucket = new Set(await t.s3.list(''));
      const leftLocally = new Set(await t.local.list(''));
      expect(inBucket.size).toBeGreaterThanOrEqual(8);
      expect(inBucket.size).toBeLessThan(total); // really half-way
      expect(leftLocally.size).toBeLessThan(total); // and it had deleted some local files
      for (const key of t.files) {
        if (leftLocally.has(key)) continue;
        // deleted locally: its object is there, with the local bytes
        expect(inBucket.has(key)).toBe(true);
      }

      // the rerun carries on: objects already there are skipped, the rest copied
      const second = capture();
      expect(await main(args(), second.io)).toBe(1);
      const corrupt = t.conversations.find(c => c.kind === 'corrupt')!;
      expect(second.err()).toContain(
        `FAILED ${corrupt.key}: the local file does not match conversation ${corrupt.id}`,
      );
      expect(second.out()).toMatch(/failed: 1\n/);
      const copied = Number(/copied and verified: (\d+)/.exec(second.out())![1]);
      const skipped = Number(/already in the bucket with the same bytes: (\d+)/.exec(second.out())![1]);
      const stillLocal = leftLocally.size;
      expect(copied + skipped).toBe(stillLocal - 1);
      expect(skipped).toBe([...leftLocally].filter(k => inBucket.has(k)).length);
      expect((await t.s3.list('')).sort()).toEqual(t.files.filter(k => k !== corrupt.key));

      // every archive reads back through the keys as recorded; locks as the conversations say
      for (const c of t.conversations.filter(x => x.kind !== 'corrupt')) {
        const back = await readAll(await t.plaintextS3.get(c.key));
        expect(sha(back)).toBe(sha(c.audio));
        const p = await t.s3.protection(c.key);
        expect({ kind: c.kind, retention: p.retention?.retainUntil.toISOString(), legalHold: p.legalHold }).toEqual({
          kind: c.kind,
          retention: c.kind === 'interim' ? undefined : t.retentionUntil.toISOString(),
          legalHold: c.kind === 'held',
        });
        expect((await t.s3.protection(`${c.key}.peaks`)).retention).toBeUndefined();
      }

      // a third run copies nothing; with --delete-local the verified local files go
      const third = capture();
      expect(await main(args('--delete-local'), third.io)).toBe(1);
      expect(third.out()).toContain('copied and verified: 0 (0.0 MiB)');
      expect(third.out()).toContain(`local files deleted after verification: ${stillLocal - 1}`);
      expect(await t.local.list('')).toEqual([corrupt.key]);
    });

    it('refuses bad arguments and a configuration without a bucket, naming them', async () => {
      const bad = capture();
      expect(await main(['storage-migrate'], bad.io)).toBe(2);
      expect(bad.err()).toContain('at least one --config is required');
      const both = capture();
      expect(await main(['storage-migrate', '--config', 'x.yaml', '--dry-run', '--delete-local'], both.io)).toBe(2);
      expect(both.err()).toContain('--delete-local and --dry-run exclude each other');
      const conc = capture();
      expect(await main(['storage-migrate', '--config', 'x.yaml', '--concurrency', '0'], conc.io)).toBe(2);
      expect(conc.err()).toContain('--concurrency must be a whole number from 1 to 64, not "0"');
      fs.writeFileSync(nodePath.join(dir, 'local.yaml'), 'voiceRecording:\n  storage:\n    local:\n      directory: recordings\n');
      const noS3 = capture();
      expect(await main(['storage-migrate', '--config', 'local.yaml'], noS3.io)).toBe(2);
      expect(noS3.err()).toContain('voiceRecording.storage.s3 is not configured');
      writeConfig();
      const missing = capture();
      expect(await main(['storage-migrate', '--config', 'app-config.s3.yaml', '--from', 'nowhere'], missing.io)).toBe(2);
      expect(missing.err()).toContain(`the local archive ${nodePath.join(dir, 'nowhere')} is no directory (--from)`);
    });
  });
});
