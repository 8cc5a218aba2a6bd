/*
 * The archiver backend (src/archiver.ts) as its own process, configured like a separated
 * deployment (app-config.yaml + app-config.archiver.yaml), on PostgreSQL (the shared
 * database of a cluster) and on SQLite (one host): it opens no SIP or RTP port, takes a
 * compress job a recorder elsewhere left in the shared database (a conversation with an
 * interim WAV in the shared storage, encrypted at rest), replaces the WAV with Ogg/Opus,
 * and stops cleanly on SIGTERM.
 */
import { execFileSync } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import {
  DEFAULT_SEGMENT_SIZE,
  EncryptedBlobStore,
  LocalFileBlobStore,
  PEAKS_CONTENT_TYPE,
  decodeOggOpus,
  encodeAlaw,
  loadEncryptionKeys,
  writeWavG711Stereo,
} from '@mvr/plugin-voice-recording-node';
import {
  BackendProcess,
  backendSection,
  freeTcpPort,
  startBackendProcess,
  tone,
  waitFor,
} from './__testUtils__/backendProcess';

jest.setTimeout(120_000);

const PG =
  process.env.BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING ??
  process.env.MVR_TEST_POSTGRES_CONNECTION;
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** The sockets process `pid` listens on or has bound (ss, from the kernel's tables). */
function socketsOf(pid: number): { tcp: number[]; udp: number[] } {
  const ports = (args: string[]) =>
    execFileSync('ss', args, { encoding: 'utf8' })
      .split('\n')
      .filter(l => l.includes(`pid=${pid},`))
      .map(l => Number(/:(\d+)\s/.exec(`${l.replace(/\s+/g, ' ')} `)?.[1]))
      .filter(p => Number.isInteger(p));
  return { tcp: ports(['-Hltnp']), udp: ports(['-Hlunp']) };
}

/** SQL on the voice-recording database the archiver uses (`?` placeholders), as another process. */
interface Db {
  all(sql: string, params?: unknown[]): Promise<any[]>;
  close(): Promise<void>;
}

async function openPg(connection: string): Promise<Db> {
  const client = new Client({ connectionString: connection });
  await client.connect();
  return {
    all: async (sql, params = []) => {
      let n = 0;
      return (await client.query(sql.replace(/\?/g, () => `$${++n}`), params)).rows;
    },
    close: () => client.end(),
  };
}

function openSqlite(file: string): Db {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const Database = require('better-sqlite3');
  const db = new Database(file, { fileMustExist: true, timeout: 10_000 });
  return {
    // dates as the plugin's knex stores them on SQLite: milliseconds
    all: async (sql, params = []) => {
      const values = params.map(v => (v instanceof Date ? v.getTime() : v));
      const st = db.prepare(sql);
      return st.reader ? st.all(...values) : (st.run(...values), []);
    },
    close: async () => db.close(),
  };
}

describe.each([['sqlite'], ...(PG ? [['postgres']] : [])])(
  'archiver backend (src/archiver.ts) in its own process (%s)',
  kind => {
    let dir: string;
    let backend: BackendProcess | undefined;
    let httpPort: number;
    let db: Db | undefined;
    const prefix = `mvr_archiver_${process.pid}_`;
    const pgDatabase = `${prefix}voice-recording`;

    async function pg(sql: string): Promise<void> {
      const client = new Client({ connectionString: PG });
      await client.connect();
      try {
        await client.query(sql);
      } finally {
        await client.end();
      }
    }

    beforeAll(async () => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mvr-archiver-'));
      httpPort = await freeTcpPort();
      if (kind === 'postgres') await pg(`DROP DATABASE IF EXISTS "${pgDatabase}"`);
      backend = startBackendProcess({
        name: 'the archiver',
        entry: 'src/archiver.ts',
        deploymentConfig: 'app-config.archiver.yaml',
        dir,
        testConfig: [
          ...backendSection(kind, { dir, pg: PG, prefix, httpPort }),
          'voiceRecording:',
          `  storage: { local: { directory: '${dir}/recordings' } }`,
          // encryption at rest as in app-config.yaml, with the test's own key file
          '  encryption:',
          '    enabled: true',
          '    activeKeyId: test-1',
          `    keys: [{ id: test-1, keyFile: '${dir}/keys/test-1.key', createIfMissing: true }]`,
          '  archive: { encoderThreads: 1 }',
          '',
        ],
        env: { UV_THREADPOOL_SIZE: undefined },
      });
      await backend.waitForOutput(
        'the archive work to start',
        out =>
          /archive work: worker \S+ takes compress and derive jobs/.test(out)
            ? true
            : undefined,
        60_000,
      );
      await backend.waitForReadiness(httpPort, 15_000);
      if (kind === 'postgres') {
        const url = new URL(PG!);
        url.pathname = `/${encodeURIComponent(pgDatabase)}`;
        db = await openPg(url.toString());
      } else {
        db = openSqlite(path.join(dir, 'db', 'voice-recording.sqlite'));
      }
    });

    afterAll(async () => {
      await db?.close();
      await backend?.stop();
      if (kind === 'postgres')
        await pg(`DROP DATABASE IF EXISTS "${pgDatabase}"`).catch(() => undefined);
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    it('opens no SIP or RTP port: only its HTTP port', () => {
      expect(backend!.output).not.toMatch(/SIPREC recorder listening/);
      expect(backend!.output).toMatch(/Plugin initialization started: 'voice-recording'(?!,)/);
      expect(socketsOf(backend!.child.pid!)).toEqual({ tcp: [httpPort], udp: [] });
    });

    it('takes a compress job left in the shared database, replaces the WAV with Opus, and stops on SIGTERM', async () => {
      // what a recorder elsewhere left: its interim WAV in the shared storage (encrypted
      // at rest with the same key), the conversation registered, the job enqueued
      const store = new EncryptedBlobStore(
        new LocalFileBlobStore(path.join(dir, 'recordings')),
        loadEncryptionKeys({
          enabled: true,
          activeKeyId: 'test-1',
          keys: [{ id: 'test-1', keyFile: path.join(dir, 'keys', 'test-1.key') }],
          segmentSize: DEFAULT_SEGMENT_SIZE,
        }),
      );
      const id = randomUUID();
      const wav = writeWavG711Stereo('alaw', encodeAlaw(tone(2, 440)), encodeAlaw(tone(2, 620)), 8000);
      const key = `recordings/2026/12/07/${id}.wav`;
      await store.put(key, wav, { contentType: 'audio/wav' });
      await store.put(`${key}.peaks`, Buffer.from('peaks'), { contentType: PEAKS_CONTENT_TYPE });
      const now = new Date();
      const conversation: Record<string, unknown> = {
        id,
        number: '+32470000301',
        user_ref: 'user:default/bob',
        started_at: new Date(now.getTime() - 2000),
        ended_at: now,
        duration_ms: 2000,
        sip_call_id: `archiver-test-${id}@pbx`,
        participants: '[]',
        metadata: '{}',
        dtmf: '[]',
        state: 'finished',
        ended_by: 'bye',
        capture_source: 'siprec',
        capture_instance: 'recorder-elsewhere',
        storage_key: key,
        sha256: sha256(wav),
        bytes: wav.length,
        format: 'audio/wav',
        compress_to: 'opus',
        created_at: now,
        updated_at: now,
      };
      const job: Record<string, unknown> = {
        kind: 'compress',
        subject: id,
        conversation_id: id,
        payload: JSON.stringify({ opus: { bitrate: 15000, complexity: 0, frameMs: 60, skipSilence: true } }),
        state: 'queued',
        attempts: 0,
        max_attempts: 8,
        run_after: now,
        created_at: now,
        updated_at: now,
      };
      const insert = (table: string, row: Record<string, unknown>) =>
        db!.all(
          `INSERT INTO ${table} (${Object.keys(row).join(', ')}) VALUES (${Object.keys(row).map(() => '?').join(', ')})`,
          Object.values(row),
        );
      // in one transaction: the archiver's recovery scan must not see the conversation first
      await db!.all('BEGIN');
      await insert('vr_conversations', conversation);
      await insert('vr_archive_jobs', job);
      await db!.all('COMMIT');

      const row = await waitFor(
        'the archiver to compress the WAV',
        async () => {
          const [r] = await db!.all('SELECT * FROM vr_conversations WHERE id = ?', [id]);
          return r.compress_to === null && r.superseded_storage_key === null ? r : undefined;
        },
        30_000,
      );
      expect(row.format).toBe('audio/ogg; codecs=opus');
      expect(row.storage_key).toBe(key.replace(/\.wav$/, '.opus'));
      const chunks: Buffer[] = [];
      for await (const c of await store.get(row.storage_key)) chunks.push(c as Buffer);
      const file = Buffer.concat(chunks);
      expect(sha256(file)).toBe(row.sha256);
      expect(decodeOggOpus(file, 8000).tags.SOURCE_SHA256).toBe(sha256(wav));
      expect(await store.stat(key)).toBeUndefined();
      const jobs = await db!.all('SELECT state, attempts FROM vr_archive_jobs WHERE subject = ?', [id]);
      expect(jobs.map(j => ({ state: j.state, attempts: Number(j.attempts) }))).toEqual([{ state: 'done', attempts: 1 }]);
      const audits = await db!.all('SELECT actor_ref FROM vr_audit_log WHERE target_id = ? AND action = ?', [
        id,
        'conversation-archive-compressed',
      ]);
      expect(audits).toHaveLength(1);
      expect(audits[0].actor_ref).toBe('capture:siprec');

      const t0 = Date.now();
      backend!.child.kill('SIGTERM');
      const result = await Promise.race([
        backend!.exit,
        new Promise<never>((_, reject) =>
          setTimeout(() => reject(new Error(`no exit 20 s after SIGTERM:\n${backend!.output}`)), 20_000),
        ),
      ]);
      // eslint-disable-next-line no-console
      console.log(`archiver (${kind}) stopped ${Date.now() - t0} ms after SIGTERM`);
      expect(result).toEqual({ code: 0, signal: null });
      expect(backend!.output).toMatch(/Archive job worker \S+:archive stopped/);
    });
  },
);
