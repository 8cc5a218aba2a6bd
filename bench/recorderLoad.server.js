#!/usr/bin/env node
/*
 * The recorder side of the load benchmark (bench/recorderLoad.js forks it): the real
 * voice-recording backend plugin + the SIPREC module, on a SQLite FILE database, with
 * the recorded numbers created by the plugin's own demo-data loader (NumbersStore).
 * It runs in its own process so that its CPU can be measured alone.
 *
 * IPC: sends { type: 'ready', sipPort, dbFile, archiveDir, journalDir, numbers }, then
 * answers { type: 'stop' } with { type: 'stopped' } after a clean backend stop.
 * Environment: MVR_BENCH_DIR (work directory), MVR_BENCH_NUMBERS (how many numbers),
 * MVR_BENCH_FORMAT (opus | wav-g711).
 */
require('@backstage/cli/config/nodeTransform.cjs');
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
};
const sqliteJournal = (process.env.MVR_BENCH_SQLITE_JOURNAL ?? 'wal').toUpperCase();

/** The n-th recorded number of the benchmark (E.164, Belgian mobile range). */
function benchNumber(i) {
  return `+3247${String(1000000 + i).padStart(7, '0')}`;
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
  const knex = knexFactory({
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
            recorder: {
              bindAddress: '127.0.0.1',
              advertisedAddress: '127.0.0.1',
              instanceId: 'bench-recorder',
              sip: { port: 0, transports: ['udp'] },
              rtp: { inactivityTimeoutSeconds: 30 },
              storage: { journalDir, archiveDir, minFreeMegabytes: 16 },
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
  process.send({
    type: 'ready',
    sipPort: server.addresses.udp,
    dbFile,
    archiveDir,
    journalDir,
    numbers,
    loadedNumbers: Number(loaded?.n ?? 0),
  });
  process.on('message', async msg => {
    if (msg?.type !== 'stop') return;
    try {
      await backend.stop();
      await knex.destroy();
    } finally {
      process.send({ type: 'stopped' }, () => process.exit(0));
    }
  });
}

main().catch(e => {
  console.error(`recorder process: ${e?.stack ?? e}`);
  process.exit(1);
});
