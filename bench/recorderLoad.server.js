#!/usr/bin/env node
/*
 * The recorder side of the load benchmark (bench/recorderLoad.js forks it): the real
 * voice-recording backend plugin + the SIPREC module, on a SQLite FILE database, with
 * the recorded numbers created by the plugin's own demo-data loader (NumbersStore).
 * It runs in its own process so that its CPU can be measured alone.
 *
 * IPC: sends { type: 'ready', sipPort, dbFile, archiveDir, journalDir, numbers }, then
 * answers { type: 'stop' } with { type: 'stopped' } after a clean backend stop, and
 * { type: 'loop-delay' } with its event-loop delay p50 / p99 / max (ms) since the last one,
 * and { type: 'setup-latency' } with the recorder's set-up clock (SiprecServer.setupLatency).
 * Environment: MVR_BENCH_DIR (work directory), MVR_BENCH_NUMBERS (how many numbers),
 * MVR_BENCH_FORMAT (opus | wav-g711), MVR_BENCH_OPUS_ENCODE (background | call-end),
 * MVR_BENCH_OPUS_FRAME_MS (20 | 40 | 60), MVR_BENCH_OPUS_SKIP_SILENCE (on | off),
 * MVR_BENCH_METRICS_PORT (serve the backend's OpenTelemetry metrics on this port, as
 * packages/backend/instrumentation.js does for scripts/start.sh),
 * MVR_BENCH_PG (a PostgreSQL server's connection string: the run gets a database of its
 * own there instead of a SQLite file), MVR_BENCH_BACKLOG (interim WAVs of 60 s waiting for background compression when the
 * load starts, so that the encoder threads compete with the calls for the whole run),
 * MVR_BENCH_S3=on (recordings go to S3-compatible object storage, `voiceRecording.storage.s3`,
 * in a bucket of the run's own on the server named by MVR_TEST_S3_*, removed at stop; the
 * recorder stages each archive in its archive directory and uploads it: issue 20).
 */
require('@backstage/cli/config/nodeTransform.cjs');
// the thread pool size of the backend's entry points (packages/backend/src/threadPool.ts)
require('../packages/backend/src/threadPool');
// --metrics: the backend's OpenTelemetry instrumentation (the Prometheus endpoint of
// scripts/start.sh), registered before any plugin asks for a meter
if (process.env.MVR_BENCH_METRICS_PORT) {
  process.env.MVR_METRICS_PORT = process.env.MVR_BENCH_METRICS_PORT;
  require('../packages/backend/instrumentation.js');
}
const fs = require('node:fs');
const path = require('node:path');
const knexFactory = require('knex');
const { mockServices, startTestBackend } = require('@backstage/backend-test-utils');
const { createServiceFactory } = require('@backstage/backend-plugin-api');
const { catalogServiceMock } = require('@backstage/plugin-catalog-node/testUtils');
const { notificationService } = require('@backstage/plugin-notifications-node');

const dir = process.env.MVR_BENCH_DIR;
const count = Number(process.env.MVR_BENCH_NUMBERS ?? 400);
const format = process.env.MVR_BENCH_FORMAT ?? 'opus';
/** SQLite journal mode of the database file: 'wal' (default) or 'delete' (SQLite's own default). */
/** Opus encoder settings (unset = the recorder's defaults). */
const opus = {
  ...(process.env.MVR_BENCH_OPUS_THREADS ? { encoderThreads: Number(process.env.MVR_BENCH_OPUS_THREADS) } : {}),
  ...(process.env.MVR_BENCH_OPUS_COMPLEXITY ? { complexity: Number(process.env.MVR_BENCH_OPUS_COMPLEXITY) } : {}),
  ...(process.env.MVR_BENCH_OPUS_ENCODE ? { encode: process.env.MVR_BENCH_OPUS_ENCODE } : {}),
  ...(process.env.MVR_BENCH_OPUS_FRAME_MS ? { frameMs: Number(process.env.MVR_BENCH_OPUS_FRAME_MS) } : {}),
  ...(process.env.MVR_BENCH_OPUS_SKIP_SILENCE ? { skipSilence: process.env.MVR_BENCH_OPUS_SKIP_SILENCE === 'on' } : {}),
  ...(process.env.MVR_BENCH_OPUS_BITRATE ? { bitrate: Number(process.env.MVR_BENCH_OPUS_BITRATE) } : {}),
  ...(process.env.MVR_BENCH_OPUS_LAYER ? { layer: process.env.MVR_BENCH_OPUS_LAYER } : {}),
};
/** Archives waiting for background compression before the load starts (60 s calls each). */
const backlog = Number(process.env.MVR_BENCH_BACKLOG ?? 0);
const sqliteJournal = (process.env.MVR_BENCH_SQLITE_JOURNAL ?? 'wal').toUpperCase();
/** PostgreSQL server (connection string without a database) instead of a SQLite file. */
const pgUrl = process.env.MVR_BENCH_PG;
/** Object storage: a bucket of this run on the S3 server of MVR_TEST_S3_* (null = local files). */
const useS3 = process.env.MVR_BENCH_S3 === 'on';
/** voiceRecording.archive.concurrency / encoderThreads of the recorder's archive work (unset = defaults) */
const archiveWork = {
  ...(process.env.MVR_BENCH_ARCHIVE_CONCURRENCY ? { concurrency: Number(process.env.MVR_BENCH_ARCHIVE_CONCURRENCY) } : {}),
  ...(process.env.MVR_BENCH_ARCHIVE_THREADS ? { encoderThreads: Number(process.env.MVR_BENCH_ARCHIVE_THREADS) } : {}),
  // --archiver-cpu: a dedicated archiver process takes the compress jobs
  ...(process.env.MVR_BENCH_ARCHIVE_ENABLED === 'off' ? { enabled: false } : {}),
};

/** The n-th recorded number of the benchmark (E.164, Belgian mobile range). */
function benchNumber(i) {
  return `+3247${String(1000000 + i).padStart(7, '0')}`;
}

/**
 * `count` finished conversations of 60 s whose archive is an interim G.711 WAV awaiting
 * compression, as the recorder registers them in background mode, written through the
 * recorder's own WAV writer, each with its compress job (as the recorder enqueues it).
 */
async function seedBacklog(knex, server, archiveDir, count) {
  const { writeWavG711Stereo } = require('../plugins/voice-recording-node/src');
  const { encodeAlaw } = require('../plugins/voice-recording-backend-module-siprec/src/codecs/g711');
  const seconds = 60;
  const pcm = (f0, seed) => {
    const out = new Int16Array(8000 * seconds);
    let x = seed;
    for (let i = 0; i < out.length; i++) {
      x = (x * 1103515245 + 12345) >>> 0;
      const t = i / 8000;
      const env = Math.max(0, Math.sin(2 * Math.PI * 0.4 * t + seed)) ** 2;
      out[i] = Math.round(env * 7000 * (Math.sin(2 * Math.PI * f0 * t) + 0.5 * Math.sin(4 * Math.PI * f0 * t)) + ((x >>> 16) % 600) - 300);
    }
    return encodeAlaw(out);
  };
  const wav = writeWavG711Stereo('alaw', pcm(140, 1), pcm(210, 2), 8000);
  const sha = require('node:crypto').createHash('sha256').update(wav).digest('hex');
  const number = await knex('vr_numbers').first();
  const rows = [];
  const started = Date.now() - 86_400_000; // older than the load's calls: compressed first
  for (let i = 0; i < count; i++) {
    const key = `backlog/${i}.wav`;
    fs.mkdirSync(path.join(archiveDir, 'backlog'), { recursive: true });
    fs.writeFileSync(path.join(archiveDir, key), wav);
    rows.push({
      id: require('node:crypto').randomUUID(),
      recorded_number_id: number.id,
      number: number.number,
      user_ref: number.user_ref,
      started_at: new Date(started + i * 1000),
      ended_at: new Date(started + i * 1000 + seconds * 1000),
      duration_ms: seconds * 1000,
      sip_call_id: `backlog-${i}`,
      participants: '[]',
      metadata: '{}',
      dtmf: '[]',
      state: 'finished',
      ended_by: 'bye',
      storage_key: key,
      sha256: sha,
      bytes: wav.length,
      format: 'audio/wav',
      compress_to: 'opus',
      capture_source: 'siprec',
      capture_instance: 'bench-recorder',
      created_at: new Date(),
      updated_at: new Date(),
    });
  }
  for (let i = 0; i < rows.length; i += 100) await knex('vr_conversations').insert(rows.slice(i, i + 100));
  const now = new Date();
  const jobs = rows.map(r => ({
    kind: 'compress',
    subject: r.id,
    conversation_id: r.id,
    state: 'queued',
    attempts: 0,
    max_attempts: 8,
    run_after: now,
    created_at: now,
    updated_at: now,
  }));
  for (let i = 0; i < jobs.length; i += 100) await knex('vr_archive_jobs').insert(jobs.slice(i, i + 100));
  // the files on disk before the load: their write-back must not stall the calls' fsyncs
  require('node:child_process').execSync('sync');
}

async function main() {
  if (!dir) throw new Error('MVR_BENCH_DIR is not set');
  const { default: voiceRecordingPlugin } = require('../plugins/voice-recording-backend/src');
  const { createSiprecModule } = require('../plugins/voice-recording-backend-module-siprec/src/module');
  const numbers = Array.from({ length: count }, (_, i) => benchNumber(i));
  const demoFile = path.join(dir, 'numbers.yaml');
  fs.writeFileSync(
    demoFile,
    `numbers:\n${numbers
      .map(
        n =>
          `  - number: '${n}'\n    userRef: user:default/bob\n    slots: [{ weekdays: Mon-Sun, start: '00:00', end: '24:00' }]\n    settings: { statusMode: manual, activeStatus: professional, simultaneousCalls: true }\n`,
      )
      .join('')}`,
  );
  const dbFile = path.join(dir, 'recorder.sqlite');
  let pgDatabase;
  if (pgUrl) {
    // a fresh database of this run on the PostgreSQL server (dropped at stop)
    pgDatabase = `mvr_bench_${process.pid}`;
    const admin = knexFactory({ client: 'pg', connection: pgUrl });
    await admin.raw(`DROP DATABASE IF EXISTS ${pgDatabase}`);
    await admin.raw(`CREATE DATABASE ${pgDatabase}`);
    await admin.destroy();
  }
  const knex = pgUrl
    ? knexFactory({ client: 'pg', connection: `${pgUrl.replace(/\/+$/, '')}/${pgDatabase}`, pool: { min: 1, max: 10 } })
    : knexFactory({
    client: 'better-sqlite3',
    connection: { filename: dbFile },
    useNullAsDefault: true,
    pool: {
      // WAL: one fsync of the log per commit (synchronous FULL keeps every commit
      // durable) instead of the rollback journal's several; better-sqlite3 runs
      // queries synchronously on the event loop, so this is event-loop time.
      afterCreate: (conn, done) => {
        conn.pragma(`journal_mode = ${sqliteJournal}`);
        conn.pragma('synchronous = FULL');
        done(null, conn);
      },
    },
  });
  let s3;
  /** S3 requests of the recorder by command (PutObject, UploadPart, GetObject, ...), asked for with { type: 's3-requests' } */
  const s3Requests = {};
  if (useS3) {
    const { S3Client } = require('@aws-sdk/client-s3');
    const send = S3Client.prototype.send;
    S3Client.prototype.send = function countedSend(command, ...rest) {
      const name = command?.constructor?.name ?? 'unknown';
      s3Requests[name] = (s3Requests[name] ?? 0) + 1;
      return send.call(this, command, ...rest);
    };
    const { createTestBucket, s3AdminClient, s3TestServer } = require('../plugins/voice-recording-node/src/testing/s3TestServer.ts');
    const s3Server = s3TestServer();
    if (!s3Server) throw new Error('--storage s3: MVR_TEST_S3_ENDPOINT is not set (eval "$(bash scripts/rgw.sh status)")');
    const admin = s3AdminClient(s3Server);
    s3 = { server: s3Server, admin, bucket: await createTestBucket(admin) };
  }
  const archiveDir = path.join(dir, 'recordings');
  const journalDir = path.join(dir, 'journal');
  let server;
  const backend = await startTestBackend({
    features: [
      voiceRecordingPlugin,
      createSiprecModule({ onStarted: s => (server = s) }),
      mockServices.database.factory({ knex }),
      mockServices.rootConfig.factory({
        data: {
          voiceRecording: {
            demoData: { file: demoFile },
            ...(Object.keys(archiveWork).length ? { archive: archiveWork } : {}),
            ...(s3
              ? {
                  storage: {
                    s3: {
                      bucket: s3.bucket,
                      endpoint: s3.server.endpoint,
                      region: s3.server.region,
                      forcePathStyle: true,
                      credentials: s3.server.credentials,
                    },
                  },
                }
              : // the plugin's storage is the recorder's archive directory, as in a
                // deployment: the archive work (compress jobs) reads and writes there
                { storage: { local: { directory: archiveDir } } }),
            recorder: {
              bindAddress: '127.0.0.1',
              advertisedAddress: '127.0.0.1',
              instanceId: 'bench-recorder',
              sip: { port: 0, transports: ['udp'] },
              rtp: { inactivityTimeoutSeconds: 30 },
              storage: { journalDir, archiveDir, minFreeMegabytes: 16, ...(process.env.MVR_BENCH_JOURNAL_SYNC ? { journalSync: process.env.MVR_BENCH_JOURNAL_SYNC } : {}) },
              archiveFormat: format,
              opus,
            },
          },
        },
      }),
      catalogServiceMock.factory({ entities: [] }),
      mockServices.events.factory(),
      createServiceFactory({
        service: notificationService,
        deps: {},
        factory: () => ({ send: async () => {} }),
      }),
    ],
  });
  if (!server) throw new Error('the SIPREC recorder did not start');
  const loaded = await knex('vr_numbers').count({ n: '*' }).first();
  if (backlog > 0) await seedBacklog(knex, server, archiveDir, backlog);
  process.send({
    type: 'ready',
    sipPort: server.addresses.udp,
    dbFile,
    archiveDir,
    journalDir,
    numbers,
    loadedNumbers: Number(loaded?.n ?? 0),
    // how this recorder receives RTP (MVR_RTP_IMPL, --rtp-impl): native batches or node:dgram
    rtpReceive: require('../plugins/voice-recording-backend-module-siprec/src/media/rtpSocket').rtpReceivePath().description,
    // how the call journals reach the disk (--journal-sync): one syncfs for all, or O_DSYNC per journal
    journalSync: server.journalSync === 'filesystem' ? 'filesystem (one syncfs per tick for all journals)' : 'file (O_DSYNC per journal)',
    ...(pgDatabase ? { pgConnection: `${pgUrl.replace(/\/+$/, '')}/${pgDatabase}` } : {}),
    ...(s3 ? { s3Bucket: s3.bucket } : {}),
  });
  // event-loop delay of the recorder, read (and reset) by the generator: { type: 'loop-delay' }
  const loopDelay = require('node:perf_hooks').monitorEventLoopDelay({ resolution: 5 });
  loopDelay.enable();
  process.on('message', msg => {
    if (msg?.type !== 'loop-delay') return;
    const ms = v => Math.round(v / 1e4) / 100;
    process.send({ type: 'loop-delay', p50: ms(loopDelay.percentile(50)), p99: ms(loopDelay.percentile(99)), max: ms(loopDelay.max) });
    loopDelay.reset();
  });
  // the recorder's own set-up clock, phase by phase (SiprecServer.setupLatency)
  process.on('message', msg => {
    if (msg?.type === 'setup-latency') {
      process.send({ type: 'setup-latency', report: { ...server.setupLatency.report(), spares: { ...server.journalSpares.stats, target: server.journalSpares.target } } });
    }
  });
  process.on('message', msg => {
    if (msg?.type === 's3-requests') process.send({ type: 's3-requests', counts: { ...s3Requests } });
  });
  process.on('message', async msg => {
    if (msg?.type !== 'stop') return;
    try {
      await backend.stop();
      await knex.destroy();
      if (s3 && !process.env.MVR_BENCH_KEEP) {
        const { removeTestBucket } = require('../plugins/voice-recording-node/src/testing/s3TestServer.ts');
        await removeTestBucket(s3.admin, s3.bucket);
        s3.admin.destroy();
      }
      if (pgDatabase) {
        const admin = knexFactory({ client: 'pg', connection: pgUrl });
        await admin.raw(`DROP DATABASE IF EXISTS ${pgDatabase} WITH (FORCE)`);
        await admin.destroy();
      }
    } finally {
      process.send({ type: 'stopped' }, () => process.exit(0));
    }
  });
}

main().catch(e => {
  console.error(`recorder process: ${e?.stack ?? e}`);
  process.exit(1);
});
