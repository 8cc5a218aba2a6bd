#!/usr/bin/env node
/*
 * Object storage benchmark: `node bench/objectStorage.js` with an S3 server named by
 * MVR_TEST_S3_* (`eval "$(bash scripts/rgw.sh start)"` starts a local Ceph RGW). Runs the
 * real S3BlobStore and, for comparison, the LocalFileBlobStore (a temporary directory):
 *   - large puts: BENCH_S3_LARGE_MB (default 64) MiB streamed in 64 KiB chunks (multipart)
 *   - small puts: BENCH_S3_SMALL (default 200) recordings of 240 KiB (a ~1-minute Opus call),
 *     BENCH_S3_CONCURRENCY (default 8) at a time
 *   - full reads of the large blob, and p50/p95 to the first byte of 200 ranged reads
 * Prints MiB/s, objects/s and latencies; the bucket is removed afterwards.
 */
require('@backstage/cli/config/nodeTransform.cjs');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { Readable } = require('node:stream');
const { randomBytes } = require('node:crypto');
const { S3BlobStore } = require('../plugins/voice-recording-node/src/storage/S3BlobStore.ts');
const { LocalFileBlobStore } = require('../plugins/voice-recording-node/src/storage/BlobStore.ts');
const {
  createTestBucket,
  removeTestBucket,
  s3AdminClient,
  s3StoreOptions,
  s3TestServer,
} = require('../plugins/voice-recording-node/src/testing/s3TestServer.ts');

const MIB = 1024 * 1024;
const LARGE_MB = Number(process.env.BENCH_S3_LARGE_MB ?? 64);
const SMALL = Number(process.env.BENCH_S3_SMALL ?? 200);
const SMALL_BYTES = 240 * 1024;
const CONCURRENCY = Number(process.env.BENCH_S3_CONCURRENCY ?? 8);

function chunks(buf, size) {
  const out = [];
  for (let o = 0; o < buf.length; o += size) out.push(buf.subarray(o, o + size));
  return out;
}
async function drain(stream) {
  let n = 0;
  for await (const c of stream) n += c.length;
  return n;
}
const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];
const ms = t0 => Number(process.hrtime.bigint() - t0) / 1e6;

async function run(name, store) {
  const large = randomBytes(LARGE_MB * MIB);
  const small = Array.from({ length: SMALL }, () => randomBytes(SMALL_BYTES));
  const r = { name };

  let t0 = process.hrtime.bigint();
  const put = await store.put('bench/large.wav', Readable.from(chunks(large, 64 * 1024)), { contentType: 'audio/wav' });
  if (put.size !== large.length) throw new Error('size mismatch');
  r.largePutMiBs = LARGE_MB / (ms(t0) / 1000);

  t0 = process.hrtime.bigint();
  const got = await drain(await store.get('bench/large.wav'));
  if (got !== large.length) throw new Error('read size mismatch');
  r.largeGetMiBs = LARGE_MB / (ms(t0) / 1000);

  const queue = small.map((b, i) => [`bench/small/${String(i).padStart(5, '0')}.opus`, b]);
  const putLat = [];
  t0 = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (let job = queue.shift(); job; job = queue.shift()) {
        const t = process.hrtime.bigint();
        await store.put(job[0], job[1], { contentType: 'audio/ogg' });
        putLat.push(ms(t));
      }
    }),
  );
  const smallMs = ms(t0);
  r.smallPutPerSec = SMALL / (smallMs / 1000);
  r.smallPutMiBs = (SMALL * SMALL_BYTES) / MIB / (smallMs / 1000);
  r.smallPutP50 = pct(putLat, 50);
  r.smallPutP95 = pct(putLat, 95);

  const firstByte = [];
  for (let i = 0; i < 200; i++) {
    const start = Math.floor(Math.random() * (large.length - 65536));
    const t = process.hrtime.bigint();
    const s = await store.get('bench/large.wav', { start, end: start + 65535 });
    await new Promise((resolve, reject) => {
      s.once('data', () => {
        firstByte.push(ms(t));
        resolve();
      });
      s.once('error', reject);
    });
    s.destroy();
  }
  r.rangeFirstByteP50 = pct(firstByte, 50);
  r.rangeFirstByteP95 = pct(firstByte, 95);
  return r;
}

async function main() {
  const server = s3TestServer();
  if (!server) {
    console.error('MVR_TEST_S3_ENDPOINT is not set: eval "$(bash scripts/rgw.sh start)" first');
    process.exit(2);
  }
  const admin = s3AdminClient(server);
  const bucket = await createTestBucket(admin);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mvr-bench-blob-'));
  const results = [];
  try {
    const s3 = new S3BlobStore(s3StoreOptions(server, bucket, { partSizeBytes: 8 * MIB }));
    results.push(await run(`S3 (${server.endpoint})`, s3));
    s3.destroy();
    results.push(await run(`local files (${os.tmpdir()})`, new LocalFileBlobStore(dir, { minFreeBytes: 0 })));
  } finally {
    await removeTestBucket(admin, bucket);
    admin.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const f = x => x.toFixed(1);
  console.log(`\n${os.cpus().length} cores, load ${os.loadavg()[0].toFixed(1)}; large ${LARGE_MB} MiB, ${SMALL} × 240 KiB at ${CONCURRENCY} at once`);
  console.log('| store | large put MiB/s | large get MiB/s | small puts/s (MiB/s) | small put p50/p95 ms | 64 KiB range first byte p50/p95 ms |');
  console.log('| --- | --- | --- | --- | --- | --- |');
  for (const r of results) {
    console.log(
      `| ${r.name} | ${f(r.largePutMiBs)} | ${f(r.largeGetMiBs)} | ${f(r.smallPutPerSec)} (${f(r.smallPutMiBs)}) | ${f(r.smallPutP50)} / ${f(r.smallPutP95)} | ${f(r.rangeFirstByteP50)} / ${f(r.rangeFirstByteP95)} |`,
    );
  }
}

main().catch(e => {
  console.error(e);
  process.exit(1);
});
