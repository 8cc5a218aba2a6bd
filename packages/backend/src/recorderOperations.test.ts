/*
 * The recorder's operations surface, end to end: the recorder-only backend
 * (src/recorder.ts) in its own process, started with the OpenTelemetry instrumentation
 * (`--require ./instrumentation.js`, as scripts/start.sh and start:recorder do), on
 * SQLite and on PostgreSQL. Real SIPREC calls over UDP with real RTP move the metrics a
 * real scrape of the Prometheus endpoint reads; the health endpoint answers without
 * sign-in (that path only) and says 503 with the reason when the journal disk is full
 * (a real tmpfs filled up) and, on PostgreSQL, when the database refuses connections.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import {
  SrcClient,
  buildMetadata,
  buildOfferSdp,
} from '@mvr/plugin-voice-recording-backend-module-siprec/testing';
import {
  BackendProcess,
  backendSection,
  demoNumbersYaml,
  freeTcpPort,
  startBackendProcess,
  waitFor,
} from './__testUtils__/backendProcess';
import { inviteRecordedCall, streamTwoTones } from './__testUtils__/siprecCall';

jest.setTimeout(180_000);

const RECORDED = '+32470000201';
const OTHER = '+32499000201';
const UNKNOWN = '+32479999201';
const PG =
  process.env.BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING ??
  process.env.MVR_TEST_POSTGRES_CONNECTION;

/** One scrape: `name{labels}` (labels sorted, otel_scope_name left out) → value. */
type Scrape = Map<string, number>;

function parsePrometheus(text: string): Scrape {
  const out: Scrape = new Map();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not a Prometheus sample line: ${line}`);
    const labels = (m[2] ?? '')
      .split(/,(?=[a-zA-Z_]\w*=")/)
      .filter(l => l && !l.startsWith('otel_scope_'))
      .sort();
    out.set(
      labels.length ? `${m[1]}{${labels.join(',')}}` : m[1],
      Number(m[3]),
    );
  }
  return out;
}

describe.each([['sqlite'], ...(PG ? [['postgres']] : [])])(
  'recorder operations (%s)',
  db => {
    let dir: string;
    let journalDir: string;
    let tmpfs = false;
    let backend: BackendProcess | undefined;
    let httpPort: number;
    let metricsPort: number;
    let sipPort: number;
    const prefix = `mvr_ops_${process.pid}_`;
    const pgDatabase = `${prefix}voice-recording`;

    const scrape = async (): Promise<Scrape> => {
      const r = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
      expect(r.status).toBe(200);
      return parsePrometheus(await r.text());
    };
    const health = async () => {
      const r = await fetch(
        `http://127.0.0.1:${httpPort}/api/voice-recording/recorder/health`,
      );
      return { status: r.status, body: await r.json() };
    };
    /** SQL on the PostgreSQL server as its superuser (not through the recorder) */
    async function pg(sql: string, params: unknown[] = []): Promise<void> {
      const client = new Client({ connectionString: PG });
      await client.connect();
      try {
        await client.query(sql, params);
      } finally {
        await client.end();
      }
    }

    beforeAll(async () => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mvr-recorder-ops-'));
      journalDir = path.join(dir, 'journal');
      fs.mkdirSync(journalDir);
      // the journal directory on a small file system of its own, to fill it up (root only)
      if (process.getuid?.() === 0) {
        try {
          execFileSync(
            'mount',
            ['-t', 'tmpfs', '-o', 'size=16m', 'tmpfs', journalDir],
            { stdio: 'pipe' },
          );
          tmpfs = true;
        } catch {
          // not allowed here: the disk-full case says so and checks nothing
        }
      }
      httpPort = await freeTcpPort();
      metricsPort = await freeTcpPort();
      if (db === 'postgres')
        await pg(`DROP DATABASE IF EXISTS "${pgDatabase}"`);
      fs.writeFileSync(
        path.join(dir, 'numbers.yaml'),
        demoNumbersYaml(RECORDED),
      );
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
          `  storage: { local: { directory: '${dir}/recordings' } }`,
          '  recorder:',
          '    instanceId: recorder-ops-test',
          '    sip: { port: 0, transports: [udp] }',
          '    rtp: { portMin: null, portMax: null, inactivityTimeoutSeconds: 10 }',
          `    storage: { journalDir: '${journalDir}', archiveDir: '${dir}/recordings', minFreeMegabytes: 1 }`,
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
        out =>
          /SIPREC recorder:|failed to start/.test(out) &&
          !/SIPREC recorder listening/.test(out),
      );
      // the endpoint of the instrumentation loaded with --require
      const announced = `[metrics] Prometheus endpoint on http://127.0.0.1:${metricsPort}/metrics`;
      if (!backend.output.includes(announced)) {
        throw new Error(
          `the recorder did not say "${announced}":\n${backend.output}`,
        );
      }
    });

    afterAll(async () => {
      await backend?.stop(30_000);
      if (tmpfs) execFileSync('umount', ['-l', journalDir]);
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
      if (db === 'postgres') {
        await pg(`ALTER DATABASE "${pgDatabase}" ALLOW_CONNECTIONS true`).catch(
          () => undefined,
        );
        await pg(`DROP DATABASE IF EXISTS "${pgDatabase}" WITH (FORCE)`);
      }
    });

    it('answers the health check without sign-in, on that path only', async () => {
      expect(
        await waitFor(
          'a healthy recorder',
          async () => ((await health()).status === 200 ? true : undefined),
          15_000,
        ),
      ).toBe(true);
      const r = await fetch(
        `http://127.0.0.1:${httpPort}/api/voice-recording/recorder/health`,
      );
      expect(r.status).toBe(200);
      expect(r.headers.get('cache-control')).toBe('no-store');
      // and how the recorder receives RTP (native where its addon is built, docs/recorder.md)
      expect(await r.json()).toEqual({
        status: 'ok',
        rtpReceive: expect.stringMatching(/^(native|dgram)$/),
        journalSync: 'filesystem',
      });
      // the rest of the plugin's API still needs a token
      for (const p of ['numbers', 'recorder', 'conversations']) {
        const other = await fetch(
          `http://127.0.0.1:${httpPort}/api/voice-recording/${p}`,
        );
        expect({ p, status: other.status }).toEqual({ p, status: 401 });
      }
    });

    it('counts real calls: INVITE outcomes, active calls, RTP received and lost, set-up time, verdicts', async () => {
      const before = await scrape();
      const at = (s: Scrape, k: string) => s.get(k) ?? 0;
      expect(before.get('mvr_recorder_active_calls')).toBe(0);
      expect(before.get('mvr_recorder_healthy')).toBe(1);
      expect(before.get('mvr_recorder_database_up')).toBe(1);
      expect(before.get('mvr_recorder_journal_queue')).toBe(0);
      expect(
        before.get('mvr_recorder_disk_free_bytes{directory="journal"}'),
      ).toBeGreaterThan(1024 * 1024);
      expect(
        before.get('mvr_recorder_disk_free_bytes{directory="archive"}'),
      ).toBeGreaterThan(1024 * 1024);
      expect(before.get('mvr_recorder_disk_min_free_bytes')).toBe(1024 * 1024);

      const udp = new SrcClient({
        host: '127.0.0.1',
        port: sipPort,
        transport: 'udp',
      });
      await udp.start();
      let sent = 0;
      const dropped = new Set([20, 21, 22, 23, 24]);
      try {
        const call = await inviteRecordedCall(udp, RECORDED, OTHER);
        expect(call.response!.status).toBe(200);
        const media = streamTwoTones(call, { dropRecorded: dropped });
        await new Promise(r => setTimeout(r, 1000));
        const during = await scrape();
        expect(during.get('mvr_recorder_active_calls')).toBe(1);
        expect(
          at(during, 'mvr_recorder_rtp_packets_received_total'),
        ).toBeGreaterThan(
          at(before, 'mvr_recorder_rtp_packets_received_total'),
        );
        const results = await media;
        sent = results.reduce((a, r) => a + r.packets, 0);
        expect((await udp.bye(call)).status).toBe(200);
        // nobody records this one: 404
        const unknown = await udp.invite({
          sdp: buildOfferSdp([{ label: '1', port: 40010 }]),
          metadata: buildMetadata([
            { aor: `sip:${UNKNOWN}@pbx.example.com`, sends: '1' },
            { aor: `sip:${OTHER}@carrier.example.net`, sends: '1' },
          ]),
        });
        expect(unknown.response!.status).toBe(404);
      } finally {
        await udp.close();
      }

      const after = await waitFor(
        'the call to be archived and checked',
        async () => {
          const s = await scrape();
          const verdicts = ['ok', 'warning', 'failed'].reduce(
            (a, v) =>
              a + at(s, `mvr_recorder_quality_verdicts_total{verdict="${v}"}`),
            0,
          );
          const verdictsBefore = ['ok', 'warning', 'failed'].reduce(
            (a, v) =>
              a +
              at(before, `mvr_recorder_quality_verdicts_total{verdict="${v}"}`),
            0,
          );
          return s.get('mvr_recorder_active_calls') === 0 &&
            verdicts === verdictsBefore + 1
            ? s
            : undefined;
        },
        30_000,
      );
      expect(at(after, 'mvr_recorder_invites_total{code="200"}')).toBe(
        at(before, 'mvr_recorder_invites_total{code="200"}') + 1,
      );
      expect(at(after, 'mvr_recorder_invites_total{code="404"}')).toBe(
        at(before, 'mvr_recorder_invites_total{code="404"}') + 1,
      );
      // every packet that was sent, and the five left out of stream 1 as lost
      expect(
        at(after, 'mvr_recorder_rtp_packets_received_total') -
          at(before, 'mvr_recorder_rtp_packets_received_total'),
      ).toBe(sent - dropped.size);
      expect(
        at(after, 'mvr_recorder_rtp_packets_lost_total') -
          at(before, 'mvr_recorder_rtp_packets_lost_total'),
      ).toBe(dropped.size);
      // one answered call in the set-up histogram, within its buckets
      expect(
        at(after, 'mvr_recorder_call_setup_seconds_count') -
          at(before, 'mvr_recorder_call_setup_seconds_count'),
      ).toBe(1);
      expect(
        at(after, 'mvr_recorder_call_setup_seconds_bucket{le="+Inf"}'),
      ).toBe(at(after, 'mvr_recorder_call_setup_seconds_count'));
      expect(at(after, 'mvr_recorder_call_setup_seconds_sum')).toBeGreaterThan(
        0,
      );
      // background compression (the default): the archive queue is observed
      expect(after.has('mvr_recorder_archive_queue')).toBe(true);
      expect(after.get('mvr_recorder_database_probe_seconds')).toBeLessThan(2);
    });

    it('says 503 storage-full while the journal disk is full, on HTTP and to SIP OPTIONS, and 200 once space is back', async () => {
      if (!tmpfs) {
        // eslint-disable-next-line no-console
        console.warn(
          'journal disk full not checked: mounting a tmpfs needs root',
        );
        return;
      }
      const filler = path.join(journalDir, 'filler');
      const fd = fs.openSync(filler, 'w');
      const block = Buffer.alloc(64 * 1024, 1);
      try {
        for (;;) fs.writeSync(fd, block);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
      } finally {
        fs.closeSync(fd);
      }
      const udp = new SrcClient({
        host: '127.0.0.1',
        port: sipPort,
        transport: 'udp',
      });
      await udp.start();
      try {
        const full = await waitFor(
          'a 503',
          async () => {
            const h = await health();
            return h.status === 503 ? h : undefined;
          },
          10_000,
        );
        expect(full.body).toEqual({
          status: 'unavailable',
          reasons: ['storage-full'],
          rtpReceive: expect.stringMatching(/^(native|dgram)$/),
        journalSync: 'filesystem',
        });
        expect((await udp.options()).status).toBe(503);
        const s = await scrape();
        expect(s.get('mvr_recorder_healthy')).toBe(0);
        expect(
          s.get('mvr_recorder_disk_free_bytes{directory="journal"}'),
        ).toBeLessThan(1024 * 1024);
        fs.rmSync(filler);
        await waitFor(
          'a 200',
          async () => ((await health()).status === 200 ? true : undefined),
          10_000,
        );
        expect((await udp.options()).status).toBe(200);
        expect((await scrape()).get('mvr_recorder_healthy')).toBe(1);
      } finally {
        fs.rmSync(filler, { force: true });
        await udp.close();
      }
    });

    // PostgreSQL only: a SQLite file cannot be taken away from its only process
    if (db !== 'postgres') return;
    it('says 503 database-down while PostgreSQL refuses connections, and 200 once it is back', async () => {
      await pg(`ALTER DATABASE "${pgDatabase}" ALLOW_CONNECTIONS false`);
      await pg(
        'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1',
        [pgDatabase],
      );
      try {
        // the scrape's probe finds out (no call needed)
        const s = await scrape();
        expect(s.get('mvr_recorder_database_up')).toBe(0);
        const down = await waitFor(
          'a 503',
          async () => {
            const h = await health();
            return h.status === 503 ? h : undefined;
          },
          10_000,
        );
        expect(down.body).toEqual({
          status: 'unavailable',
          reasons: ['database-down'],
          rtpReceive: expect.stringMatching(/^(native|dgram)$/),
        journalSync: 'filesystem',
        });
      } finally {
        await pg(`ALTER DATABASE "${pgDatabase}" ALLOW_CONNECTIONS true`);
      }
      await waitFor(
        'a 200',
        async () => ((await health()).status === 200 ? true : undefined),
        15_000,
      );
      expect((await scrape()).get('mvr_recorder_database_up')).toBe(1);
    });
  },
);
