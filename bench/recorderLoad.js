#!/usr/bin/env node
/*
 * SIPREC recorder load benchmark: `node bench/recorderLoad.js [--calls 400] [--seconds 60]`
 * (quick default: 50 calls for 10 s), or `yarn bench recorder`.
 *
 * The recorder (the real voice-recording backend plugin + the SIPREC module, SQLite
 * file database, numbers created by the plugin's loader, archive format opus unless
 * --format wav-g711) runs in a separate process (bench/recorderLoad.server.js) so
 * that its CPU is measured alone (/proc/<pid>/stat). This process is the SRC: it
 * places N two-stream G.711 SIPREC calls with the project's test client (SrcClient,
 * INVITEs paced at --cps per second) and streams 20 ms RTP packets on one global 20 ms
 * schedule (every call's packets of a tick are sent in one batch; its own send lag is
 * measured), then BYEs every call and waits for the archives.
 *
 * Afterwards it checks every conversation (finished, ended by BYE, SHA-256 and size of
 * the archive file = the row's, archive duration = recorded duration = call length),
 * counts lost packets per channel from the conversations' quality figures, and prints
 * recorder CPU per call-second, the calls per core it implies, INVITE→200 OK latency,
 * RSS per call and the finalization time. --profile writes a CPU profile of the
 * recorder (node --cpu-prof) and prints its top functions. Exit code 1 when a check
 * fails or the target (≥ 400 calls per core, 0 lost, INVITE p99 < 50 ms) is missed
 * with --calls ≥ 400.
 */
require('@backstage/cli/config/nodeTransform.cjs');
const { fork, execSync } = require('node:child_process');
const crypto = require('node:crypto');
const dgram = require('node:dgram');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const Database = require('better-sqlite3');
const { SrcClient } = require('../plugins/voice-recording-backend-module-siprec/src/testing/SrcClient');
const {
  buildOfferSdp,
  buildMetadata,
} = require('../plugins/voice-recording-backend-module-siprec/src/testing/siprecMessages');
const { encodeAlaw, encodeUlaw, decodeAlaw, decodeUlaw } = require('../plugins/voice-recording-backend-module-siprec/src/codecs');
const conversationAudio = require('../plugins/voice-recording-backend-module-siprec/src/archive/__testUtils__/conversationAudio');
const { opusQualityGate } = require('../plugins/voice-recording-backend-module-siprec/src/archive/__testUtils__/opusQualityGate');

const { DEFAULT_COMPRESSION_OPUS, DEFAULT_OPUS_BITRATES } = require('../plugins/voice-recording-node/src');

const TARGET = { callsPerCore: 400, inviteP99Ms: 50 };

/** The Opus layer the recorder runs with: --opus-layer, else its default (opus.layer). */
function opusLayerOf(opts) {
  return opts.opusLayer ?? DEFAULT_COMPRESSION_OPUS.layer;
}

/** ... and its bit rate: --opus-bitrate, else the layer's default (opus.bitrate). */
function opusBitrateOf(opts) {
  return opts.opusBitrate ?? DEFAULT_OPUS_BITRATES[opusLayerOf(opts)];
}
const PACKET_MS = 20;
const SAMPLES = 160;

function parseArgs(argv) {
  const o = { calls: 50, seconds: 10, cps: 100, format: 'opus', codec: 'PCMA', profile: false, keep: false, sqlite: 'wal', opusThreads: undefined, opusComplexity: undefined, rtpPhases: 1, database: 'sqlite', v8PoolSize: '1', audio: 'continuous' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--calls') o.calls = Number(val());
    else if (a === '--seconds') o.seconds = Number(val());
    else if (a === '--cps') o.cps = Number(val());
    else if (a === '--format') o.format = val();
    else if (a === '--codec') o.codec = val().toUpperCase();
    else if (a === '--profile') o.profile = true;
    else if (a === '--journal-sync') {
      o.journalSync = val();
      if (!['filesystem', 'file'].includes(o.journalSync)) throw new Error('--journal-sync filesystem|file');
    }
    else if (a === '--keep') o.keep = true;
    else if (a === '--sqlite-journal') o.sqlite = val().toLowerCase();
    else if (a === '--opus-threads') o.opusThreads = Number(val());
    else if (a === '--opus-complexity') o.opusComplexity = Number(val());
    else if (a === '--recorder-cpu') o.recorderCpu = Number(val());
    else if (a === '--opus-encode') o.opusEncode = val();
    else if (a === '--backlog') o.backlog = Number(val());
    else if (a === '--rtp-phases') o.rtpPhases = Number(val());
    else if (a === '--v8-pool-size') o.v8PoolSize = val();
    else if (a === '--rtp-impl') o.rtpImpl = val().toLowerCase();
    else if (a === '--database') o.database = val().toLowerCase();
    else if (a === '--audio') o.audio = val().toLowerCase();
    else if (a === '--noise-dbfs') o.noiseDbfs = Number(val());
    else if (a === '--opus-frame-ms') o.opusFrameMs = Number(val());
    else if (a === '--opus-skip-silence') o.opusSkipSilence = val().toLowerCase();
    else if (a === '--opus-impl') o.opusImpl = val().toLowerCase();
    else if (a === '--opus-bitrate') o.opusBitrate = Number(val());
    else if (a === '--opus-layer') o.opusLayer = val().toLowerCase();
    else if (a === '--metrics') o.metrics = true;
    else if (a === '--storage') o.storage = val().toLowerCase();
    else if (a === '--archive-concurrency') o.archiveConcurrency = Number(val());
    else if (a === '--archive-threads') o.archiveThreads = Number(val());
    else if (a === '--archiver-cpu') o.archiverCpu = Number(val());
    else if (a === '--scrape-seconds') o.scrapeSeconds = Number(val());
    else if (a === '--scrape-cost') o.scrapeCost = o.metrics = true;
    else throw new Error(`unknown option ${a} (--calls N --seconds S --cps N --format opus|wav-g711 --codec PCMA|PCMU --audio continuous|conversation --noise-dbfs D --sqlite-journal wal|delete --opus-threads N --opus-complexity N --opus-encode background|call-end --opus-frame-ms 20|40|60 --opus-skip-silence on|off --opus-impl auto|wasm --opus-bitrate N --opus-layer silk|celt --backlog N --rtp-phases N --database sqlite|postgres --recorder-cpu N --v8-pool-size N|default --rtp-impl native|dgram --metrics --scrape-seconds S --scrape-cost --storage local|s3 --archive-concurrency N --archive-threads N --archiver-cpu N --journal-sync filesystem|file --profile --keep)`);
  }
  if (o.scrapeSeconds !== undefined && !(o.scrapeSeconds > 0)) throw new Error(`--scrape-seconds ${o.scrapeSeconds}: a positive number of seconds`);
  if (!(o.calls >= 1) || !(o.seconds >= 1) || !(o.cps > 0)) throw new Error('--calls, --seconds and --cps must be positive');
  if (!['opus', 'wav-g711'].includes(o.format)) throw new Error(`--format ${o.format}: opus or wav-g711`);
  if (o.opusEncode !== undefined && !['background', 'call-end'].includes(o.opusEncode)) throw new Error(`--opus-encode ${o.opusEncode}: background or call-end`);
  if (!(Number.isInteger(o.rtpPhases) && o.rtpPhases >= 1 && PACKET_MS % o.rtpPhases === 0)) throw new Error(`--rtp-phases ${o.rtpPhases}: a divisor of ${PACKET_MS} (1 = every call's packets in one burst per 20 ms)`);
  if (o.backlog !== undefined && !(Number.isInteger(o.backlog) && o.backlog >= 0)) throw new Error(`--backlog ${o.backlog}: a number of archives, 0 or more`);
  if (o.v8PoolSize !== 'default' && !/^[0-9]+$/.test(o.v8PoolSize)) throw new Error(`--v8-pool-size ${o.v8PoolSize}: a number of threads, or default (Node's own, 4)`);
  if (o.archiverCpu !== undefined && !(Number.isInteger(o.archiverCpu) && o.archiverCpu >= 0 && o.archiverCpu < os.cpus().length)) throw new Error(`--archiver-cpu ${o.archiverCpu}: a CPU index below ${os.cpus().length}`);
  if (o.archiverCpu !== undefined && o.database !== 'postgres') throw new Error('--archiver-cpu needs --database postgres (the archiver shares the recorder\'s database from another process)');
  for (const [k, v] of [['--archive-concurrency', o.archiveConcurrency], ['--archive-threads', o.archiveThreads]]) {
    if (v !== undefined && !(Number.isInteger(v) && v >= 1 && v <= 64)) throw new Error(`${k} ${v}: a whole number from 1 to 64 (voiceRecording.archive.${k === '--archive-threads' ? 'encoderThreads' : 'concurrency'})`);
  }
  if (o.storage !== undefined && !['local', 's3'].includes(o.storage)) throw new Error(`--storage ${o.storage}: local (files in the archive directory) or s3 (a bucket of the run's own on the S3 server of MVR_TEST_S3_*: eval "$(bash scripts/rgw.sh status)")`);
  if (o.rtpImpl !== undefined && !['native', 'dgram'].includes(o.rtpImpl)) throw new Error(`--rtp-impl ${o.rtpImpl}: native (the addon's receive thread, scripts/build-native-rtp.sh) or dgram (MVR_RTP_IMPL of the recorder; default: native where it is built)`);
  if (!['sqlite', 'postgres'].includes(o.database)) throw new Error(`--database ${o.database}: sqlite or postgres (PostgreSQL at $MVR_BENCH_PG_URL, default postgresql://postgres@127.0.0.1:5432)`);
  if (!['wal', 'delete'].includes(o.sqlite)) throw new Error(`--sqlite-journal ${o.sqlite}: wal or delete`);
  if (!['PCMA', 'PCMU'].includes(o.codec)) throw new Error(`--codec ${o.codec}: PCMA or PCMU`);
  if (!['continuous', 'conversation'].includes(o.audio)) throw new Error(`--audio ${o.audio}: continuous or conversation`);
  if (o.noiseDbfs !== undefined && !(o.noiseDbfs < 0 && o.noiseDbfs > -100)) throw new Error(`--noise-dbfs ${o.noiseDbfs}: a level below 0 dBFS`);
  if (o.opusFrameMs !== undefined && ![20, 40, 60].includes(o.opusFrameMs)) throw new Error(`--opus-frame-ms ${o.opusFrameMs}: 20, 40 or 60`);
  if (o.opusSkipSilence !== undefined && !['on', 'off'].includes(o.opusSkipSilence)) throw new Error(`--opus-skip-silence ${o.opusSkipSilence}: on or off`);
  if (o.opusBitrate !== undefined && !(Number.isInteger(o.opusBitrate) && o.opusBitrate >= 6000)) throw new Error(`--opus-bitrate ${o.opusBitrate}: bit/s for both channels, 6000 or more`);
  if (o.opusLayer !== undefined && !['silk', 'celt'].includes(o.opusLayer)) throw new Error(`--opus-layer ${o.opusLayer}: silk or celt (the recorder's opus.layer; default ${DEFAULT_COMPRESSION_OPUS.layer})`);
  if (o.opusImpl !== undefined && !['auto', 'wasm'].includes(o.opusImpl)) throw new Error(`--opus-impl ${o.opusImpl}: auto (the native libopus binding when built, else WASM) or wasm`);
  return o;
}

const CLK_TCK = (() => {
  try {
    return Number(execSync('getconf CLK_TCK').toString().trim()) || 100;
  } catch {
    return 100;
  }
})();

/** CPU ms (user + system) of a process, from /proc/<pid>/stat. */
function procCpuMs(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1000) / CLK_TCK; // utime, stime (fields 14, 15)
}

/**
 * CPU ms per thread group of a process: the main (event-loop) thread, libuv's pool, V8's
 * helpers, the background Opus encoders (the threads running at a nice value above 0);
 * user and system.
 */
function procThreadsCpu(pid) {
  const out = { main: 0, libuv: 0, v8: 0, rtp: 0, encoder: 0, other: 0, user: 0, system: 0 };
  for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
    let stat;
    try {
      stat = fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    } catch {
      continue; // thread gone
    }
    const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const user = (Number(f[11]) * 1000) / CLK_TCK;
    const system = (Number(f[12]) * 1000) / CLK_TCK;
    const nice = Number(f[16]); // field 19
    const group =
      String(tid) === String(pid) ? 'main' : nice > 0 ? 'encoder' : /libuv/.test(comm) ? 'libuv' : /V8|DefaultWorke/i.test(comm) ? 'v8' : comm === 'mvr-rtp' ? 'rtp' : 'other';
    out[group] += user + system;
    out.user += user;
    out.system += system;
  }
  return out;
}

const diffThreads = (a, b) => Object.fromEntries(Object.keys(a).map(k => [k, b[k] - a[k]]));

function procRssBytes(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

/** CPU time (ms) the whole machine was busy: every process and the kernel's own threads (its writeback included) */
function machineBusyMs() {
  const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal
  const busy = f.reduce((a, b) => a + b, 0) - f[3] - (f[4] ?? 0);
  return (busy * 1000) / CLK_TCK;
}

/** CPU time (ms) of the kernel's own threads (kthreadd's children: writeback kworkers, jbd2, ksoftirqd...) */
function kernelThreadsCpuMs() {
  let ticks = 0;
  for (const pid of fs.readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(pid)) continue;
    let stat;
    try {
      stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue; // gone
    }
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (pid !== '2' && f[1] !== '2') continue; // ppid
    ticks += Number(f[11]) + Number(f[12]);
  }
  return (ticks * 1000) / CLK_TCK;
}

const selfCpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

function pct(sorted, p) {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

const sleep = ms => new Promise(r => setTimeout(r, ms));

/** A TCP port free on the loopback now (for the recorder's metrics endpoint). */
function freeTcpPort() {
  return new Promise((resolve, reject) => {
    const srv = require('node:net').createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** 8 s of speech-like audio (voiced harmonics with syllable-rate envelope, some noise). */
function makeAudio(codec, seed) {
  const n = 8 * 8000;
  const pcm = new Int16Array(n);
  let x = seed >>> 0 || 1;
  const rnd = () => ((x = (x * 1664525 + 1013904223) >>> 0) / 0x100000000) * 2 - 1;
  const f0 = 110 + (seed % 7) * 15;
  for (let i = 0; i < n; i++) {
    const t = i / 8000;
    const env = Math.max(0, Math.sin(2 * Math.PI * 3.1 * t + (seed % 5))) ** 2;
    const pitch = f0 * (1 + 0.08 * Math.sin(2 * Math.PI * 0.7 * t));
    let v = 0;
    for (let h = 1; h <= 12; h++) v += Math.sin(2 * Math.PI * pitch * h * t) / h;
    pcm[i] = Math.round(env * 6000 * v + 300 * rnd());
  }
  return codec === 'PCMU' ? encodeUlaw(pcm) : encodeAlaw(pcm);
}

/** Conversations of two parties (real speech, turn-taking, pauses, double talk), 60 s each, cached. */
const CONVERSATIONS = 4;
const CONVERSATION_SECONDS = 60;
function makeConversations(codec, noiseDbfs) {
  const cacheDir = conversationAudio.defaultConversationCacheDir();
  conversationAudio.warmConversationCache(cacheDir);
  const enc = codec === 'PCMU' ? encodeUlaw : encodeAlaw;
  return Array.from({ length: CONVERSATIONS }, (_, k) => {
    const c = conversationAudio.buildConversation({ seconds: CONVERSATION_SECONDS, seed: k + 1, cacheDir, noiseDbfs });
    return { left: enc(c.left), right: enc(c.right), speechShare: c.speechShare, doubleTalkSeconds: c.doubleTalkSeconds };
  });
}

/**
 * The quality gate of the archive's Opus settings on this run's audio (the first 60 s of
 * the first conversation, or of the continuous signal): the lossless samples (G.711
 * decoded) against the decoded Opus, encoded here with the recorder's settings.
 */
function qualityGateFigures(streams, codec, writer) {
  const dec = codec === 'PCMU' ? decodeUlaw : decodeAlaw;
  const n = Math.min(CONVERSATION_SECONDS * 8000, streams[0].length, streams[1].length);
  const l = dec(streams[0].subarray(0, n));
  const r = dec(streams[1].subarray(0, n));
  const stereo = new Int16Array(2 * n);
  for (let i = 0; i < n; i++) {
    stereo[2 * i] = l[i];
    stereo[2 * i + 1] = r[i];
  }
  opusQualityGate(stereo.subarray(0, 2 * 8000 * 2), writer); // warm-up (WASM compilation)
  return opusQualityGate(stereo, writer);
}

/**
 * --recorder-cpu N: every thread of the recorder on CPU N (later threads inherit it),
 * this generator on the other CPUs, so "calls per core" is shown on one real core.
 */
function pinToOneCore(pid, cpu) {
  const cpus = os.cpus().length;
  if (!(cpu >= 0 && cpu < cpus) || cpus < 2) throw new Error(`--recorder-cpu ${cpu}: needs a CPU index below ${cpus} and at least 2 CPUs`);
  const others = [...Array(cpus).keys()].filter(c => c !== cpu).join(',');
  execSync(`taskset -a -cp ${cpu} ${pid}`, { stdio: 'ignore' });
  execSync(`taskset -a -cp ${others} ${process.pid}`, { stdio: 'ignore' });
}

function startRecorder(dir, opts) {
  // the recorder as its start scripts run it: V8's platform pool (GC helpers) of one
  // thread (docs/operations.md, "Call set-up latency under load")
  const execArgv = [...process.execArgv, ...(opts.v8PoolSize === 'default' ? [] : [`--v8-pool-size=${opts.v8PoolSize}`])];
  if (opts.profile) execArgv.push('--cpu-prof', `--cpu-prof-dir=${path.join(dir, 'profile')}`);
  const child = fork(path.join(__dirname, 'recorderLoad.server.js'), [], {
    env: { ...process.env, MVR_BENCH_DIR: dir, MVR_BENCH_NUMBERS: String(opts.calls), ...(opts.journalSync ? { MVR_BENCH_JOURNAL_SYNC: opts.journalSync } : {}), MVR_BENCH_FORMAT: opts.format, MVR_BENCH_SQLITE_JOURNAL: opts.sqlite,
      ...(opts.opusThreads !== undefined ? { MVR_BENCH_OPUS_THREADS: String(opts.opusThreads) } : {}),
      ...(opts.opusComplexity !== undefined ? { MVR_BENCH_OPUS_COMPLEXITY: String(opts.opusComplexity) } : {}),
      ...(opts.opusEncode !== undefined ? { MVR_BENCH_OPUS_ENCODE: opts.opusEncode } : {}),
      ...(opts.opusFrameMs !== undefined ? { MVR_BENCH_OPUS_FRAME_MS: String(opts.opusFrameMs) } : {}),
      ...(opts.opusSkipSilence !== undefined ? { MVR_BENCH_OPUS_SKIP_SILENCE: opts.opusSkipSilence } : {}),
      ...(opts.opusImpl === 'wasm' ? { MVR_OPUS_IMPL: 'wasm' } : {}),
      ...(opts.rtpImpl !== undefined ? { MVR_RTP_IMPL: opts.rtpImpl } : {}),
      ...(opts.opusBitrate !== undefined ? { MVR_BENCH_OPUS_BITRATE: String(opts.opusBitrate) } : {}),
      ...(opts.opusLayer !== undefined ? { MVR_BENCH_OPUS_LAYER: opts.opusLayer } : {}),
      ...(opts.backlog ? { MVR_BENCH_BACKLOG: String(opts.backlog) } : {}),
      ...(opts.metrics ? { MVR_BENCH_METRICS_PORT: String(opts.metricsPort) } : {}),
      ...(opts.storage === 's3' ? { MVR_BENCH_S3: 'on' } : {}),
      ...(opts.archiveConcurrency !== undefined ? { MVR_BENCH_ARCHIVE_CONCURRENCY: String(opts.archiveConcurrency) } : {}),
      ...(opts.archiverCpu !== undefined ? { MVR_BENCH_ARCHIVE_ENABLED: 'off' } : {}),
      ...(opts.archiveThreads !== undefined ? { MVR_BENCH_ARCHIVE_THREADS: String(opts.archiveThreads) } : {}),
      ...(opts.keep ? { MVR_BENCH_KEEP: '1' } : {}),
      ...(opts.database === 'postgres' ? { MVR_BENCH_PG: process.env.MVR_BENCH_PG_URL ?? 'postgresql://postgres@127.0.0.1:5432' } : {}) },
    execArgv,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const ready = new Promise((resolve, reject) => {
    child.on('message', m => m?.type === 'ready' && resolve(m));
    child.once('exit', code => reject(new Error(`the recorder process exited (${code}) before it was ready`)));
  });
  const stop = () =>
    new Promise(resolve => {
      const t = setTimeout(() => {
        child.kill('SIGKILL');
        resolve(false);
      }, 60_000);
      child.once('exit', () => {
        clearTimeout(t);
        resolve(true);
      });
      child.send({ type: 'stop' });
    });
  /** the recorder's event-loop delay since the previous call (ms) */
  const loopDelay = () =>
    new Promise(resolve => {
      const on = m => {
        if (m?.type !== 'loop-delay') return;
        child.off('message', on);
        resolve(m);
      };
      child.on('message', on);
      child.send({ type: 'loop-delay' });
    });
  /** the recorder's own INVITE set-up figures, phase by phase (ms) */
  const setupLatency = () =>
    new Promise(resolve => {
      const on = m => {
        if (m?.type !== 'setup-latency') return;
        child.off('message', on);
        resolve(m.report);
      };
      child.on('message', on);
      child.send({ type: 'setup-latency' });
    });
  /** the recorder's S3 requests so far, by command (--storage s3) */
  const s3Requests = () =>
    new Promise(resolve => {
      const on = m => {
        if (m?.type !== 's3-requests') return;
        child.off('message', on);
        resolve(m.counts);
      };
      child.on('message', on);
      child.send({ type: 's3-requests' });
    });
  return { child, ready, stop, loopDelay, setupLatency, s3Requests };
}

/**
 * The recorder's database, read by this process (not through the recorder): SQLite
 * read-only, or a PostgreSQL client. `prepare(sql)` with `?` placeholders → get / all.
 */
async function openResultsDb(ready) {
  if (!ready.pgConnection) {
    const sqlite = new Database(ready.dbFile, { readonly: true, fileMustExist: true, timeout: 10_000 });
    return {
      prepare: sql => {
        const stmt = sqlite.prepare(sql);
        return { get: async (...a) => stmt.get(...a), all: async (...a) => stmt.all(...a) };
      },
      close: async () => sqlite.close(),
    };
  }
  const { Client } = require('pg');
  const pg = new Client({ connectionString: ready.pgConnection });
  await pg.connect();
  const numbered = sql => {
    let i = 0;
    return sql.replace(/\?/g, () => `$${++i}`);
  };
  return {
    prepare: sql => ({
      get: async (...a) => (await pg.query(numbered(sql), a)).rows[0],
      all: async (...a) => (await pg.query(numbered(sql), a)).rows,
    }),
    close: () => pg.end(),
  };
}

/** Last Ogg granule position → duration in ms (48 kHz granules, minus pre-skip). */
function oggDurationMs(buf) {
  const at = buf.lastIndexOf(Buffer.from('OggS'));
  if (at < 0) return NaN;
  const granule = Number(buf.readBigUInt64LE(at + 6));
  const head = buf.indexOf(Buffer.from('OpusHead'));
  const preSkip = head >= 0 ? buf.readUInt16LE(head + 10) : 0;
  return ((granule - preSkip) * 1000) / 48000;
}

function wavDurationMs(buf) {
  const data = buf.indexOf(Buffer.from('data'));
  const channels = buf.readUInt16LE(22);
  const rate = buf.readUInt32LE(24);
  const bits = buf.readUInt16LE(34);
  return (buf.readUInt32LE(data + 4) * 1000) / (rate * channels * (bits / 8));
}

/** Self time per function of the recorder's CPU profile, within [fromUs, toUs] (monotonic clock) when given. */
function topProfile(dir, window, limit = 25) {
  const pdir = path.join(dir, 'profile');
  if (!fs.existsSync(pdir)) return [];
  const files = fs.readdirSync(pdir).filter(f => f.endsWith('.cpuprofile'));
  if (!files.length) return [];
  const prof = JSON.parse(fs.readFileSync(path.join(pdir, files[0]), 'utf8'));
  const self = new Map();
  const dt = new Map();
  let at = prof.startTime;
  for (let i = 0; i < prof.samples.length; i++) {
    at += prof.timeDeltas[i] ?? 0;
    if (window && (at < window.fromUs || at > window.toUs)) continue;
    dt.set(prof.samples[i], (dt.get(prof.samples[i]) ?? 0) + (prof.timeDeltas[i] ?? 0));
  }
  let total = 0;
  for (const node of prof.nodes) {
    const us = dt.get(node.id) ?? 0;
    total += us;
    const cf = node.callFrame;
    const key = `${cf.functionName || '(anonymous)'} ${cf.url ? `${cf.url.replace(/^.*\/work\/main\//, '')}:${cf.lineNumber + 1}` : ''}`;
    self.set(key, (self.get(key) ?? 0) + us);
  }
  return {
    file: path.join(pdir, files[0]),
    totalMs: total / 1000,
    top: [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, limit).map(([k, us]) => ({ fn: k, ms: us / 1000, share: us / total })),
  };
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  // the same libopus here (quality gate) as in the recorder process, which inherits it
  if (opts.opusImpl === 'wasm') process.env.MVR_OPUS_IMPL = 'wasm';
  const { opusEncoderImplementation } = require('../plugins/voice-recording-node/src/audio/opusCodec');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mvr-bench-recorder-'));
  const log = (...a) => console.log(`[${new Date().toISOString().slice(11, 23)}]`, ...a);
  log(`recorder load: ${opts.calls} calls × ${opts.seconds} s, 2 streams ${opts.codec} 20 ms, archive ${opts.format}, SQLite journal ${opts.sqlite}, INVITEs at ${opts.cps}/s; work dir ${dir}`);
  if (opts.metrics) opts.metricsPort = await freeTcpPort();
  const rec = startRecorder(dir, opts);
  const pid = rec.child.pid;
  // --metrics: the recorder's Prometheus endpoint scraped all along, as an operator's Prometheus would
  const scrapes = [];
  let scraper;
  let lastScrape = '';
  let bursting = false;
  let scrapeCost;
  const scrapeOnce = async () => {
    const t = performance.now();
    try {
      const r = await fetch(`http://127.0.0.1:${opts.metricsPort}/metrics`);
      lastScrape = await r.text();
      if (r.status === 200) scrapes.push(performance.now() - t);
    } catch (e) {
      lastScrape = `scrape failed: ${e.message}`;
    }
  };
  let stopped = false;
  let archiver;
  let archiverStopped = false;
  const stopArchiver = async () => {
    if (!archiver || archiverStopped || archiver.exitCode !== null) return;
    archiverStopped = true;
    await new Promise(resolve => {
      const t = setTimeout(() => {
        archiver.kill('SIGKILL');
        resolve();
      }, 30_000);
      archiver.once('exit', () => {
        clearTimeout(t);
        resolve();
      });
      archiver.send({ type: 'stop' });
    });
  };
  try {
    const ready = await rec.ready;
    if (ready.loadedNumbers < opts.calls) throw new Error(`the recorder loaded ${ready.loadedNumbers} numbers, ${opts.calls} expected`);
    if (opts.recorderCpu !== undefined) pinToOneCore(pid, opts.recorderCpu);
    // --archiver-cpu N: the compress jobs in a dedicated archiver process (the plugin with no
    // capture module, as packages/backend/src/archiver.ts) pinned to CPU N; the recorder
    // only uploads (its archive work is off)
    if (opts.archiverCpu !== undefined) {
      archiver = fork(path.join(__dirname, 'recorderLoad.archiver.js'), [], {
        env: {
          ...process.env,
          MVR_BENCH_ARCHIVER_PG: ready.pgConnection,
          ...(ready.s3Bucket ? { MVR_BENCH_ARCHIVER_S3_BUCKET: ready.s3Bucket } : { MVR_BENCH_ARCHIVER_DIR: ready.archiveDir }),
          ...(opts.archiveConcurrency !== undefined ? { MVR_BENCH_ARCHIVE_CONCURRENCY: String(opts.archiveConcurrency) } : {}),
          ...(opts.archiveThreads !== undefined ? { MVR_BENCH_ARCHIVE_THREADS: String(opts.archiveThreads) } : {}),
        },
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      await new Promise((resolve, reject) => {
        archiver.on('message', m => m?.type === 'ready' && resolve());
        archiver.once('exit', code => reject(new Error(`the archiver process exited (${code}) before it was ready`)));
      });
      execSync(`taskset -a -cp ${opts.archiverCpu} ${archiver.pid}`, { stdio: 'ignore' });
      log(`archiver pid ${archiver.pid} ready, pinned to CPU ${opts.archiverCpu}`);
    }
    await sleep(1000); // let start-up work settle
    // --database postgres: the run's database writes (transactions, rows) per call, from pg_stat_database
    const pgStats = async () => {
      if (!ready.pgConnection) return undefined;
      const { Client } = require('pg');
      const pg = new Client({ connectionString: ready.pgConnection });
      await pg.connect();
      try {
        const r = await pg.query(
          'SELECT xact_commit, xact_rollback, tup_inserted, tup_updated, tup_deleted, tup_returned, tup_fetched, blks_hit, blks_read FROM pg_stat_database WHERE datname = current_database()',
        );
        const t = await pg.query('SELECT relname, n_tup_ins, n_tup_upd, n_tup_del FROM pg_stat_user_tables');
        return {
          ...Object.fromEntries(Object.entries(r.rows[0]).map(([k, v]) => [k, Number(v)])),
          tables: Object.fromEntries(t.rows.map(x => [x.relname, Number(x.n_tup_ins) + Number(x.n_tup_upd) + Number(x.n_tup_del)])),
        };
      } finally {
        await pg.end();
      }
    };
    // a backend's statistics reach pg_stat_* when it commits or, idle, within PostgreSQL's
    // 10 s idle flush interval: wait that long so the start-up's writes are before the base
    if (ready.pgConnection) await sleep(10_500);
    const pgBase = await pgStats();
    const s3Base = opts.storage === 's3' ? await rec.s3Requests() : undefined;
    const base = { cpu: procCpuMs(pid), threads: procThreadsCpu(pid), rss: procRssBytes(pid), self: selfCpuMs(), machine: machineBusyMs(), kernel: kernelThreadsCpuMs(), t: performance.now() };
    const archiverBase = archiver ? { cpu: procCpuMs(archiver.pid), threads: procThreadsCpu(archiver.pid) } : undefined;
    log(`recorder pid ${pid} ready on udp/${ready.sipPort}: ${ready.loadedNumbers} recorded numbers, RSS ${(base.rss / 1048576).toFixed(1)} MB, RTP received by ${ready.rtpReceive}`);
    opts.rtpReceive = ready.rtpReceive;
    opts.journalSyncUsed = ready.journalSync;
    if (opts.metrics) {
      await scrapeOnce();
      scraper = setInterval(() => bursting || scrapeOnce(), (opts.scrapeSeconds ?? 5) * 1000);
    }

    const audio = [makeAudio(opts.codec, 1), makeAudio(opts.codec, 2)];
    const conversations = opts.audio === 'conversation' ? makeConversations(opts.codec, opts.noiseDbfs) : undefined;
    const pt = opts.codec === 'PCMU' ? 0 : 8;
    const client = new SrcClient({ host: '127.0.0.1', port: ready.sipPort, transport: 'udp' });
    await client.start();
    const total = opts.seconds * (1000 / PACKET_MS); // packets per stream
    const calls = [];
    const epoch = performance.now();
    const tickOf = t => Math.floor((t - epoch) / PACKET_MS);

    // --- the RTP scheduler: one 20 ms grid, every due packet of every call per tick;
    // with --rtp-phases P the calls are spread over P phases of the 20 ms (call i sends at
    // i mod P × 20/P ms into each period), as independent calls' packets would be
    const P = opts.rtpPhases;
    const SUB_MS = PACKET_MS / P;
    const subOf = t => Math.floor((t - epoch) / SUB_MS);
    const lags = [];
    let tick = 0;
    let running = true;
    let sendErrors = 0;
    let packetsSent = 0;
    const sendDue = () => {
      const now = performance.now();
      const due = epoch + tick * SUB_MS;
      lags.push(now - due);
      const current = subOf(now);
      for (const c of calls) {
        if (c.startTick === undefined || c.next >= total) continue;
        // catch up on every packet due by now (when the generator itself was late)
        while (c.next < total && (c.startTick + c.next) * P + c.phase <= current) {
          const k = c.next++;
          for (let s = 0; s < 2; s++) {
            // a fresh datagram each time: a catch-up sends several packets of a stream in one tick
            const b = Buffer.allocUnsafe(12 + SAMPLES);
            c.packets[s].copy(b, 0, 0, 12);
            b.writeUInt16BE((c.seq[s] + k) & 0xffff, 2);
            b.writeUInt32BE((c.ts[s] + k * SAMPLES) >>> 0, 4);
            const src = c.audio[s];
            const off = ((k + c.audioOffset) * SAMPLES) % src.length;
            src.copy(b, 12, off, off + SAMPLES);
            c.socket.send(b, c.ports[s], '127.0.0.1', e => e && sendErrors++);
            packetsSent++;
          }
          if (c.next === total) c.doneAt = performance.now();
        }
      }
      tick = current + 1;
      if (running) setTimeout(sendDue, Math.max(0, epoch + tick * SUB_MS - performance.now()));
    };
    setTimeout(sendDue, 0);

    // --- INVITEs, paced
    await rec.loopDelay(); // reset: what follows is the set-up phase
    const inviteMs = [];
    const failures = [];
    const invites = [];
    for (let i = 0; i < opts.calls; i++) {
      const due = epoch + (i * 1000) / opts.cps;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      const socket = dgram.createSocket('udp4');
      await new Promise(r => socket.bind(0, '127.0.0.1', r));
      const lport = socket.address().port;
      const sdp = buildOfferSdp(
        [
          { label: '1', port: lport, payloads: [pt, 101] },
          { label: '2', port: lport, payloads: [pt, 101] },
        ],
        {},
      );
      const metadata = buildMetadata([
        { aor: `sip:${ready.numbers[i]}@example.com`, sends: '1' },
        { aor: `sip:+3222${String(100000 + i).padStart(6, '0')}@example.com`, sends: '2' },
      ]);
      const t0 = performance.now();
      const s = client.startInvite({ sdp, metadata, callId: `bench-${i}-${crypto.randomBytes(4).toString('hex')}@127.0.0.1` });
      const call = { i, socket, callId: s.call.callId, next: 0, packets: [], seq: [], ts: [], invitedAt: t0, audio, audioOffset: 0 };
      if (conversations) {
        // each call one of the conversations, from its own point in it (calls do not talk in step)
        const conv = conversations[i % CONVERSATIONS];
        call.audio = [conv.left, conv.right];
        call.audioOffset = (i * 173) % ((CONVERSATION_SECONDS * 1000) / PACKET_MS);
      }
      invites.push(
        s.response
          .then(r => {
            const ms = performance.now() - t0;
            if (r.status !== 200) throw new Error(`INVITE ${i}: ${r.status} ${r.reason}`);
            inviteMs.push(ms);
            call.src = s.call;
            call.ports = s.call.mediaPorts;
            if (call.ports.length !== 2 || call.ports.some(p => !p)) throw new Error(`INVITE ${i}: answer without two streams`);
            for (let k = 0; k < 2; k++) {
              const b = Buffer.alloc(12 + SAMPLES);
              b[0] = 0x80;
              b[1] = pt;
              b.writeUInt32BE(crypto.randomBytes(4).readUInt32BE(0), 8);
              call.packets.push(b);
              call.seq.push(crypto.randomBytes(2).readUInt16BE(0));
              call.ts.push(crypto.randomBytes(4).readUInt32BE(0));
            }
            call.answeredAt = performance.now();
            call.startTick = tickOf(call.answeredAt) + 1;
            call.phase = i % P;
            calls.push(call);
          })
          .catch(e => {
            failures.push(e.message);
            socket.close();
          }),
      );
    }
    await Promise.all(invites);
    const allUp = performance.now();
    const upSnap = { cpu: procCpuMs(pid), threads: procThreadsCpu(pid) };
    const rampWindow = { fromUs: Number(process.hrtime.bigint() / 1000n) - Math.round((allUp - epoch) * 1000), toUs: Number(process.hrtime.bigint() / 1000n) };
    log(`${calls.length}/${opts.calls} calls answered in ${((allUp - epoch) / 1000).toFixed(1)} s${failures.length ? `; failures: ${failures.slice(0, 3).join('; ')}` : ''}`);
    const setupLoop = await rec.loopDelay();
    const setupPhases = await rec.setupLatency();
    if (!calls.length) throw new Error('no call was answered');

    // --- steady state: every call streaming (from 1 s after the last answer to the first call's end)
    const lastStart = Math.max(...calls.map(c => c.startTick)) * PACKET_MS + epoch;
    const firstEnd = Math.min(...calls.map(c => c.startTick + total)) * PACKET_MS + epoch;
    const steadyFrom = lastStart + 1000;
    const steadyTo = firstEnd - 500;
    let steady;
    let rssSteady = 0;
    if (steadyTo - steadyFrom >= 2000) {
      await sleep(steadyFrom - performance.now());
      const a = { cpu: procCpuMs(pid), threads: procThreadsCpu(pid), self: selfCpuMs(), t: performance.now(), us: Number(process.hrtime.bigint() / 1000n) };
      const mid = (steadyFrom + steadyTo) / 2;
      await sleep(mid - performance.now());
      rssSteady = procRssBytes(pid);
      if (opts.scrapeCost) {
        // --scrape-cost: the steady window's first half without scrapes, its second half
        // scraped back to back; the recorder's extra CPU per scrape (the steady figures of
        // this run include the scrapes)
        const m = { cpu: procCpuMs(pid), t: performance.now() };
        bursting = true;
        let n = 0;
        while (performance.now() < steadyTo) {
          await scrapeOnce();
          n++;
        }
        bursting = false;
        const e = { cpu: procCpuMs(pid), t: performance.now() };
        const quiet = (m.cpu - a.cpu) / (m.t - a.t);
        const busy = (e.cpu - m.cpu) / (e.t - m.t);
        scrapeCost = { n, quietPct: quiet * 100, busyPct: busy * 100, perScrapeMs: ((busy - quiet) * (e.t - m.t)) / n };
      }
      await sleep(steadyTo - performance.now());
      const b = { cpu: procCpuMs(pid), threads: procThreadsCpu(pid), self: selfCpuMs(), t: performance.now(), us: Number(process.hrtime.bigint() / 1000n) };
      steady = { loop: await rec.loopDelay(), ms: b.t - a.t, recorderCpuMs: b.cpu - a.cpu, threads: diffThreads(a.threads, b.threads), generatorCpuMs: b.self - a.self, fromUs: a.us, toUs: b.us };
    } else {
      log('steady window too short (calls ramp up longer than they last): steady-state figures skipped; use more --seconds or a higher --cps');
    }

    // --- BYE each call once its last packet is out
    const byes = [];
    const byeFailures = [];
    while (calls.some(c => c.next < total)) await sleep(PACKET_MS);
    await sleep(100); // last packets in flight
    running = false;
    const mediaEnd = performance.now();
    const mediaEndSnap = { cpu: procCpuMs(pid), threads: procThreadsCpu(pid), us: Number(process.hrtime.bigint() / 1000n) };
    for (const c of calls) {
      byes.push(
        client.bye(c.src).then(
          r => {
            c.byeAt = performance.now();
            if (r.status !== 200) byeFailures.push(`BYE ${c.i}: ${r.status}`);
          },
          e => byeFailures.push(e.message),
        ),
      );
    }
    await Promise.all(byes);
    const byesDone = performance.now();
    const rssEnd = procRssBytes(pid);
    for (const c of calls) c.socket.close();
    await client.close();

    // --- finalization: every conversation row leaves 'recording'
    const db = await openResultsDb(ready);
    const ids = calls.map(c => c.callId);
    const placeholders = ids.map(() => '?').join(',');
    const pendingCount = db.prepare(`SELECT COUNT(*) AS n FROM vr_conversations WHERE sip_call_id IN (${placeholders}) AND state = 'recording'`);
    const count = async (stmt, ...args) => Number((await stmt.get(...args)).n);
    const finDeadline = byesDone + 120_000 + opts.calls * opts.seconds * 20;
    let finalizedAt;
    for (;;) {
      if ((await count(pendingCount, ...ids)) === 0) {
        finalizedAt = performance.now();
        break;
      }
      if (performance.now() > finDeadline) break;
      await sleep(100);
    }
    const registered = { cpu: procCpuMs(pid), threads: procThreadsCpu(pid), t: performance.now(), us: Number(process.hrtime.bigint() / 1000n) };
    // --- the archive final: background Opus (every interim WAV of these calls replaced and
    // deleted) and, with --storage s3, uploaded (no longer staged on the recorder's disk);
    // each call's lag from its BYE to its final archive, polled every 100 ms
    const background = opts.format === 'opus' && opts.opusEncode !== 'call-end';
    const s3 = opts.storage === 's3';
    let compressedAt;
    const finalAt = new Map();
    if ((background || s3) && finalizedAt !== undefined) {
      const notFinal = db.prepare(
        `SELECT sip_call_id FROM vr_conversations WHERE sip_call_id IN (${placeholders}) AND (${[
          ...(background ? ['compress_to IS NOT NULL', 'superseded_storage_key IS NOT NULL'] : []),
          ...(s3 ? ['storage_location IS NOT NULL'] : []),
        ].join(' OR ')})`,
      );
      const deadline = performance.now() + 300_000 + opts.calls * opts.seconds * 20 + (opts.backlog ?? 0) * 1200;
      for (;;) {
        const pending = new Set((await notFinal.all(...ids)).map(r => r.sip_call_id));
        const t = performance.now();
        for (const id of ids) if (!pending.has(id) && !finalAt.has(id)) finalAt.set(id, t);
        if (pending.size === 0) {
          compressedAt = t;
          break;
        }
        if (performance.now() > deadline) break;
        await sleep(100);
      }
    } else if (finalizedAt !== undefined) {
      for (const id of ids) finalAt.set(id, finalizedAt);
    }
    const lagMs = calls.filter(c => finalAt.has(c.callId) && c.byeAt !== undefined).map(c => finalAt.get(c.callId) - c.byeAt).sort((a, b) => a - b);
    const end = { cpu: procCpuMs(pid), threads: procThreadsCpu(pid), self: selfCpuMs(), machine: machineBusyMs(), kernel: kernelThreadsCpuMs(), t: performance.now(), us: Number(process.hrtime.bigint() / 1000n) };
    const archiverEnd = archiver ? { cpu: procCpuMs(archiver.pid), threads: procThreadsCpu(archiver.pid) } : undefined;
    const s3End = s3Base ? await rec.s3Requests() : undefined;
    await sleep(pgBase ? 10_500 : 0); // every backend's statistics flushed (idle flush interval 10 s)
    const pgEnd = pgBase ? await pgStats() : undefined;
    const rows = await db.prepare(`SELECT * FROM vr_conversations WHERE sip_call_id IN (${placeholders})`).all(...ids);
    const done = background
      ? await db.prepare(`SELECT COUNT(*) AS n, COALESCE(SUM(duration_ms), 0) AS ms FROM vr_conversations WHERE compress_to IS NULL AND format LIKE 'audio/ogg%'`).get()
      : undefined;
    const opusDone = done && { n: Number(done.n), ms: Number(done.ms) };
    const backlogLeft = background && opts.backlog ? await count(db.prepare(`SELECT COUNT(*) AS n FROM vr_conversations WHERE sip_call_id LIKE 'backlog-%' AND compress_to IS NOT NULL`)) : 0;
    await db.close();

    // --- checks
    const problems = [...failures, ...byeFailures];
    if (sendErrors) problems.push(`${sendErrors} RTP send errors in the generator`);
    if (finalizedAt === undefined) problems.push('timed out waiting for the conversations to be finalized');
    if ((background || s3) && finalizedAt !== undefined && compressedAt === undefined) problems.push(`timed out waiting for the ${[background ? 'background Opus compression' : '', s3 ? 'uploads to S3' : ''].filter(Boolean).join(' and ')}`);
    const byCall = new Map(rows.map(r => [r.sip_call_id, r]));
    // --storage s3: the archives are read from the run's bucket, and must be gone from the staging directory
    let objects;
    if (s3) {
      const { S3BlobStore } = require('../plugins/voice-recording-node/src/storage/S3BlobStore');
      const { s3TestServer, s3StoreOptions } = require('../plugins/voice-recording-node/src/testing/s3TestServer.ts');
      objects = new S3BlobStore(s3StoreOptions(s3TestServer(), ready.s3Bucket));
    }
    const readObject = async key => {
      const chunks = [];
      for await (const chunk of await objects.get(key)) chunks.push(chunk);
      return Buffer.concat(chunks);
    };
    const lost = [];
    const received = [];
    let durationErrors = 0;
    let maxDurationDiff = 0;
    for (const c of calls) {
      const row = byCall.get(c.callId);
      if (!row) {
        problems.push(`call ${c.i}: no conversation row`);
        continue;
      }
      if (row.state !== 'finished') problems.push(`call ${c.i}: state ${row.state}${row.failure_reason ? ` (${row.failure_reason})` : ''}`);
      if (row.ended_by !== 'bye') problems.push(`call ${c.i}: ended by ${row.ended_by}`);
      if (!row.storage_key) {
        problems.push(`call ${c.i}: no archive`);
        continue;
      }
      const file = path.join(ready.archiveDir, ...row.storage_key.split('/'));
      let buf;
      try {
        if (s3) {
          if (row.storage_location) throw new Error(`still ${row.storage_location}`);
          if (fs.existsSync(file)) throw new Error(`uploaded, but its staged file ${file} is still there`);
          buf = await readObject(row.storage_key);
        } else {
          buf = fs.readFileSync(file);
        }
      } catch (e) {
        problems.push(`call ${c.i}: archive ${file} unreadable: ${e.message}`);
        continue;
      }
      const sha = crypto.createHash('sha256').update(buf).digest('hex');
      if (sha !== row.sha256) problems.push(`call ${c.i}: sha256 of ${file} is ${sha}, the row says ${row.sha256}`);
      if (buf.length !== Number(row.bytes)) problems.push(`call ${c.i}: ${buf.length} bytes on disk, the row says ${row.bytes}`);
      const fileMs = String(row.format).startsWith('audio/ogg') ? oggDurationMs(buf) : wavDurationMs(buf);
      if (background) {
        if (!String(row.format).startsWith('audio/ogg')) problems.push(`call ${c.i}: still stored as ${row.format}`);
        else if (fs.existsSync(file.replace(/\.opus$/, '.wav'))) problems.push(`call ${c.i}: the interim WAV of ${file} was not deleted`);
        else if (s3 && (await objects.stat(row.storage_key.replace(/\.opus$/, '.wav')))) problems.push(`call ${c.i}: the interim WAV of ${row.storage_key} is still in the bucket`);
      }
      const rowMs = Number(row.duration_ms);
      const wallMs = c.byeAt - c.invitedAt; // upper bound: INVITE sent → BYE answered
      const audioMs = opts.seconds * 1000;
      // the recording spans the call: at least the audio sent, at most the wall time + slack
      const diff = Math.abs(fileMs - rowMs);
      maxDurationDiff = Math.max(maxDurationDiff, diff);
      if (diff > 25 || rowMs < audioMs - 40 || rowMs > wallMs + 250) {
        durationErrors++;
        if (durationErrors <= 5) problems.push(`call ${c.i}: duration row ${rowMs} ms, file ${fileMs.toFixed(0)} ms, audio ${audioMs} ms, wall ${wallMs.toFixed(0)} ms`);
      }
      const q = row.quality ? JSON.parse(row.quality) : undefined;
      if (!q?.channels?.length) {
        problems.push(`call ${c.i}: no quality figures`);
        continue;
      }
      for (const ch of q.channels) {
        lost.push(ch.packetsLost);
        received.push(ch.packetsReceived);
        if (ch.packetsReceived !== total) {
          if (problems.length < 40) problems.push(`call ${c.i} channel ${ch.channel}: received ${ch.packetsReceived} of ${total} (lost ${ch.packetsLost})`);
        }
      }
    }
    if (durationErrors > 5) problems.push(`… ${durationErrors} calls with wrong durations in all`);

    // storage of the archives as stored (Opus, or the lossless WAV)
    let archiveBytes = 0;
    let archiveMs = 0;
    for (const r of rows) {
      if (!r.storage_key) continue;
      archiveBytes += Number(r.bytes);
      archiveMs += Number(r.duration_ms);
    }

    if (scraper) {
      clearInterval(scraper);
      await scrapeOnce();
    }
    objects?.destroy();
    await stopArchiver();
    stopped = true;
    await rec.stop();
    // the quality gate of the Opus settings on this run's audio, after the recorder stopped
    const writer = {
      complexity: opts.opusComplexity ?? 0,
      layer: opusLayerOf(opts),
      bitrate: opusBitrateOf(opts),
      frameMs: opts.opusFrameMs ?? 60,
      skipSilence: opts.opusSkipSilence === undefined ? true : opts.opusSkipSilence === 'on',
    };
    const gate = opts.format === 'opus' ? qualityGateFigures(conversations ? [conversations[0].left, conversations[0].right] : audio.map(a => Buffer.concat(Array(8).fill(a))), opts.codec, writer) : undefined;
    const prof = opts.profile
      ? {
          all: topProfile(dir),
          invites: topProfile(dir, rampWindow),
          steady: steady && topProfile(dir, steady),
          bye: topProfile(dir, { fromUs: mediaEndSnap.us, toUs: registered.us }),
          archive: topProfile(dir, { fromUs: registered.us, toUs: end.us }),
        }
      : undefined;

    // --- figures
    const callSecondsAll = calls.reduce((a, c) => a + ((c.byeAt ?? mediaEnd) - c.answeredAt) / 1000, 0);
    const allIn = (end.cpu - base.cpu) / callSecondsAll;
    // background Opus: the nice-19 encoder threads' CPU is not on the calls' path
    const encoderMs = end.threads.encoder - base.threads.encoder;
    const realTime = (end.cpu - base.cpu - encoderMs) / callSecondsAll;
    const steadyEncoderMs = steady ? steady.threads.encoder : 0;
    const steadyPerCallSecond = steady ? (steady.recorderCpuMs - steadyEncoderMs) / ((steady.ms / 1000) * calls.length) : NaN;
    const inv = [...inviteMs].sort((a, b) => a - b);
    const lg = lags.slice(5).sort((a, b) => a - b);
    const lostTotal = lost.reduce((a, b) => a + b, 0);
    const finMs = finalizedAt !== undefined ? finalizedAt - byesDone : NaN;
    const rssPerCall = ((rssSteady || rssEnd) - base.rss) / calls.length;
    const wallAll = (end.t - base.t) / 1000;
    const f1 = v => (Number.isFinite(v) ? v.toFixed(1) : '-');
    const f2 = v => (Number.isFinite(v) ? v.toFixed(2) : '-');
    const rows2 = [
      ['calls answered / placed', `${calls.length} / ${opts.calls}`],
      ['packets sent (2 streams × calls × ' + total + ')', `${packetsSent}`],
      ['packets lost (sum of channels)', `${lostTotal}  (max per channel ${Math.max(0, ...lost)}, channels with loss ${lost.filter(x => x > 0).length}/${lost.length})`],
      [
        'recorder CPU, steady state',
        steady
          ? `${f2(steadyPerCallSecond)} ms per call-second  (${f1(((steady.recorderCpuMs - steadyEncoderMs) / steady.ms) * 100)} % of a core for ${calls.length} calls${
              steadyEncoderMs ? `; background encoders meanwhile ${f1((steadyEncoderMs / steady.ms) * 100)} %` : ''
            })`
          : '-',
      ],
      ['  → calls per core (media only)', f1(1000 / steadyPerCallSecond)],
      [
        '  steady CPU by thread / user+sys (% of a core)',
        steady
          ? ['main', 'libuv', 'v8', 'rtp', 'encoder', 'other', 'user', 'system'].map(k => `${k} ${f1((steady.threads[k] / steady.ms) * 100)}`).join(', ')
          : '-',
      ],
      ...(background
        ? [
            [
              'recorder CPU, real-time path (setup+media+BYE+WAV)',
              `${f2(realTime)} ms per call-second  (${f1((end.cpu - base.cpu - encoderMs) / 1000)} s CPU over ${f1(callSecondsAll)} call-seconds; the event loop's share of the compression included)`,
            ],
            ['  → calls per core (real time)', f1(1000 / realTime)],
            [
              '  real-time CPU by phase (s)',
              [
                ['set-up', base, upSnap],
                ['streaming', upSnap, mediaEndSnap],
                ['BYE → WAV', mediaEndSnap, registered],
                ['compression, event loop', registered, end],
              ]
                .map(([k, a, b]) => `${k} ${f1((b.cpu - a.cpu - (b.threads.encoder - a.threads.encoder)) / 1000)}`)
                .join(', '),
            ],
            [
              '  compression phase by thread (s)',
              ['main', 'libuv', 'v8', 'other', 'encoder'].map(k => `${k} ${f1((end.threads[k] - registered.threads[k]) / 1000)}`).join(', ') +
                ` (process ${f1((end.cpu - registered.cpu) / 1000)})`,
            ],
            [
              '  real-time CPU by thread (s)',
              ['main', 'libuv', 'v8', 'rtp', 'other'].map(k => `${k} ${f1((end.threads[k] - base.threads[k]) / 1000)}`).join(', ') +
                ' (threads that exited are missing here)',
            ],
            [
              '  per call beyond steady media',
              steady ? `${f1((end.cpu - base.cpu - encoderMs - steadyPerCallSecond * callSecondsAll) / calls.length)} ms CPU (set-up, BYE, WAV, registration, compression's event-loop share)` : '-',
            ],
            [
              'background Opus encoders (nice 19)',
              `${f1(encoderMs / 1000)} s CPU for ${opusDone.n} archives / ${f1(opusDone.ms / 1000)} call-seconds = ${f2(encoderMs / (opusDone.ms / 1000))} ms per call-second${
                opts.backlog ? ` (${opts.backlog} backlog archives of 60 s included; ${backlogLeft} left)` : ''
              }`,
            ],
            [
              'recorder CPU, all-in incl. Opus',
              opts.backlog
                ? `${f2((end.cpu - base.cpu - encoderMs) / callSecondsAll + encoderMs / (opusDone.ms / 1000))} ms per call-second (real time + encoders per call-second)`
                : `${f2(allIn)} ms per call-second  (${f1((end.cpu - base.cpu) / 1000)} s CPU over ${f1(callSecondsAll)} call-seconds)`,
            ],
            ['finalization (last BYE → all registered as WAV)', `${f2(finMs / 1000)} s for ${calls.length} calls (${f1(finMs / calls.length)} ms per call)`],
            ['compression (last BYE → all stored as Opus)', `${f2((compressedAt - byesDone) / 1000)} s`],
          ]
        : [
            ['recorder CPU, all-in (setup+media+BYE+archive)', `${f2(allIn)} ms per call-second  (${f1((end.cpu - base.cpu) / 1000)} s CPU over ${f1(callSecondsAll)} call-seconds)`],
            ['  → calls per core (all-in)', f1(1000 / allIn)],
          ]),
      [
        `call end (BYE) → archive final${background ? ' compressed' : ''}${background && s3 ? ' +' : ''}${s3 ? ' uploaded' : ''} p50 / p95 / max`,
        lagMs.length
          ? `${f2(pct(lagMs, 50) / 1000)} / ${f2(pct(lagMs, 95) / 1000)} / ${f2(lagMs[lagMs.length - 1] / 1000)} s for ${lagMs.length} calls (BYEs within ${f2(
              (Math.max(...calls.map(c => c.byeAt ?? 0)) - Math.min(...calls.map(c => c.byeAt ?? Infinity))) / 1000,
            )} s; last BYE → all final ${f2(((compressedAt ?? finalizedAt) - byesDone) / 1000)} s${s3 ? `; storage ${opts.storage}, bucket ${ready.s3Bucket}` : ''})`
          : '-',
      ],
      ...(pgBase
        ? [
            [
              'PostgreSQL per call (the run\'s database, pg_stat_database)',
              (() => {
                const d = k => (pgEnd[k] - pgBase[k]) / calls.length;
                const byTable = Object.keys(pgEnd.tables)
                  .map(k => [k, (pgEnd.tables[k] - (pgBase.tables[k] ?? 0)) / calls.length])
                  .filter(([, v]) => v > 0)
                  .sort((a, b) => b[1] - a[1]);
                return `${f1(d('xact_commit'))} commits (${f1(d('xact_rollback'))} rollbacks), rows inserted ${f1(d('tup_inserted'))}, updated ${f1(d('tup_updated'))}, deleted ${f1(d('tup_deleted'))}; rows read ${f1(d('tup_fetched'))} fetched / ${f1(d('tup_returned'))} returned (set-up to final archive, background tasks included); rows written by table: ${byTable
                  .slice(0, 8)
                  .map(([k, v]) => `${k} ${f1(v)}`)
                  .join(', ')}`;
              })(),
            ],
          ]
        : []),
      ...(s3End
        ? [
            [
              'S3 requests per call (the recorder\'s)',
              (() => {
                const names = [...new Set([...Object.keys(s3Base), ...Object.keys(s3End)])].sort();
                const per = names.map(n => [n.replace(/Command$/, ''), ((s3End[n] ?? 0) - (s3Base[n] ?? 0)) / calls.length]).filter(([, v]) => v > 0);
                return `${f2(per.reduce((a, [, v]) => a + v, 0))}: ${per.map(([n, v]) => `${n} ${f2(v)}`).join(', ')} (set-up to final archive, probes included)`;
              })(),
            ],
          ]
        : []),
      ...(archiverEnd
        ? [
            [
              `archiver process (CPU ${opts.archiverCpu}): CPU per call-second compressed`,
              (() => {
                const total = archiverEnd.cpu - archiverBase.cpu;
                const enc = archiverEnd.threads.encoder - archiverBase.threads.encoder;
                const s = opusDone.ms / 1000;
                return `${f2(total / s)} ms (libopus threads ${f2(enc / s)}, the rest ${f2((total - enc) / s)}: claims, S3 or file reads and writes, database, audit); ${f1(total / 1000)} s CPU for ${opusDone.n} archives of ${f1(s)} call-seconds`;
              })(),
            ],
          ]
        : []),
      ['generator CPU, steady state', steady ? `${f1((steady.generatorCpuMs / steady.ms) * 100)} % of a core` : '-'],
      ['generator CPU, whole run', `${f1(((end.self - base.self) / 1000 / wallAll) * 100)} % of a core; recorder ${f1(((end.cpu - base.cpu) / 1000 / wallAll) * 100)} % (wall ${f1(wallAll)} s)`],
      [
        'recorder + kernel threads, all-in',
        `${f2((end.cpu - base.cpu + end.kernel - base.kernel) / callSecondsAll)} ms per call-second → ${f1(callSecondsAll / ((end.cpu - base.cpu + end.kernel - base.kernel) / 1000) )} calls per core (the kernel's own threads: ${f1((end.kernel - base.kernel) / 1000)} s, writeback of the recorder's files among them)`,
      ],
      [
        'machine CPU beyond the generator',
        `${f2((end.machine - base.machine - (end.self - base.self)) / callSecondsAll)} ms per call-second: the recorder's all-in plus the kernel's own threads (writeback of its files, softirqs) and anything else running (${f1((end.machine - base.machine - (end.self - base.self) - (end.cpu - base.cpu)) / 1000)} s beyond the recorder's ${f1((end.cpu - base.cpu) / 1000)} s)`,
      ],
      ['generator send lag per tick p50 / p99 / max', `${f2(pct(lg, 50))} / ${f2(pct(lg, 99))} / ${f2(lg[lg.length - 1])} ms`],
      ['INVITE → 200 OK p50 / p99 / max', `${f1(pct(inv, 50))} / ${f1(pct(inv, 99))} / ${f1(inv[inv.length - 1])} ms`],
      ...(opts.metrics
        ? [
            [
              'metrics (--metrics): Prometheus scrapes',
              (() => {
                const sc = [...scrapes].sort((a, b) => a - b);
                const metric = name => lastScrape.match(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm'))?.[1] ?? '-';
                return `${sc.length} every ${opts.scrapeSeconds ?? 5} s, p50 / max ${f1(pct(sc, 50))} / ${f1(sc[sc.length - 1])} ms; last: INVITE 200 ${
                  lastScrape.match(/^mvr_recorder_invites_total\{code="200"[^}]*\} (\S+)$/m)?.[1] ?? '-'
                }, RTP received ${metric('mvr_recorder_rtp_packets_received_total')}, lost ${metric('mvr_recorder_rtp_packets_lost_total')}, set-ups ${metric('mvr_recorder_call_setup_seconds_count')}`;
              })(),
            ],
            ...(scrapeCost
              ? [
                  [
                    '  scrape cost (--scrape-cost, steady state)',
                    `${f2(scrapeCost.perScrapeMs)} ms recorder CPU per scrape with ${calls.length} calls (${scrapeCost.n} scrapes back to back: ${f1(scrapeCost.busyPct)} % of a core vs ${f1(
                      scrapeCost.quietPct,
                    )} % without); one scrape per 15 s = ${f2(scrapeCost.perScrapeMs / 150)} % of a core`,
                  ],
                ]
              : []),
          ]
        : []),
      [
        '  in the recorder p50 / p99 / max',
        `${f1(setupPhases.total.p50)} / ${f1(setupPhases.total.p99)} / ${f1(setupPhases.total.max)} ms; p99 by phase: ${Object.entries(setupPhases.phases)
          .map(([k, v]) => `${k} ${f1(v.p99)}`)
          .join(', ')} (session: row insert ${f1(setupPhases.sessionWaits.row.p99)}, journal ${f1(setupPhases.sessionWaits.journal.p99)}, in parallel)`,
      ],
      [
        '  journal files made ahead (spares)',
        `${setupPhases.spares.taken} set-ups took a spare, ${setupPhases.spares.missed} made their own (pool of ${setupPhases.spares.target}; ${setupPhases.spares.made} made, ${setupPhases.spares.failures} failures)`,
      ],
      [
        '  slowest set-ups (ms by phase)',
        setupPhases.slowest
          .slice(0, 3)
          .map(s => `${f1(s.total)} = ${Object.entries(s.phases).filter(([, v]) => v >= 0.5).map(([k, v]) => `${k} ${f1(v)}`).join(' + ')}`)
          .join('; '),
      ],
      [
        'recorder event-loop delay p50 / p99 / max',
        `set-up ${setupLoop.p50} / ${setupLoop.p99} / ${setupLoop.max} ms${steady ? `; steady (since) ${steady.loop.p50} / ${steady.loop.p99} / ${steady.loop.max} ms` : ''}`,
      ],
      ['recorder RSS idle → loaded', `${f1(base.rss / 1048576)} → ${f1((rssSteady || rssEnd) / 1048576)} MB = ${f1(rssPerCall / 1024)} KB per call`],
      ...(background ? [] : [['finalization (last BYE → all archived)', `${f2(finMs / 1000)} s for ${calls.length} calls (${f1(finMs / calls.length)} ms per call)`]]),
      ['audio', conversations ? `conversations (espeak-ng speech, ${CONVERSATIONS} × ${CONVERSATION_SECONDS} s, looped): speech share per side ${conversations.map(c => c.speechShare.map(x => `${(x * 100).toFixed(0)} %`).join(' / ')).join(', ')}; double talk ${conversations.map(c => `${c.doubleTalkSeconds.toFixed(1)} s`).join(', ')} per minute${opts.noiseDbfs !== undefined ? `; background noise ${opts.noiseDbfs} dBFS` : ''}` : 'continuous signal (8 s of voiced harmonics, looped)'],
      ['archive storage', `${f2((archiveBytes / (archiveMs / 1000)) * 3.6 / 1000)} MB per hour of call (${f1(archiveBytes / 1048576)} MiB for ${f1(archiveMs / 1000)} s)`],
      ...(gate
        ? [
            [
              `quality gate (Opus ${writer.layer.toUpperCase()} ${writer.bitrate} bit/s, ${writer.frameMs} ms, silence ${writer.skipSilence ? 'skipped' : 'encoded'}, vs lossless, 60 s)`,
              gate.channels
                .map((ch, k) => `${k ? 'right' : 'left'}: correlation ${ch.correlation.toFixed(3)}, ${ch.onsets} onsets worst ${ch.worstOnsetDb.toFixed(1)} dB, pauses max ${ch.pauseMaxDeviationDb.toFixed(1)} dB (${ch.pauseWindowsBelow6Db}/${ch.pauseWindows} windows > 6 dB below), encoder on ${(ch.encodedShare * 100).toFixed(0)} % of frames`)
                .join('; ') + `; ${f2(gate.mbPerHour)} MB/h, writer ${f2(gate.encodeMsPerSecond)} ms per call-second in the generator`,
            ],
          ]
        : []),
      ['archives checked (state, sha256, bytes, duration)', `${rows.length} rows, max |file − row| duration ${f1(maxDurationDiff)} ms`],
    ];
    console.log(`\nSIPREC recorder load (${opts.calls} calls × ${opts.seconds} s, ${opts.audio}, ${opts.codec}, archive ${opts.format}${opts.format === 'opus' ? ` (${background ? 'background' : 'at call end'}, encoder threads ${opts.opusThreads ?? 'default'}, complexity ${opts.opusComplexity ?? 'default'}, frames ${opts.opusFrameMs ?? 'default'} ms, skip silence ${opts.opusSkipSilence ?? 'default'}, layer ${opusLayerOf(opts)}${opts.opusLayer === undefined ? ' (default)' : ''}, bitrate ${opusBitrateOf(opts)}${opts.opusBitrate === undefined ? ' (default)' : ''} bit/s, libopus ${opusEncoderImplementation()})` : ''}, ${opts.database === 'postgres' ? 'PostgreSQL (server on the other core)' : `SQLite ${opts.sqlite}`}, ${os.cpus().length} cores${opts.recorderCpu !== undefined ? `, recorder pinned to CPU ${opts.recorderCpu}` : ''}, RTP ${opts.rtpPhases === 1 ? 'in one burst per 20 ms' : `spread over ${opts.rtpPhases} phases of 20 ms`}, V8 pool ${opts.v8PoolSize}, RTP received by ${opts.rtpReceive ?? '?'}, journals ${opts.journalSyncUsed ?? '?'}, Node ${process.version})`);
    const w = Math.max(...rows2.map(r => r[0].length));
    for (const [k, v] of rows2) console.log(`  ${k.padEnd(w)}  ${v}`);
    for (const [what, p] of Object.entries(prof ?? {})) {
      if (!p?.top?.length) continue;
      console.log(`\nrecorder CPU profile, ${{ all: 'whole run (start-up included)', invites: 'while the calls are set up', steady: 'steady state only', bye: 'BYE → WAV registered', archive: 'WAV registered → archive final' }[what]} (${p.file}, ${f1(p.totalMs / 1000)} s), top self time:`);
      for (const t of p.top) console.log(`  ${f1(t.ms).padStart(9)} ms ${(t.share * 100).toFixed(1).padStart(5)} %  ${t.fn}`);
    }
    const perCore = 1000 / (background ? realTime : allIn);
    const targetChecked = calls.length >= TARGET.callsPerCore;
    const met = perCore >= TARGET.callsPerCore && lostTotal === 0 && pct(inv, 99) < TARGET.inviteP99Ms;
    console.log(
      `\ntarget ≥ ${TARGET.callsPerCore} calls/core (${background ? 'real-time path, Opus in the background' : 'all-in'}), 0 lost, INVITE p99 < ${TARGET.inviteP99Ms} ms: ${met ? 'MET' : 'NOT MET'}${
        targetChecked ? '' : ` (indicative: run with --calls ${TARGET.callsPerCore} for the real load)`
      }`,
    );
    if (problems.length) {
      console.log(`\n${problems.length} problem(s):`);
      for (const p of problems.slice(0, 40)) console.log(`  - ${p}`);
    } else {
      console.log('all checks passed');
    }
    if (problems.length || (targetChecked && !met)) process.exitCode = 1;
  } finally {
    await stopArchiver();
    if (!stopped) await rec.stop();
    if (!opts.keep && !opts.profile) fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch(e => {
  console.error(e?.stack ?? e);
  process.exit(1);
});
