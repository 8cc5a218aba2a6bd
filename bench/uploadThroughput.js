#!/usr/bin/env node
/*
 * Upload throughput of finished recordings from a recorder's local staging directory to
 * S3-compatible object storage: `yarn bench upload` (= node bench/uploadThroughput.js),
 * with an S3 server named by MVR_TEST_S3_* (`eval "$(bash scripts/rgw.sh status)"`).
 *
 *   --calls N            recordings staged, then uploaded (default 200)
 *   --minutes A-B        call lengths, spread evenly from A to B minutes (default 2-10)
 *   --concurrency N      uploads in flight (default 4)
 *   --encryption on|off  the staging store encrypted at rest as in app-config.yaml
 *                        (AES-256-GCM envelope, EncryptedBlobStore; default on): the
 *                        ciphertext is uploaded as it is, the keys stay the same
 *   --verify etag|reread how an upload is verified before the local file is deleted:
 *                        etag = the S3 store's own check (Content-MD5 on every request, the
 *                        ETag compared with the MD5 sent; size and SHA-256 of the bytes
 *                        read locally); reread = also read the object back and hash it
 *   --cpu N              pin this process (the uploader) to CPU N ("per core" figures)
 *   --format opus|wav    what is staged: the final Ogg/Opus archive (default), or the
 *                        interim lossless G.711 WAV a recorder registers first with
 *                        `opus.encode: background` (what it uploads when the bucket is the
 *                        recording storage: compression runs after the upload)
 *
 * Recordings are real Ogg/Opus files, encoded once with the recorder's archive settings
 * (two mono 8 kHz streams, 15 kbit/s, 60 ms frames, silence skipped, complexity 0) from
 * the two-party conversation audio of the load bench (espeak-ng speech, cached in
 * node_modules/.cache/mvr-bench), one file per length, copied under a new key per call.
 *
 * The upload of one recording is what a recorder's upload job does: open the staged file
 * (raw bytes: with encryption at rest that is the ciphertext), stream it into the
 * S3BlobStore (single PUT below the part size, multipart above), compare the size and
 * SHA-256 it reports with the staged file's, optionally read the object back, then delete
 * the staged file (fsync of its directory). When the recorder's StagingBlobStore /
 * upload handler exist (issue 20) the bench uses them (see `uploadPath`).
 *
 * Prints files/s, MiB/s, per-upload latency, and CPU ms per call-minute uploaded of this
 * process (the uploader) and of the S3 server's processes on this machine (radosgw,
 * ceph-osd; a remote store costs the recorder the same and the machine nothing).
 */
require('@backstage/cli/config/nodeTransform.cjs');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execSync } = require('node:child_process');
const {
  LocalFileBlobStore,
  S3BlobStore,
  EncryptedBlobStore,
  StaticKeyEncryptionKeys,
  OggOpusWriter,
} = require('../plugins/voice-recording-node/src');
const {
  createTestBucket,
  removeTestBucket,
  s3AdminClient,
  s3StoreOptions,
  s3TestServer,
} = require('../plugins/voice-recording-node/src/testing/s3TestServer.ts');

const MIB = 1024 * 1024;

function parseArgs(argv) {
  const o = { calls: 200, minutes: [2, 10], concurrency: 4, encryption: 'on', verify: 'etag', cpu: undefined, format: 'opus' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--calls') o.calls = Number(val());
    else if (a === '--minutes') {
      const v = val();
      const m = /^(\d+(?:\.\d+)?)(?:-(\d+(?:\.\d+)?))?$/.exec(v);
      if (!m) throw new Error(`--minutes ${v}: a length in minutes (3) or a range (2-10)`);
      o.minutes = [Number(m[1]), Number(m[2] ?? m[1])];
    } else if (a === '--concurrency') o.concurrency = Number(val());
    else if (a === '--encryption') o.encryption = val();
    else if (a === '--verify') o.verify = val();
    else if (a === '--cpu') o.cpu = Number(val());
    else if (a === '--format') o.format = val();
    else throw new Error(`unknown option ${a} (--calls N --minutes A-B --concurrency N --encryption on|off --verify etag|reread --cpu N --format opus|wav)`);
  }
  if (!(Number.isInteger(o.calls) && o.calls >= 1)) throw new Error(`--calls ${o.calls}: a whole number, 1 or more`);
  if (!(o.minutes[0] > 0 && o.minutes[1] >= o.minutes[0] && o.minutes[1] <= 120)) throw new Error(`--minutes ${o.minutes.join('-')}: from more than 0 to at most 120, A ≤ B`);
  if (!(Number.isInteger(o.concurrency) && o.concurrency >= 1 && o.concurrency <= 256)) throw new Error(`--concurrency ${o.concurrency}: 1 to 256`);
  if (!['on', 'off'].includes(o.encryption)) throw new Error(`--encryption ${o.encryption}: on or off`);
  if (!['opus', 'wav'].includes(o.format)) throw new Error(`--format ${o.format}: opus or wav`);
  if (!['etag', 'reread'].includes(o.verify)) throw new Error(`--verify ${o.verify}: etag or reread`);
  if (o.cpu !== undefined && !(Number.isInteger(o.cpu) && o.cpu >= 0 && o.cpu < os.cpus().length)) throw new Error(`--cpu ${o.cpu}: a CPU index below ${os.cpus().length}`);
  return o;
}

const CLK_TCK = (() => {
  try {
    return Number(execSync('getconf CLK_TCK').toString().trim()) || 100;
  } catch {
    return 100;
  }
})();

/** CPU ms (user + system) of a process from /proc, 0 when it is gone. */
function procCpuMs(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / CLK_TCK;
  } catch {
    return 0;
  }
}

/** The S3 server's processes on this machine (Ceph: radosgw and its OSD and monitor). */
function storePids() {
  const pids = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const comm = fs.readFileSync(`/proc/${d}/comm`, 'utf8').trim();
      if (/^(radosgw|ceph-osd|ceph-mon)$/.test(comm)) pids.push(Number(d));
    } catch {
      // gone
    }
  }
  return pids;
}
const storeCpuMs = pids => pids.reduce((a, p) => a + procCpuMs(p), 0);
const selfCpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
};
const now = () => performance.now();

/**
 * One Ogg/Opus recording of `minutes` with the recorder's archive settings, from the
 * two-party conversation audio (cached per length).
 */
function recording(format, minutes) {
  return format === 'wav' ? wavRecording(minutes) : opusRecording(minutes);
}

/** The interim lossless WAV of a call (G.711 A-law, two channels), as the recorder writes it. */
function wavRecording(minutes) {
  const conversationAudio = require('../plugins/voice-recording-backend-module-siprec/src/archive/__testUtils__/conversationAudio');
  const { encodeAlaw } = require('../plugins/voice-recording-backend-module-siprec/src/codecs');
  const { writeWavG711Stereo } = require('../plugins/voice-recording-node/src');
  const cacheRoot = conversationAudio.defaultConversationCacheDir();
  conversationAudio.warmConversationCache(cacheRoot);
  const c = conversationAudio.buildConversation({ seconds: Math.round(minutes * 60), seed: Math.round(minutes * 10), cacheDir: cacheRoot });
  return writeWavG711Stereo('alaw', encodeAlaw(c.left), encodeAlaw(c.right), 8000);
}

function opusRecording(minutes) {
  const conversationAudio = require('../plugins/voice-recording-backend-module-siprec/src/archive/__testUtils__/conversationAudio');
  const cacheRoot = conversationAudio.defaultConversationCacheDir();
  const dir = path.join(path.dirname(cacheRoot), 'upload-v1');
  const file = path.join(dir, `${minutes}min.opus`);
  if (fs.existsSync(file)) return fs.readFileSync(file);
  conversationAudio.warmConversationCache(cacheRoot);
  const seconds = Math.round(minutes * 60);
  const c = conversationAudio.buildConversation({ seconds, seed: Math.round(minutes * 10), cacheDir: cacheRoot });
  const pcm = conversationAudio.interleaveSides(c.left, c.right);
  const writer = new OggOpusWriter({ sampleRate: 8000, channels: 2, bitrate: 15000, complexity: 0, frameMs: 60, skipSilence: true, tags: { BENCH: `${minutes} min` } });
  const out = [];
  for (let o = 0; o < pcm.length; o += 16000) out.push(...writer.write(pcm.subarray(o, Math.min(pcm.length, o + 16000))));
  out.push(...writer.end());
  const buf = Buffer.concat(out);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(`${file}.tmp`, buf);
  fs.renameSync(`${file}.tmp`, file);
  return buf;
}

/** SHA-256 and size of a stream's bytes, passed through. */
function hashing(stream) {
  const h = crypto.createHash('sha256');
  let size = 0;
  const { Transform } = require('node:stream');
  const t = new Transform({
    transform(chunk, _enc, cb) {
      h.update(chunk);
      size += chunk.length;
      cb(null, chunk);
    },
  });
  stream.on('error', e => t.destroy(e));
  stream.pipe(t);
  return { stream: t, done: () => ({ sha256: h.digest('hex'), size }) };
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const server = s3TestServer();
  if (!server) {
    console.error('MVR_TEST_S3_ENDPOINT is not set: eval "$(bash scripts/rgw.sh status)" (or start) first');
    process.exit(2);
  }
  if (o.cpu !== undefined) execSync(`taskset -a -cp ${o.cpu} ${process.pid}`, { stdio: 'ignore' });
  const load0 = os.loadavg();

  // --- the recordings: one real Opus file per length
  const lengths = [];
  const distinct = new Map();
  for (let i = 0; i < o.calls; i++) {
    const m = o.calls === 1 ? o.minutes[0] : o.minutes[0] + ((o.minutes[1] - o.minutes[0]) * i) / (o.calls - 1);
    const rounded = Math.round(m); // one file per whole minute
    const minutes = Math.max(1, rounded);
    if (!distinct.has(minutes)) {
      const t = now();
      distinct.set(minutes, recording(o.format, minutes));
      const ms = now() - t;
      if (ms > 1000) console.log(`encoded the ${minutes}-minute recording (${(distinct.get(minutes).length / 1024).toFixed(0)} KiB) in ${(ms / 1000).toFixed(1)} s (cached for the next runs)`);
    }
    lengths.push(minutes);
  }
  // shuffle (deterministic), so that lengths are mixed in the queue as calls of a day are
  let seed = 7;
  for (let i = lengths.length - 1; i > 0; i--) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    const j = seed % (i + 1);
    [lengths[i], lengths[j]] = [lengths[j], lengths[i]];
  }

  const stagingDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mvr-bench-staging-'));
  const local = new LocalFileBlobStore(stagingDir, { minFreeBytes: 0 });
  const staging =
    o.encryption === 'on' ? new EncryptedBlobStore(local, new StaticKeyEncryptionKeys([['bench-1', crypto.randomBytes(32)]], 'bench-1')) : local;
  const admin = s3AdminClient(server);
  const bucket = await createTestBucket(admin);
  const s3 = new S3BlobStore(s3StoreOptions(server, bucket, { partSizeBytes: 8 * MIB }));
  const pids = storePids();
  try {
    // --- stage: the recorder's finished archives in its local directory (not timed as upload)
    const day = new Date().toISOString().slice(0, 10).replace(/-/g, '/');
    const staged = [];
    let t0 = now();
    let c0 = selfCpuMs();
    for (let i = 0; i < lengths.length; i++) {
      const key = `${day}/${crypto.randomUUID()}.${o.format}`;
      const body = distinct.get(lengths[i]);
      await staging.put(key, body, { contentType: o.format === 'wav' ? 'audio/wav' : 'audio/ogg' });
      staged.push({ key, minutes: lengths[i], plainBytes: body.length });
    }
    execSync('sync');
    const stageMs = now() - t0;
    const stageCpu = selfCpuMs() - c0;
    const callMinutes = lengths.reduce((a, b) => a + b, 0);
    const stagedBytes = staged.reduce((a, s) => a + fs.statSync(local.resolveKey(s.key)).size, 0);

    // --- upload: every staged file, o.concurrency at a time
    const queue = [...staged];
    const lat = [];
    const failures = [];
    let uploadedBytes = 0;
    t0 = now();
    c0 = selfCpuMs();
    const s0 = storeCpuMs(pids);
    await Promise.all(
      Array.from({ length: o.concurrency }, async () => {
        for (let job = queue.shift(); job; job = queue.shift()) {
          const t = now();
          try {
            const h = hashing(await local.get(job.key));
            const put = await s3.put(job.key, h.stream, { contentType: 'application/octet-stream' });
            const read = h.done();
            if (put.size !== read.size || put.sha256 !== read.sha256) throw new Error(`${job.key}: the store has ${put.size} bytes / ${put.sha256}, staged ${read.size} / ${read.sha256}`);
            if (o.verify === 'reread') {
              const back = crypto.createHash('sha256');
              let n = 0;
              for await (const chunk of await s3.get(job.key)) {
                back.update(chunk);
                n += chunk.length;
              }
              const sha = back.digest('hex');
              if (n !== read.size || sha !== read.sha256) throw new Error(`${job.key}: read back ${n} bytes / ${sha}, staged ${read.size} / ${read.sha256}`);
            }
            if (!(await local.delete(job.key))) throw new Error(`${job.key}: the staged file was already gone`);
            uploadedBytes += read.size;
            lat.push(now() - t);
          } catch (e) {
            failures.push(e.message);
          }
        }
      }),
    );
    const upMs = now() - t0;
    const upCpu = selfCpuMs() - c0;
    const storeCpu = storeCpuMs(pids) - s0;
    const load1 = os.loadavg();

    // --- check: every object in the store, decrypting to the recording when encrypted
    const listed = new Set(await s3.list(''));
    const missing = staged.filter(s => !listed.has(s.key));
    const leftLocal = staged.filter(s => fs.existsSync(local.resolveKey(s.key)));
    let decrypted = 'not encrypted';
    if (o.encryption === 'on' && !missing.length) {
      // a sample read back through the same keys from S3: the ciphertext was copied as is
      const sample = staged[staged.length >> 1];
      const reader = new EncryptedBlobStore(s3, staging.keys);
      const chunks = [];
      for await (const c of await reader.get(sample.key)) chunks.push(c);
      const plain = Buffer.concat(chunks);
      decrypted = plain.equals(distinct.get(sample.minutes)) ? 'a sample decrypts to its recording' : 'A SAMPLE DOES NOT DECRYPT TO ITS RECORDING';
      if (!plain.equals(distinct.get(sample.minutes))) failures.push(decrypted);
    }
    if (missing.length) failures.push(`${missing.length} recordings not in the store`);
    if (leftLocal.length !== failures.length - (missing.length ? 1 : 0)) failures.push(`${leftLocal.length} staged files left`);

    const f1 = v => v.toFixed(1);
    const f2 = v => v.toFixed(2);
    const sizes = [...distinct.entries()].sort((a, b) => a[0] - b[0]).map(([m, b]) => `${m} min ${f1(b.length / 1024)} KiB`);
    console.log(
      `\nupload throughput: ${o.calls} ${o.format === 'wav' ? 'interim WAV' : 'Opus'} recordings of ${o.minutes[0]}-${o.minutes[1]} min (${f1(callMinutes)} call-minutes, ${f1(stagedBytes / MIB)} MiB staged${
        o.encryption === 'on' ? ', encrypted at rest' : ''
      }), ${o.concurrency} in flight, verify ${o.verify}; S3 ${server.endpoint} bucket ${bucket}; ${os.cpus().length} cores${o.cpu !== undefined ? `, uploader on CPU ${o.cpu}` : ''}, Node ${process.version}`,
    );
    const rows = [
      ['load average (1 min) before → after', `${f2(load0[0])} → ${f2(load1[0])}`],
      [`${o.format === 'wav' ? 'WAV' : 'Opus'} files (plain)`, sizes.join(', ')],
      ['storage of these recordings', `${f2((staged.reduce((a, s) => a + s.plainBytes, 0) / (callMinutes * 60)) * 3.6 / 1000)} MB per hour of call (plain ${o.format === 'wav' ? 'WAV' : 'Opus'})`],
      ['staging (put to the local store, sync)', `${f2(stageMs / 1000)} s, ${f2(stageCpu / callMinutes)} ms CPU per call-minute`],
      ['upload', `${f2(upMs / 1000)} s for ${staged.length - failures.length} recordings`],
      ['  files per second', f1((staged.length / upMs) * 1000)],
      ['  MiB per second', f2(uploadedBytes / MIB / (upMs / 1000))],
      ['  call-minutes per second', f1(callMinutes / (upMs / 1000))],
      ['  per upload p50 / p95 / max', `${f1(pct(lat, 50))} / ${f1(pct(lat, 95))} / ${f1(Math.max(...lat))} ms`],
      ['  uploader CPU', `${f2(upCpu / callMinutes)} ms per call-minute (${f1(upCpu)} ms; ${f1(upCpu / staged.length)} ms per recording; ${f1((upCpu / upMs) * 100)} % of a core)`],
      ['  S3 server CPU (radosgw + OSD, this machine)', pids.length ? `${f2(storeCpu / callMinutes)} ms per call-minute (${f1((storeCpu / upMs) * 100)} % of a core)` : 'no Ceph process found'],
      ['checks', failures.length ? `${failures.length} FAILED: ${failures.slice(0, 5).join('; ')}` : `all ${staged.length} in the store, no staged file left, ${decrypted}`],
    ];
    const w = Math.max(...rows.map(r => r[0].length));
    for (const [k, v] of rows) console.log(`  ${k.padEnd(w)}  ${v}`);
    if (failures.length) process.exitCode = 1;
  } finally {
    s3.destroy();
    await removeTestBucket(admin, bucket);
    admin.destroy();
    fs.rmSync(stagingDir, { recursive: true, force: true });
  }
}

main().catch(e => {
  console.error(e?.stack ?? e);
  process.exit(1);
});
