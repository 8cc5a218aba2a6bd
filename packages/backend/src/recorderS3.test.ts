/*
 * The recorder-only backend (src/recorder.ts, app-config.recorder.yaml) on S3 object
 * storage, in its own process with the OpenTelemetry instrumentation, on SQLite and on
 * PostgreSQL (issue 20): its S3 endpoint is a TCP relay to the test RGW that the test cuts
 * (connections refused: the store is away) and restores. While it is cut, a real SIPREC
 * call is recorded and staged, the health endpoint's `uploads` section and the metrics
 * mvr_recorder_uploads_staged / _oldest_seconds say it waits; once restored the upload
 * catches up (the object in the bucket is the staged file, encrypted at rest as
 * app-config.yaml says, byte for byte) and both read 0.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { Client } from 'pg';
import { S3BlobStore } from '@mvr/plugin-voice-recording-node';
import {
  createTestBucket,
  describeWithS3,
  removeTestBucket,
  s3AdminClient,
  s3StoreOptions,
} from '@mvr/plugin-voice-recording-node/testUtils';
import { SrcClient } from '@mvr/plugin-voice-recording-backend-module-siprec/testing';
import {
  BackendProcess,
  backendSection,
  demoNumbersYaml,
  freeTcpPort,
  startBackendProcess,
  waitFor,
} from './__testUtils__/backendProcess';
import { inviteRecordedCall, streamTwoTones } from './__testUtils__/siprecCall';

jest.setTimeout(240_000);

const RECORDED = '+32470000301';
const OTHER = '+32499000301';
const PG =
  process.env.BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING ??
  process.env.MVR_TEST_POSTGRES_CONNECTION;

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function readAll(r: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of r) parts.push(Buffer.from(c));
  return Buffer.concat(parts);
}

/** A TCP relay to the S3 server that can be cut (port closed, connections dropped) and restored. */
class Relay {
  private server?: net.Server;
  private readonly sockets = new Set<net.Socket>();
  constructor(readonly port: number, private readonly target: { host: string; port: number }) {}
  async open(): Promise<void> {
    const server = net.createServer(client => {
      const upstream = net.connect(this.target.port, this.target.host);
      this.sockets.add(client).add(upstream);
      const drop = () => {
        client.destroy();
        upstream.destroy();
        this.sockets.delete(client);
        this.sockets.delete(upstream);
      };
      client.on('error', drop).on('close', drop);
      upstream.on('error', drop).on('close', drop);
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.server = server;
  }
  async cut(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    if (server) await new Promise<void>(resolve => server.close(() => resolve()));
  }
}

/** One scrape: `name{labels}` → value (otel_scope labels left out). */
function parsePrometheus(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) continue;
    const labels = (m[2] ?? '')
      .split(/,(?=[a-zA-Z_]\w*=")/)
      .filter(l => l && !l.startsWith('otel_scope_'))
      .sort();
    out.set(labels.length ? `${m[1]}{${labels.join(',')}}` : m[1], Number(m[3]));
  }
  return out;
}

describeWithS3('recorder-only process on S3 object storage', server => {
  let admin: ReturnType<typeof s3AdminClient>;
  beforeAll(() => {
    admin = s3AdminClient(server);
  });
  afterAll(() => admin.destroy());

  describe.each([['sqlite'], ...(PG ? [['postgres']] : [])])('(%s)', db => {
    let dir: string;
    let backend: BackendProcess | undefined;
    let httpPort: number;
    let metricsPort: number;
    let sipPort: number;
    let relay: Relay;
    let bucket: string;
    let objects: S3BlobStore;
    const prefix = `mvr_s3ops_${process.pid}_`;
    const pgDatabase = `${prefix}voice-recording`;

    const scrape = async () => {
      const r = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
      return parsePrometheus(await r.text());
    };
    const health = async () => {
      const r = await fetch(`http://127.0.0.1:${httpPort}/api/voice-recording/recorder/health`);
      return { status: r.status, body: (await r.json()) as any };
    };
    async function pg(sql: string): Promise<void> {
      const client = new Client({ connectionString: PG });
      await client.connect();
      try {
        await client.query(sql);
      } finally {
        await client.end();
      }
    }
    async function conversation(): Promise<any> {
      if (db === 'postgres') {
        const url = new URL(PG!);
        url.pathname = `/${encodeURIComponent(pgDatabase)}`;
        const client = new Client({ connectionString: url.toString() });
        await client.connect();
        try {
          return (await client.query('SELECT storage_key, storage_location, sha256, state FROM vr_conversations')).rows[0];
        } finally {
          await client.end();
        }
      }
      // the recorder's own SQLite file, read with the backend's driver
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const Database = require('better-sqlite3');
      const file = fs.readdirSync(path.join(dir, 'db')).find(f => f.includes('voice-recording'));
      const sqlite = new Database(path.join(dir, 'db', file!), { readonly: true, fileMustExist: true });
      try {
        return sqlite.prepare('SELECT storage_key, storage_location, sha256, state FROM vr_conversations').get();
      } finally {
        sqlite.close();
      }
    }

    beforeAll(async () => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mvr-recorder-s3-'));
      httpPort = await freeTcpPort();
      metricsPort = await freeTcpPort();
      const endpoint = new URL(server.endpoint);
      relay = new Relay(await freeTcpPort(), { host: endpoint.hostname, port: Number(endpoint.port) });
      await relay.open();
      bucket = await createTestBucket(admin);
      objects = new S3BlobStore(s3StoreOptions(server, bucket));
      if (db === 'postgres') await pg(`DROP DATABASE IF EXISTS "${pgDatabase}"`);
      fs.writeFileSync(path.join(dir, 'numbers.yaml'), demoNumbersYaml(RECORDED));
      backend = startBackendProcess({
        name: 'the recorder process',
        entry: 'src/recorder.ts',
        deploymentConfig: 'app-config.recorder.yaml',
        instrumentation: true,
        dir,
        testConfig: [
          ...backendSection(db, { dir, pg: PG, prefix, httpPort }),
          'voiceRecording:',
          `  demoData: { file: '${dir}/numbers.yaml' }`,
          // app-config.recorder.yaml sets storage.local: an overlay switches it off
          '  storage:',
          '    local: null',
          '    s3:',
          `      bucket: ${bucket}`,
          `      endpoint: http://127.0.0.1:${relay.port}`,
          `      region: ${server.region}`,
          '      forcePathStyle: true',
          '      requestTimeoutSeconds: 5',
          `      credentials: { accessKeyId: '${server.credentials.accessKeyId}', secretAccessKey: '${server.credentials.secretAccessKey}' }`,
          '  recorder:',
          '    instanceId: recorder-s3-test',
          '    sip: { port: 0, transports: [udp] }',
          '    rtp: { portMin: null, portMax: null, inactivityTimeoutSeconds: 10 }',
          `    storage: { journalDir: '${dir}/journal', archiveDir: '${dir}/staging', minFreeMegabytes: 1 }`,
          '    opus: { encode: call-end }',
          '    upload: { retryMinSeconds: 0.5, retryMaxSeconds: 1 }',
          '',
        ],
        env: { MVR_METRICS_PORT: String(metricsPort), MVR_METRICS: undefined },
      });
      sipPort = await backend.waitForOutput(
        'the SIPREC recorder to listen',
        out => {
          const m = out.match(/SIPREC recorder listening on \S+ udp\/(\d+)/);
          return m ? Number(m[1]) : undefined;
        },
        90_000,
        out => /Backend startup failed/.test(out),
      );
    });

    afterAll(async () => {
      await backend?.stop(30_000);
      await relay?.cut();
      objects?.destroy();
      if (bucket) await removeTestBucket(admin, bucket);
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
      if (db === 'postgres') await pg(`DROP DATABASE IF EXISTS "${pgDatabase}" WITH (FORCE)`);
    });

    it('stages a call while the store is cut, shows it in health and metrics, uploads it once restored', async () => {
      expect(backend!.output).toMatch(/recorder archive: staged in .*staging, uploaded to S3 object storage s3:\/\//);
      const ready = await waitFor('a healthy recorder', async () => ((await health()).status === 200 ? true : undefined), 15_000);
      expect(ready).toBe(true);
      expect((await health()).body.uploads).toMatchObject({ staged: 0, oldestAgeSeconds: 0, unqueued: 0 });

      await relay.cut();
      const udp = new SrcClient({ host: '127.0.0.1', port: sipPort, transport: 'udp' });
      await udp.start();
      try {
        const call = await inviteRecordedCall(udp, RECORDED, OTHER);
        expect(call.response!.status).toBe(200);
        await streamTwoTones(call);
        expect((await udp.bye(call)).status).toBe(200);
      } finally {
        await udp.close();
      }
      const staged = await waitFor(
        'the call staged',
        async () => {
          const row = await conversation();
          return row?.state === 'finished' ? row : undefined;
        },
        20_000,
      );
      expect(staged.storage_location).toBe('staged:recorder-s3-test');
      await new Promise(r => setTimeout(r, 2_000));
      const during = await health();
      expect(during.status).toBe(200);
      // the archive and its peaks
      expect(during.body.uploads.staged).toBe(2);
      expect(during.body.uploads.oldestAgeSeconds).toBeGreaterThanOrEqual(1);
      const metrics = await scrape();
      expect(metrics.get('mvr_recorder_uploads_staged')).toBe(2);
      expect(metrics.get('mvr_recorder_uploads_oldest_seconds')).toBeGreaterThanOrEqual(1);
      expect(metrics.get('mvr_recorder_healthy')).toBe(1);
      // app-config.yaml encrypts at rest: the staged file is the envelope, uploaded as it is
      const stagedBytes = fs.readFileSync(path.join(dir, 'staging', staged.storage_key));
      expect(stagedBytes.subarray(0, 6).toString('ascii')).toBe('MVRENC');

      await relay.open();
      const uploaded = await waitFor(
        'the upload after the store returned',
        async () => {
          const row = await conversation();
          return row?.storage_location === null ? row : undefined;
        },
        30_000,
      );
      const object = await readAll(await objects.get(uploaded.storage_key));
      expect(sha256(object)).toBe(sha256(stagedBytes));
      expect(uploaded.sha256).toBe(staged.sha256);
      expect(fs.existsSync(path.join(dir, 'staging', uploaded.storage_key))).toBe(false);
      await waitFor('the queue empty', async () => ((await health()).body.uploads.staged === 0 ? true : undefined), 15_000);
      const after = await scrape();
      expect(after.get('mvr_recorder_uploads_staged')).toBe(0);
      expect(after.get('mvr_recorder_uploads_oldest_seconds')).toBe(0);
    });
  });
});
