/*
 * The recorder-only backend (src/recorder.ts) as its own process, configured like a
 * separated deployment (app-config.yaml + app-config.recorder.yaml) with a fresh SQLite
 * directory and demo numbers on top: one SIPREC call is recorded end to end, the
 * portal's plugins are absent, and SIGTERM stops it cleanly.
 */
import { createHash } from 'node:crypto';
import * as dgram from 'node:dgram';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  DEFAULT_SEGMENT_SIZE,
  ENCRYPTION_MAGIC,
  EncryptedBlobStore,
  LocalFileBlobStore,
  loadEncryptionKeys,
} from '@mvr/plugin-voice-recording-node';
import { DEFAULT_THREAD_POOL_SIZE } from './threadPool';
import {
  BackendProcess,
  backendSection,
  demoNumbersYaml,
  freeTcpPort,
  startBackendProcess,
  waitFor,
} from './__testUtils__/backendProcess';
import { inviteRecordedCall, streamTwoTones } from './__testUtils__/siprecCall';
// The SIPREC module's test Session Recording Client (its `testing` entry point).
import { SrcClient } from '@mvr/plugin-voice-recording-backend-module-siprec/testing';

jest.setTimeout(90_000);

const RECORDED = '+32470000101';
const OTHER = '+32499000101';

describe('recorder-only backend (src/recorder.ts) in its own process', () => {
  let dir: string;
  let backend: BackendProcess | undefined;
  let httpPort: number;
  let sipPort: number;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mvr-recorder-only-'));
    httpPort = await freeTcpPort();
    fs.writeFileSync(path.join(dir, 'numbers.yaml'), demoNumbersYaml(RECORDED));
    // the last config wins: a fresh SQLite directory (one process, one host) instead
    // of the example's PostgreSQL, free ports, everything under the temp directory
    backend = startBackendProcess({
      name: 'the recorder process',
      entry: 'src/recorder.ts',
      deploymentConfig: 'app-config.recorder.yaml',
      dir,
      testConfig: [
        ...backendSection('sqlite', { dir, prefix: '', httpPort }),
        'voiceRecording:',
        `  demoData: { file: '${dir}/numbers.yaml' }`,
        `  storage: { local: { directory: '${dir}/recordings' } }`,
        // encryption at rest as in app-config.yaml, with the test's own key file
        '  encryption:',
        '    enabled: true',
        '    activeKeyId: test-1',
        `    keys: [{ id: test-1, keyFile: '${dir}/keys/test-1.key', createIfMissing: true }]`,
        '  recorder:',
        '    instanceId: recorder-only-test',
        '    sip: { port: 0, transports: [udp] }',
        '    rtp: { portMin: null, portMax: null, inactivityTimeoutSeconds: 10 }',
        `    storage: { journalDir: '${dir}/journal', archiveDir: '${dir}/recordings', minFreeMegabytes: 1 }`,
        '',
      ],
      env: { UV_THREADPOOL_SIZE: undefined }, // the entry's own default (src/threadPool.ts)
    });
    sipPort = await backend.waitForOutput(
      'the SIPREC recorder to listen',
      out => {
        const m = out.match(/SIPREC recorder listening on \S+ udp\/(\d+)/);
        return m ? Number(m[1]) : undefined;
      },
      45_000,
    );
    await backend.waitForReadiness(httpPort, 15_000);
  });

  afterAll(async () => {
    await backend?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("runs libuv's thread pool with the entry's 16 threads (call set-up does not queue behind journal fsyncs)", () => {
    if (process.platform !== 'linux') return;
    const names = fs
      .readdirSync(`/proc/${backend!.child.pid}/task`)
      .map(tid =>
        fs
          .readFileSync(`/proc/${backend!.child.pid}/task/${tid}/comm`, 'utf8')
          .trim(),
      );
    expect(names.filter(n => n === 'libuv-worker')).toHaveLength(
      DEFAULT_THREAD_POOL_SIZE,
    );
  });

  it('serves only the voice-recording plugin on its HTTP port (no catalog, auth, permission, app)', async () => {
    for (const p of [
      'catalog/entities',
      'auth/demo/refresh',
      'permission/authorize',
      'notifications/notifications',
    ]) {
      const r = await fetch(`http://127.0.0.1:${httpPort}/api/${p}`);
      expect({ p, status: r.status }).toEqual({ p, status: 404 });
    }
    // the voice-recording plugin is there: an unauthenticated call is refused with 401, not 404
    const vr = await fetch(
      `http://127.0.0.1:${httpPort}/api/voice-recording/numbers`,
    );
    expect(vr.status).toBe(401);
    // and it is the only plugin the backend initialized
    expect(backend!.output).toMatch(
      /Plugin initialization started: 'voice-recording'(?!,)/,
    );
  });

  it('records a SIPREC call into the database and the archive, then stops cleanly on SIGTERM', async () => {
    const udp = new SrcClient({
      host: '127.0.0.1',
      port: sipPort,
      transport: 'udp',
    });
    await udp.start();
    let callId: string;
    try {
      expect((await udp.options()).status).toBe(200);
      const call = await inviteRecordedCall(udp, RECORDED, OTHER);
      expect(call.response!.status).toBe(200);
      expect(call.mediaPorts).toHaveLength(2);
      await streamTwoTones(call);
      expect((await udp.bye(call)).status).toBe(200);
      callId = call.callId;
    } finally {
      await udp.close();
    }

    // read what the recorder wrote, from its SQLite file (a second reader, as the portal would be)
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const Database = require('better-sqlite3');
    const db = new Database(path.join(dir, 'db', 'voice-recording.sqlite'), {
      readonly: true,
      fileMustExist: true,
    });
    try {
      const row = await waitFor(
        'the conversation to finish',
        () => {
          const r = db
            .prepare('select * from vr_conversations where sip_call_id = ?')
            .get(callId);
          // registered with an interim WAV first, then compressed to Opus in the background (the default)
          return r &&
            r.state !== 'recording' &&
            r.compress_to === null &&
            r.superseded_storage_key === null
            ? r
            : undefined;
        },
        20_000,
      );
      expect(row).toMatchObject({
        state: 'finished',
        ended_by: 'bye',
        number: RECORDED,
        other_party: OTHER,
        capture_source: 'siprec',
      });
      expect(row.format).toBe('audio/ogg; codecs=opus');
      expect(row.storage_key).toMatch(/\.opus$/);
      expect(
        fs.existsSync(
          path.join(
            dir,
            'recordings',
            row.storage_key.replace(/\.opus$/, '.wav'),
          ),
        ),
      ).toBe(false);
      // encrypted at rest: the file on disk is not the audio; read through the key, it is
      const stored = fs.readFileSync(
        path.join(dir, 'recordings', row.storage_key),
      );
      expect(
        stored.subarray(0, ENCRYPTION_MAGIC.length).equals(ENCRYPTION_MAGIC),
      ).toBe(true);
      expect(createHash('sha256').update(stored).digest('hex')).not.toBe(
        row.sha256,
      );
      const archive = new EncryptedBlobStore(
        new LocalFileBlobStore(path.join(dir, 'recordings')),
        loadEncryptionKeys({
          enabled: true,
          activeKeyId: 'test-1',
          keys: [
            { id: 'test-1', keyFile: path.join(dir, 'keys', 'test-1.key') },
          ],
          segmentSize: DEFAULT_SEGMENT_SIZE,
        }),
      );
      const chunks: Buffer[] = [];
      for await (const c of await archive.get(row.storage_key))
        chunks.push(c as Buffer);
      const file = Buffer.concat(chunks);
      expect(file.length).toBeGreaterThan(1000);
      expect(Number(row.bytes)).toBe(file.length);
      expect(createHash('sha256').update(file).digest('hex')).toBe(row.sha256);
      expect(file.subarray(0, 4).toString('latin1')).toBe('OggS');
    } finally {
      db.close();
    }

    // the recorder keeps journal files made ahead of the calls
    expect(
      fs
        .readdirSync(path.join(dir, 'journal'))
        .filter(f => f.endsWith('.spare')).length,
    ).toBeGreaterThan(0);
    const t0 = Date.now();
    backend!.child.kill('SIGTERM');
    const result = await Promise.race([
      backend!.exit,
      new Promise<never>((_, reject) =>
        setTimeout(
          () =>
            reject(
              new Error(`no exit 20 s after SIGTERM:\n${backend!.output}`),
            ),
          20_000,
        ),
      ),
    ]);
    // eslint-disable-next-line no-console
    console.log(
      `recorder-only backend stopped ${Date.now() - t0} ms after SIGTERM`,
    );
    expect(result).toEqual({ code: 0, signal: null });
    // the SIP socket is closed (its port can be bound again) and no journal is left
    const sock = dgram.createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      sock.once('error', reject);
      sock.bind(sipPort, '127.0.0.1', () => resolve());
    });
    await new Promise<void>(r => sock.close(() => r()));
    // no journal is left, nor a spare journal file (made ahead of calls, deleted at stop)
    expect(
      fs
        .readdirSync(path.join(dir, 'journal'))
        .filter(f => f.endsWith('.mvrj') || f.endsWith('.spare')),
    ).toEqual([]);
  });
});
