#!/usr/bin/env node
/*
 * A dedicated archiver for the load benchmark (bench/recorderLoad.js --archiver-cpu N forks
 * it): the voice-recording backend plugin alone, no capture module (no SIP, no RTP), as
 * packages/backend/src/archiver.ts runs it, taking the compress jobs the recorder's calls
 * leave in the run's PostgreSQL database and reading and writing the run's S3 bucket (or
 * the recorder's archive directory with local files). Its CPU is measured by the parent
 * from /proc.
 *
 * Environment: MVR_BENCH_ARCHIVER_PG (the run's database), MVR_BENCH_ARCHIVER_S3_BUCKET
 * (the run's bucket on the S3 server of MVR_TEST_S3_*) or MVR_BENCH_ARCHIVER_DIR (local
 * files), MVR_BENCH_ARCHIVE_CONCURRENCY / MVR_BENCH_ARCHIVE_THREADS
 * (voiceRecording.archive.concurrency / encoderThreads). IPC: { type: 'ready' }, then
 * { type: 'stop' } → { type: 'stopped' }.
 */
require('@backstage/cli/config/nodeTransform.cjs');
require('../packages/backend/src/threadPool');
const knexFactory = require('knex');
const { mockServices, startTestBackend } = require('@backstage/backend-test-utils');
const { createServiceFactory } = require('@backstage/backend-plugin-api');
const { catalogServiceMock } = require('@backstage/plugin-catalog-node/testUtils');
const { notificationService } = require('@backstage/plugin-notifications-node');

async function main() {
  const pg = process.env.MVR_BENCH_ARCHIVER_PG;
  if (!pg) throw new Error('MVR_BENCH_ARCHIVER_PG is not set (the archiver shares the recorder\'s PostgreSQL database)');
  const bucket = process.env.MVR_BENCH_ARCHIVER_S3_BUCKET;
  const dir = process.env.MVR_BENCH_ARCHIVER_DIR;
  let storage;
  if (bucket) {
    const { s3TestServer } = require('../plugins/voice-recording-node/src/testing/s3TestServer.ts');
    const s3 = s3TestServer();
    storage = { s3: { bucket, endpoint: s3.endpoint, region: s3.region, forcePathStyle: true, credentials: s3.credentials } };
  } else if (dir) {
    storage = { local: { directory: dir } };
  } else {
    throw new Error('MVR_BENCH_ARCHIVER_S3_BUCKET or MVR_BENCH_ARCHIVER_DIR must be set');
  }
  const knex = knexFactory({ client: 'pg', connection: pg, pool: { min: 1, max: 10 } });
  const { default: voiceRecordingPlugin } = require('../plugins/voice-recording-backend/src');
  const backend = await startTestBackend({
    features: [
      voiceRecordingPlugin,
      mockServices.database.factory({ knex }),
      mockServices.rootConfig.factory({
        data: {
          voiceRecording: {
            demoData: null,
            storage,
            archive: {
              enabled: true,
              ...(process.env.MVR_BENCH_ARCHIVE_CONCURRENCY ? { concurrency: Number(process.env.MVR_BENCH_ARCHIVE_CONCURRENCY) } : {}),
              ...(process.env.MVR_BENCH_ARCHIVE_THREADS ? { encoderThreads: Number(process.env.MVR_BENCH_ARCHIVE_THREADS) } : {}),
            },
          },
        },
      }),
      catalogServiceMock.factory({ entities: [] }),
      mockServices.events.factory(),
      createServiceFactory({ service: notificationService, deps: {}, factory: () => ({ send: async () => {} }) }),
    ],
  });
  process.send({ type: 'ready' });
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
  console.error(`archiver process: ${e?.stack ?? e}`);
  process.exit(1);
});
