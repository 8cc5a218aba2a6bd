#!/usr/bin/env node
/*
 * The cluster test of issue 20 (docs/deployment.md): on loopback, Kamailio
 * (deploy/kamailio/kamailio.cfg, scripts/kamailio.sh) in front of three recorder processes
 * (packages/backend/src/recorder.ts + app-config.recorder.yaml), two portal-only processes
 * (packages/backend/src/index.ts with voiceRecording.recorder.enabled false), one fresh
 * PostgreSQL database set per run and, with MVR_CLUSTER_STORAGE=s3 (the default), its own
 * Ceph RADOS Gateway (scripts/rgw.sh) as the recordings' object store.
 *
 *   node scripts/cluster-test.js          (scripts/test.sh runs it; exit code 1 on any failure)
 *
 * Phases, each checked, with a summary of figures at the end:
 *   A. MVR_CLUSTER_CALLS (300) SIPREC calls through Kamailio (real RTP, straight to the
 *      recorder the SDP answer names): every call recorded exactly once (conversations
 *      counted by Call-ID), spread over the three recorders (capture_instance), every
 *      archive stored (S3: the object exists) and played through either portal with the
 *      row's SHA-256 and size (a signed-in admin's token from portal 1 used on both).
 *   B. Under load, `kill -9` of one recorder: how many calls got no recorder (no 200)
 *      while the dispatcher took it out (printed), then the recorder restarted: its calls
 *      are recovered from its journals, every answered call has exactly one conversation.
 *   C. Under load, SIGTERM of another recorder: it drains (OPTIONS 503, new calls go to the
 *      others) and exits once its calls ended by their BYE: 0 calls cut.
 *
 * Ports (fixed, see the lead's plan): Kamailio 5070, recorders SIP 5071-5073, RTP
 * 43000-44499 in three ranges, HTTP 7321-7323, portals 7331-7332, metrics 9471-9475,
 * RGW 17500 (mon 13320, OSD 17000-17099).
 * Environment: MVR_CLUSTER_CALLS, MVR_CLUSTER_CPS (calls started per second, 20),
 * MVR_CLUSTER_FAULT_CPS (the same during the kill -9 and drain phases, 10),
 * MVR_CLUSTER_CALL_SECONDS (audio per call, 2), MVR_CLUSTER_STORAGE (s3|local),
 * MVR_CLUSTER_KEEP=1 (keep the logs and data directory), MVR_TEST_POSTGRES_CONNECTION.
 */
require('@backstage/cli/config/nodeTransform.cjs');
const { spawn, execFileSync } = require('node:child_process');
const crypto = require('node:crypto');
const dgram = require('node:dgram');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { Client } = require('pg');
const { SrcClient } = require('../plugins/voice-recording-backend-module-siprec/src/testing/SrcClient');
const { buildOfferSdp, buildMetadata } = require('../plugins/voice-recording-backend-module-siprec/src/testing/siprecMessages');
const { encodeAlaw } = require('../plugins/voice-recording-backend-module-siprec/src/codecs');
const { serializeRtpPacket } = require('../plugins/voice-recording-backend-module-siprec/src/rtp/packet');

const ROOT = path.resolve(__dirname, '..');
const BACKEND_DIR = path.join(ROOT, 'packages/backend');
const NODE_TRANSFORM = require.resolve('@backstage/cli/config/nodeTransform.cjs');

const CALLS = Number(process.env.MVR_CLUSTER_CALLS ?? 300);
const CPS = Number(process.env.MVR_CLUSTER_CPS ?? 20);
const CALL_SECONDS = Number(process.env.MVR_CLUSTER_CALL_SECONDS ?? 2);
/** calls started per second during the kill -9 and drain phases */
const FAULT_CPS = Number(process.env.MVR_CLUSTER_FAULT_CPS ?? 10);
const STORAGE = (process.env.MVR_CLUSTER_STORAGE ?? 's3').toLowerCase();
const KEEP = process.env.MVR_CLUSTER_KEEP === '1';
const PG_URL = process.env.MVR_TEST_POSTGRES_CONNECTION ?? process.env.BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING ?? 'postgresql://postgres@127.0.0.1:5432';

const KAMAILIO = { address: '127.0.0.1', port: 5070 };
const RECORDERS = [1, 2, 3].map(n => ({
  n,
  id: `cluster-recorder-${n}`,
  sipPort: 5070 + n,
  rtp: { min: 43000 + (n - 1) * 500, max: 43000 + n * 500 - 1 },
  httpPort: 7320 + n,
  metricsPort: 9470 + n,
}));
const PORTALS = [1, 2].map(n => ({ n, httpPort: 7330 + n, metricsPort: 9473 + n }));
const RGW = { dir: '/tmp/mvr-rgw-h4', port: 17500, monPort: 13320, osdPorts: 17000 };
const RECORDED = '+32470000777';
const OTHER = '+32499000777';

const RUN = crypto.randomBytes(3).toString('hex');
const PREFIX = `mvr_cluster_${RUN}_`;
const DIR = fs.mkdtempSync(path.join(os.tmpdir(), 'mvr-cluster-'));
const KAMAILIO_DIR = path.join(DIR, 'kamailio');
const BUCKET = `mvr-cluster-${RUN}`;

const t0 = Date.now();
const since = () => `${((Date.now() - t0) / 1000).toFixed(1)} s`;
const log = m => console.log(`[cluster ${since()}] ${m}`);
const sleep = ms => new Promise(r => setTimeout(r, ms));
const failures = [];
/** a failed check: recorded, printed, and the run ends with exit code 1 */
function check(ok, what) {
  if (ok) return true;
  failures.push(what);
  console.log(`[cluster ${since()}] FAILED: ${what}`);
  return false;
}

async function waitFor(what, fn, timeoutMs, everyMs = 200) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false && v !== null) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

/* ------------------------------------------------------------------ processes */

const procs = new Map();

function yaml(obj, indent = '') {
  // JSON is YAML: one flow mapping per file
  return indent + JSON.stringify(obj, null, 2);
}

function baseConfig(httpPort) {
  const pg = new URL(PG_URL);
  return {
    backend: {
      baseUrl: `http://127.0.0.1:${httpPort}`,
      listen: { host: '127.0.0.1', port: httpPort },
      database: {
        client: 'pg',
        prefix: PREFIX,
        connection: {
          host: pg.hostname,
          port: Number(pg.port || 5432),
          user: decodeURIComponent(pg.username || 'postgres'),
          password: decodeURIComponent(pg.password || ''),
        },
      },
    },
  };
}

function storageConfig(localDir) {
  if (STORAGE === 's3') {
    return {
      // app-config.recorder.yaml names a local directory: null removes it (local or s3, not both)
      local: null,
      s3: {
        bucket: BUCKET,
        endpoint: `http://127.0.0.1:${RGW.port}`,
        region: 'us-east-1',
        forcePathStyle: true,
        credentials: { accessKeyId: process.env.MVR_TEST_S3_ACCESS_KEY_ID, secretAccessKey: process.env.MVR_TEST_S3_SECRET_ACCESS_KEY },
      },
    };
  }
  return { local: { directory: localDir } };
}

const encryption = {
  enabled: true,
  activeKeyId: 'cluster-1',
  keys: [{ id: 'cluster-1', keyFile: path.join(DIR, 'keys/cluster-1.key'), createIfMissing: true }],
};

function portalConfig(p) {
  const c = baseConfig(p.httpPort);
  c.app = { baseUrl: `http://127.0.0.1:${p.httpPort}` };
  c.backend.cors = { origin: `http://127.0.0.1:${p.httpPort}` };
  c.voiceRecording = {
    demoData: { file: path.join(DIR, 'numbers.yaml') },
    storage: storageConfig(path.join(DIR, 'recordings')),
    encryption,
    // portal-only: the plugin without its recorder
    recorder: { enabled: false },
  };
  return c;
}

function recorderConfig(r) {
  const c = baseConfig(r.httpPort);
  c.voiceRecording = {
    storage: storageConfig(path.join(DIR, 'recordings')),
    encryption,
    recorder: {
      rtp: { portMin: r.rtp.min, portMax: r.rtp.max, inactivityTimeoutSeconds: 30 },
      drain: { timeoutSeconds: 60 },
      storage: { minFreeMegabytes: 16 },
    },
  };
  return c;
}

function start(name, entry, configs, env) {
  const file = path.join(DIR, `${name}.yaml`);
  fs.writeFileSync(file, yaml(configs.extra));
  const out = fs.openSync(path.join(DIR, `${name}.log`), 'a');
  const args = [
    '--require',
    path.join(BACKEND_DIR, 'instrumentation.js'),
    '--require',
    NODE_TRANSFORM,
    entry,
    ...configs.files.flatMap(f => ['--config', f]),
    '--config',
    file,
  ];
  const childEnv = { ...process.env, NODE_ENV: 'development', ...env };
  delete childEnv.JEST_WORKER_ID;
  const child = spawn(process.execPath, args, { cwd: BACKEND_DIR, env: childEnv, stdio: ['ignore', out, out] });
  fs.closeSync(out);
  const p = { name, child, exit: new Promise(resolve => child.once('exit', (code, signal) => resolve({ code, signal }))), exited: false };
  p.exit.then(() => (p.exited = true));
  procs.set(name, p);
  return p;
}

const logOf = name => {
  try {
    return fs.readFileSync(path.join(DIR, `${name}.log`), 'utf8');
  } catch {
    return '';
  }
};

async function ready(p, httpPort, timeoutMs = 120_000) {
  await waitFor(
    `${p.name} to be ready on port ${httpPort}`,
    async () => {
      if (p.exited || /Backend startup failed/.test(logOf(p.name))) throw new Error(`${p.name} did not start; its log:\n${logOf(p.name).slice(-4000)}`);
      const r = await fetch(`http://127.0.0.1:${httpPort}/.backstage/health/v1/readiness`).catch(() => undefined);
      return r?.status === 200;
    },
    timeoutMs,
    500,
  );
}

function startPortal(p) {
  return start(`portal-${p.n}`, 'src/index.ts', { files: [path.join(ROOT, 'app-config.yaml')], extra: portalConfig(p) }, {
    MVR_METRICS_PORT: String(p.metricsPort),
  });
}

function startRecorder(r) {
  const proc = start(
    `recorder-${r.n}`,
    'src/recorder.ts',
    { files: [path.join(ROOT, 'app-config.yaml'), path.join(ROOT, 'app-config.recorder.yaml')], extra: recorderConfig(r) },
    {
      MVR_RECORDER_ID: r.id,
      MVR_RECORDER_SIP_PORT: String(r.sipPort),
      MVR_RECORDER_HTTP_PORT: String(r.httpPort),
      MVR_RECORDER_BASE_URL: `http://127.0.0.1:${r.httpPort}`,
      MVR_JOURNAL_DIR: path.join(DIR, `journal-${r.n}`),
      // the archive directory: with S3 the recorder's local staging (uploads from there),
      // without it the directory every process shares
      MVR_RECORDINGS_DIR: STORAGE === 's3' ? path.join(DIR, `staging-${r.n}`) : path.join(DIR, 'recordings'),
      MVR_PORTAL_URL: `http://127.0.0.1:${PORTALS[0].httpPort}`,
      MVR_METRICS_PORT: String(r.metricsPort),
      // the recorder entry's own v8 pool (package.json start:recorder)
      NODE_OPTIONS: [process.env.NODE_OPTIONS, '--v8-pool-size=1'].filter(Boolean).join(' '),
    },
  );
  r.proc = proc;
  return proc;
}

async function recorderListening(r, timeoutMs = 120_000) {
  await waitFor(
    `recorder ${r.n} to listen on SIP ${r.sipPort}`,
    () => {
      const text = logOf(`recorder-${r.n}`);
      if (r.proc.exited || text.split('Backend startup failed').length - 1 > (r.failedStarts ?? 0)) {
        throw new Error(`recorder ${r.n} did not start; its log:\n${text.slice(-4000)}`);
      }
      const starts = text.split('SIPREC recorder listening on').length - 1;
      return starts >= (r.starts ?? 0) + 1;
    },
    timeoutMs,
    300,
  );
  r.starts = (r.starts ?? 0) + 1;
}

async function stopAll() {
  for (const p of procs.values()) {
    if (!p.exited) p.child.kill('SIGKILL');
  }
  await Promise.all([...procs.values()].map(p => p.exit));
}

function sh(script, args, env = {}) {
  return execFileSync('bash', [path.join(ROOT, 'scripts', script), ...args], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
}

const kamailioEnv = () => ({
  MVR_KAMAILIO_DIR: KAMAILIO_DIR,
  MVR_KAMAILIO_ADDRESS: KAMAILIO.address,
  MVR_KAMAILIO_PORT: String(KAMAILIO.port),
  MVR_KAMAILIO_RECORDERS: RECORDERS.map(r => `127.0.0.1:${r.sipPort}`).join(' '),
});
const rgwEnv = () => ({ MVR_RGW_DIR: RGW.dir, MVR_RGW_PORT: String(RGW.port), MVR_RGW_MON_PORT: String(RGW.monPort), MVR_RGW_OSD_PORTS: String(RGW.osdPorts) });

/** Recorder states as Kamailio's dispatcher sees them: { port: flags } */
function dispatcherState() {
  const out = execFileSync('kamcmd', ['-s', `unix:${KAMAILIO_DIR}/kamailio_ctl`, 'dispatcher.list'], { encoding: 'utf8' });
  const state = {};
  const re = /URI: sip:127\.0\.0\.1:(\d+)[^\n]*\n\s*FLAGS: (\w+)/g;
  for (let m; (m = re.exec(out)); ) state[m[1]] = m[2];
  return state;
}

/* ------------------------------------------------------------------ database, S3 */

let vrDb;

/** PG_URL with this database (a connection string's own database wins over the `database` option) */
function dbUrl(database) {
  const u = new URL(PG_URL);
  u.pathname = `/${encodeURIComponent(database)}`;
  return u.toString();
}

async function query(sql, params) {
  return (await vrDb.query(sql, params)).rows;
}

async function dropDatabases() {
  const c = new Client({ connectionString: dbUrl('postgres') });
  await c.connect();
  try {
    const rows = (await c.query('select datname from pg_database where datname like $1', [`${PREFIX}%`])).rows;
    for (const { datname } of rows) await c.query(`drop database if exists "${datname}" with (force)`);
  } finally {
    await c.end();
  }
}

let s3;
async function s3Client() {
  const { S3Client } = require('@aws-sdk/client-s3');
  return new S3Client({
    endpoint: `http://127.0.0.1:${RGW.port}`,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: process.env.MVR_TEST_S3_ACCESS_KEY_ID, secretAccessKey: process.env.MVR_TEST_S3_SECRET_ACCESS_KEY },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

/* ------------------------------------------------------------------ calls */

/** One 20 ms timer sends every active call's two RTP packets (like bench/recorderLoad.js). */
class RtpPump {
  constructor() {
    this.sock = dgram.createSocket('udp4');
    this.active = new Set();
    const pcm = new Int16Array(160);
    this.payloads = [440, 620].map(f => {
      for (let i = 0; i < 160; i++) pcm[i] = Math.round(8000 * Math.sin((2 * Math.PI * f * i) / 8000));
      return Buffer.from(encodeAlaw(pcm));
    });
    this.started = Date.now();
    this.tick = 0;
    this.timer = setInterval(() => this.onTick(), 20);
  }
  /** streams `packets` packets to both ports; resolves when sent */
  add(ports, packets) {
    return new Promise(resolve => {
      this.active.add({ ports, packets, sent: 0, seq: crypto.randomInt(0, 30000), ts: crypto.randomInt(0, 2 ** 30), ssrc: [crypto.randomInt(1, 2 ** 31), crypto.randomInt(1, 2 ** 31)], resolve });
    });
  }
  onTick() {
    for (const c of [...this.active]) {
      for (let k = 0; k < 2; k++) {
        if (!c.ports[k]) continue;
        const bytes = serializeRtpPacket({ marker: c.sent === 0, payloadType: 8, sequenceNumber: (c.seq + c.sent) & 0xffff, timestamp: (c.ts + c.sent * 160) >>> 0, ssrc: c.ssrc[k], payload: this.payloads[k] });
        this.sock.send(bytes, c.ports[k], '127.0.0.1');
      }
      c.sent++;
      if (c.sent >= c.packets) {
        this.active.delete(c);
        c.resolve(c.sent * 2);
      }
    }
  }
  close() {
    clearInterval(this.timer);
    this.sock.close();
  }
}

const recorderOfPort = port => RECORDERS.find(r => port >= r.rtp.min && port <= r.rtp.max);

/**
 * `count` calls through Kamailio, `cps` started per second, each with `seconds` of audio
 * then a BYE. `events` run at their time after the first call. Resolves with one result
 * per call.
 */
async function runLoad({ client, pump, count, cps, seconds, label, events = [] }) {
  const results = [];
  const startAt = Date.now();
  results.startAt = startAt;
  const timers = events.map(e => new Promise(resolve => setTimeout(() => Promise.resolve(e.fn()).then(resolve, err => { check(false, `${label}: ${e.name}: ${err.message}`); resolve(); }), e.atMs)));
  const one = async i => {
    await sleep(Math.max(0, startAt + (i * 1000) / cps - Date.now()));
    const res = { i, startedAt: Date.now() - startAt };
    results.push(res);
    const s = client.startInvite({
      sdp: buildOfferSdp([
        { label: '1', port: 40000 },
        { label: '2', port: 40002 },
      ]),
      metadata: buildMetadata([
        { aor: `sip:${RECORDED}@pbx.example.com`, sends: '1' },
        { aor: `sip:${OTHER}@carrier.example.net`, sends: '2' },
      ]),
    });
    res.callId = s.call.callId;
    const t = Date.now();
    try {
      const r = await s.response;
      res.status = r.status;
      res.setupMs = Date.now() - t;
      res.answeredAt = Date.now() - startAt;
    } catch (e) {
      res.status = 0;
      res.error = e.message;
      return res;
    }
    if (res.status !== 200) return res;
    res.recorder = recorderOfPort(s.call.mediaPorts[0])?.n;
    res.packets = await pump.add(s.call.mediaPorts, Math.round((seconds * 1000) / 20));
    res.byeAt = Date.now() - startAt;
    try {
      res.byeStatus = (await client.bye(s.call)).status;
    } catch (e) {
      res.byeStatus = 0;
      res.byeError = e.message;
    }
    return res;
  };
  await Promise.all([...Array.from({ length: count }, (_, i) => one(i)), ...timers]);
  log(`${label}: ${count} calls in ${((Date.now() - startAt) / 1000).toFixed(1)} s`);
  const sorted = results.sort((a, b) => a.i - b.i);
  sorted.startAt = startAt;
  return sorted;
}

const tally = (items, key) => items.reduce((m, x) => ((m[x[key]] = (m[x[key]] ?? 0) + 1), m), {});
const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] : NaN;
};

/** conversations of these Call-IDs, waiting until none is still being recorded or compressed */
async function settledConversations(
  callIds,
  timeoutMs,
  // finished, compressed (the interim WAV replaced by the Opus file) and, with S3, uploaded
  settledWhen = r => r.state !== 'recording' && r.compress_to === null && r.superseded_storage_key === null && r.storage_location === null,
) {
  let rows = [];
  await waitFor(
    `the conversations of ${callIds.length} calls to be finished and compressed`,
    async () => {
      rows = await query(
        'select id, sip_call_id, capture_instance, state, ended_by, sha256, bytes, storage_key, compress_to, superseded_storage_key, storage_location, duration_ms, format from vr_conversations where sip_call_id = any($1)',
        [callIds],
      );
      const seen = new Set(rows.map(r => r.sip_call_id));
      return seen.size === callIds.length && rows.every(settledWhen);
    },
    timeoutMs,
    1000,
  ).catch(e => check(false, e.message));
  return rows;
}

/**
 * Every answered call recorded exactly once. A recorder that answered 503 because its
 * database write missed the call set-up budget (1 s) withdraws the conversation it began
 * late and keeps the call as a refused session (503 in vr_refused_sessions), and the
 * dispatcher gives the call to another recorder. Only when the withdrawal itself fails is
 * the late conversation closed `failed` (ended_by `error`, "call refused (503)"): such a
 * refused attempt is not a recording either and must have its 503 refusal (same Call-ID
 * and recorder). Returns the recording of each call by Call-ID, the recordings, and the
 * refused attempts left as failed conversations.
 */
async function exactlyOnce(label, callIds, rows) {
  const attempts = rows.filter(r => r.state === 'failed' && r.ended_by === 'error');
  const recordings = rows.filter(r => !attempts.includes(r));
  const byCall = new Map();
  for (const r of recordings) byCall.set(r.sip_call_id, [...(byCall.get(r.sip_call_id) ?? []), r]);
  const missing = callIds.filter(c => !byCall.has(c));
  const doubled = [...byCall.values()].filter(v => v.length > 1);
  check(missing.length === 0, `${label}: ${missing.length} answered call(s) with no recording (e.g. ${missing.slice(0, 3).join(', ')})`);
  check(doubled.length === 0, `${label}: ${doubled.length} call(s) recorded more than once (e.g. ${doubled.slice(0, 2).map(v => v.map(r => `${r.sip_call_id} ${r.capture_instance} ${r.state}/${r.ended_by}`).join(' + ')).join('; ')})`);
  if (attempts.length) {
    const refused = await query('select sip_call_id, capture_instance from vr_refused_sessions where sip_call_id = any($1) and response_code = 503', [attempts.map(r => r.sip_call_id)]);
    const proven = new Set(refused.map(r => `${r.sip_call_id} ${r.capture_instance}`));
    const unexplained = attempts.filter(r => !proven.has(`${r.sip_call_id} ${r.capture_instance}`));
    check(unexplained.length === 0, `${label}: ${unexplained.length} failed conversation(s) that are no refused (503) attempt: ${unexplained.slice(0, 3).map(r => `${r.sip_call_id} ${r.capture_instance}`).join(', ')}`);
    log(`${label}: ${attempts.length} late conversation(s) of a 503 kept as failed because their withdrawal failed (${JSON.stringify(tally(attempts, 'capture_instance'))})`);
  }
  const refused503 = await query('select sip_call_id, capture_instance from vr_refused_sessions where sip_call_id = any($1) and response_code = 503', [callIds]);
  if (refused503.length) log(`${label}: ${refused503.length} call(s) first answered 503 by a recorder (set-up budget missed or draining), then recorded by another (${JSON.stringify(tally(refused503, 'capture_instance'))})`);
  const one = new Map([...byCall].map(([k, v]) => [k, v[0]]));
  return { byCall: one, recordings, attempts };
}

/** plays every conversation through the portals (alternating), checks SHA-256 and size; S3: the object exists */
async function checkArchives(label, rows, token) {
  let played = 0;
  let bad = 0;
  let s3Objects = 0;
  const queue = [...rows];
  const worker = async () => {
    for (let row; (row = queue.shift()); ) {
      const portal = PORTALS[played++ % PORTALS.length];
      const r = await fetch(`http://127.0.0.1:${portal.httpPort}/api/voice-recording/conversations/${row.id}/audio`, { headers: { authorization: `Bearer ${token}` } });
      const body = Buffer.from(await r.arrayBuffer());
      const ok = r.status === 200 && body.length === Number(row.bytes) && crypto.createHash('sha256').update(body).digest('hex') === row.sha256;
      if (!ok) {
        bad++;
        if (bad <= 3) check(false, `${label}: conversation ${row.id} (${row.sip_call_id}) through portal ${portal.n}: HTTP ${r.status}, ${body.length} bytes (row ${row.bytes}), ${r.status === 200 ? 'SHA-256 differs' : body.toString('utf8').slice(0, 200)}`);
      }
      if (s3) {
        const { HeadObjectCommand } = require('@aws-sdk/client-s3');
        const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: row.storage_key })).catch(e => e);
        if (head instanceof Error) check(false, `${label}: ${row.storage_key} not in S3 (${head.name})`);
        else s3Objects++;
      }
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  check(bad === 0, `${label}: ${bad} of ${rows.length} recordings not played back whole with the row's hash`);
  return { played: rows.length - bad, s3Objects };
}

/* ------------------------------------------------------------------ main */

async function main() {
  const summary = {};
  log(`run ${RUN}: data and logs in ${DIR}; storage ${STORAGE}; databases ${PREFIX}*`);
  fs.writeFileSync(
    path.join(DIR, 'numbers.yaml'),
    `numbers:\n  - number: '${RECORDED}'\n    userRef: user:default/bob\n    slots: [{ weekdays: Mon-Sun, start: '00:00', end: '24:00' }]\n    settings: { statusMode: manual, activeStatus: professional, simultaneousCalls: true }\n`,
  );
  if (STORAGE === 's3') {
    const env = sh('rgw.sh', ['start'], rgwEnv());
    for (const m of env.matchAll(/export (\w+)=(\S+)/g)) process.env[m[1]] = m[2];
    s3 = await s3Client();
    const { CreateBucketCommand } = require('@aws-sdk/client-s3');
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET, ObjectLockEnabledForBucket: true }));
    log(`Ceph RGW on ${RGW.port}, bucket ${BUCKET} (Object Lock enabled)`);
  }

  // portal 1 first: it creates the databases, runs the migrations and loads the number
  const p1 = startPortal(PORTALS[0]);
  await ready(p1, PORTALS[0].httpPort, 180_000);
  log('portal 1 ready');
  const p2 = startPortal(PORTALS[1]);
  for (const r of RECORDERS) startRecorder(r);
  await Promise.all([ready(p2, PORTALS[1].httpPort, 180_000), ...RECORDERS.map(r => recorderListening(r, 180_000))]);
  log('portal 2 and the three recorders ready');
  vrDb = new Client({ connectionString: dbUrl(`${PREFIX}voice-recording`) });
  await vrDb.connect();

  sh('kamailio.sh', ['start'], kamailioEnv());
  sh('kamailio.sh', ['wait-up', '3', '20'], kamailioEnv());
  log('Kamailio up, the three recorders AP');

  // an admin's token from portal 1 (demo sign-in: development), used on both portals
  const token = await waitFor(
    'the demo sign-in of alice (the catalog reads examples/org.yaml)',
    async () => {
      const r = await fetch(`http://127.0.0.1:${PORTALS[0].httpPort}/api/auth/demo/refresh`, { method: 'POST', headers: { 'x-mvr-demo-user': 'alice' } });
      return r.status === 200 ? (await r.json()).backstageIdentity?.token : undefined;
    },
    90_000,
    1000,
  );

  const client = new SrcClient({ host: KAMAILIO.address, port: KAMAILIO.port, transport: 'udp' });
  await client.start();
  const pump = new RtpPump();
  try {
    // an SBC's keep-alive to the front: 200 while a recorder is up
    const keepAlive = await client.options();
    check(keepAlive.status === 200, `Kamailio answered the keep-alive OPTIONS with ${keepAlive.status}, not 200`);

    /* ---------------- A: 300 calls */
    const a = await runLoad({ client, pump, count: CALLS, cps: CPS, seconds: CALL_SECONDS, label: `A (${CALLS} calls)` });
    const answered = a.filter(r => r.status === 200);
    check(answered.length === CALLS, `A: ${CALLS - answered.length} of ${CALLS} INVITEs not answered 200 (${JSON.stringify(tally(a, 'status'))})`);
    check(a.every(r => r.status !== 200 || r.byeStatus === 200), `A: BYEs not answered 200: ${JSON.stringify(tally(answered, 'byeStatus'))}`);
    const aRows = await settledConversations(answered.map(r => r.callId), 180_000);
    const A1 = await exactlyOnce('A', answered.map(r => r.callId), aRows);
    const aBy = A1.byCall;
    const spread = tally(A1.recordings, 'capture_instance');
    for (const r of RECORDERS) check((spread[r.id] ?? 0) >= CALLS / 3 / 2, `A: recorder ${r.n} took ${spread[r.id] ?? 0} of ${CALLS} calls (spread ${JSON.stringify(spread)})`);
    check(A1.recordings.every(r => r.state === 'finished' && r.ended_by === 'bye'), `A: not every recording finished by BYE: ${JSON.stringify(tally(A1.recordings, 'ended_by'))}`);
    // the recorder each call's media went to is the one that recorded it
    check(answered.every(r => aBy.get(r.callId)?.capture_instance === `cluster-recorder-${r.recorder}`), 'A: a conversation was recorded by another instance than the one its SDP answer named');
    const aPlay = await checkArchives('A', A1.recordings, token);
    summary.A = {
      calls: CALLS,
      answered: answered.length,
      perRecorder: spread,
      setupMs: { p50: pct(answered.map(r => r.setupMs), 50), p99: pct(answered.map(r => r.setupMs), 99), max: Math.max(...answered.map(r => r.setupMs)) },
      refusedThenFailedOver: A1.attempts.length,
      playedThroughPortals: aPlay.played,
      ...(s3 ? { s3Objects: aPlay.s3Objects } : {}),
    };
    log(`A: ${JSON.stringify(summary.A)}`);

    /* ---------------- A over TCP: the SBC's side over TCP, Kamailio to the recorders over UDP */
    const tcpClient = new SrcClient({ host: KAMAILIO.address, port: KAMAILIO.port, transport: 'tcp' });
    await tcpClient.start();
    try {
      const tcpCount = 30;
      const t = await runLoad({ client: tcpClient, pump, count: tcpCount, cps: 10, seconds: CALL_SECONDS, label: `A over TCP (${tcpCount} calls)` });
      const tAnswered = t.filter(r => r.status === 200);
      check(tAnswered.length === tcpCount, `A over TCP: ${tcpCount - tAnswered.length} of ${tcpCount} INVITEs not answered 200 (${JSON.stringify(tally(t, 'status'))})`);
      check(tAnswered.every(r => r.byeStatus === 200), `A over TCP: BYEs not answered 200: ${JSON.stringify(tally(tAnswered, 'byeStatus'))}`);
      const tRows = await settledConversations(tAnswered.map(r => r.callId), 180_000);
      const T1 = await exactlyOnce('A over TCP', tAnswered.map(r => r.callId), tRows);
      check(T1.recordings.every(r => r.state === 'finished' && r.ended_by === 'bye'), `A over TCP: not every recording finished by BYE: ${JSON.stringify(tally(T1.recordings, 'ended_by'))}`);
      const tPlay = await checkArchives('A over TCP', T1.recordings, token);
      summary.A.overTcp = { calls: tcpCount, answered: tAnswered.length, perRecorder: tally(T1.recordings, 'capture_instance'), played: tPlay.played };
      log(`A over TCP: ${JSON.stringify(summary.A.overTcp)}`);
    } finally {
      await tcpClient.close();
    }

    /* ---------------- B: kill -9 of recorder 2 under load, then its restart */
    const victim = RECORDERS[1];
    let killedAt = 0;
    let outAt = 0;
    const bCount = Math.round(FAULT_CPS * 10);
    const b = await runLoad({
      client,
      pump,
      count: bCount,
      cps: FAULT_CPS,
      seconds: CALL_SECONDS + 1,
      label: `B (${bCount} calls, kill -9 of recorder ${victim.n} after 3 s)`,
      events: [
        {
          name: 'kill -9',
          atMs: 3000,
          fn: async () => {
            victim.proc.child.kill('SIGKILL');
            killedAt = Date.now();
            log(`B: recorder ${victim.n} killed (SIGKILL)`);
            await waitFor('Kamailio to take the killed recorder out', () => !/^A/.test(dispatcherState()[victim.sipPort] ?? 'A'), 10_000, 50);
            outAt = Date.now();
            log(`B: Kamailio marked recorder ${victim.n} down ${outAt - killedAt} ms after the kill`);
          },
        },
      ],
    });
    const bAnswered = b.filter(r => r.status === 200);
    const noRecorder = b.filter(r => r.status !== 200);
    const window = b.filter(r => r.startedAt >= 3000 - 50 && r.startedAt <= 3000 + (outAt - killedAt) + 1000);
    const onVictim = bAnswered.filter(r => r.recorder === victim.n);
    const cutOnVictim = onVictim.filter(r => r.byeStatus !== 200);
    log(`B: ${noRecorder.length} of ${bCount} calls got no recorder (${JSON.stringify(tally(noRecorder, 'status'))}); ${cutOnVictim.length} call(s) in progress on the killed recorder lost their BYE`);
    // restart: the killed recorder recovers its journals
    await sleep(500);
    startRecorder(victim);
    await recorderListening(victim, 120_000);
    const recoveredLog = [...logOf(`recorder-${victim.n}`).matchAll(/recovery: (\d+) journal\(s\), (\d+) registered, \d+ pending, \d+ unreadable, (\d+) conversation\(s\) without audio closed/g)].pop();
    sh('kamailio.sh', ['wait-up', '3', '20'], kamailioEnv());
    log(`B: recorder ${victim.n} restarted and back in the dispatcher (${recoveredLog ? recoveredLog[0] : 'no journal to recover'})`);
    const bRows = await settledConversations(bAnswered.map(r => r.callId), 180_000);
    const B1 = await exactlyOnce('B', bAnswered.map(r => r.callId), bRows);
    const recovered = cutOnVictim.map(r => B1.byCall.get(r.callId)).filter(Boolean);
    check(recovered.length === cutOnVictim.length, `B: ${cutOnVictim.length - recovered.length} call(s) of the killed recorder not recovered`);
    // A call's journal reaches the disk at its first flush, 1 s after the answer
    // (CallJournal flushIntervalMs: a crash loses at most 1 s of audio, docs/recorder.md):
    // a call killed younger than that has no journal and is closed `failed` with no audio.
    // Every older one must be recovered whole from its journal.
    const killedRel = killedAt - b.startAt;
    const young = new Set(cutOnVictim.filter(r => r.answeredAt > killedRel - 1300).map(r => r.callId));
    const notRecovered = recovered.filter(r => r.capture_instance !== victim.id || r.ended_by !== 'recovered-after-crash' || (r.state !== 'finished' && !(r.state === 'failed' && young.has(r.sip_call_id))));
    check(notRecovered.length === 0, `B: calls of the killed recorder not recovered from its journals: ${JSON.stringify(notRecovered.map(r => [r.sip_call_id, r.state, r.ended_by, r.capture_instance]))}`);
    const noJournal = recovered.filter(r => r.state === 'failed');
    check(
      !!recoveredLog && Number(recoveredLog[2]) + Number(recoveredLog[3]) === cutOnVictim.length && Number(recoveredLog[3]) === noJournal.length,
      `B: the restarted recorder's recovery (${recoveredLog ? recoveredLog[0] : 'none'}) does not match the ${cutOnVictim.length} call(s) it had in progress`,
    );
    const afterOut = b.filter(r => outAt && r.startedAt > outAt - (b.length ? 0 : 0) && r.status === 200 && r.recorder === victim.n && r.startedAt > 3000 + (outAt - killedAt) + 200);
    check(afterOut.length === 0, `B: ${afterOut.length} call(s) sent to the killed recorder after Kamailio took it out`);
    const others = B1.recordings.filter(r => !recovered.includes(r));
    check(others.every(r => r.state === 'finished' && r.ended_by === 'bye'), `B: calls not on the killed recorder not all finished by BYE: ${JSON.stringify(tally(others, 'ended_by'))}`);
    const bPlay = await checkArchives('B', B1.recordings.filter(r => r.state === 'finished'), token);
    summary.B = {
      calls: bCount,
      answered: bAnswered.length,
      noRecorder: noRecorder.length,
      inProbeWindow: window.length,
      markedDownMs: outAt - killedAt,
      failoverSetupMs: { max: Math.max(0, ...window.filter(r => r.status === 200).map(r => r.setupMs)) },
      inProgressOnKilled: cutOnVictim.length,
      recoveredFromJournals: recovered.length - noJournal.length,
      closedWithoutAudio: noJournal.length,
      refusedThenFailedOver: B1.attempts.length,
      played: bPlay.played,
    };
    log(`B: ${JSON.stringify(summary.B)}`);

    /* ---------------- C: SIGTERM drain of recorder 3 under load */
    const drained = RECORDERS[2];
    let termAt = 0;
    let exitInfo;
    let optionsMs;
    const cCount = Math.round(FAULT_CPS * 10);
    const c = await runLoad({
      client,
      pump,
      count: cCount,
      cps: FAULT_CPS,
      seconds: CALL_SECONDS + 2,
      label: `C (${cCount} calls, SIGTERM of recorder ${drained.n} after 3 s)`,
      events: [
        {
          name: 'SIGTERM',
          atMs: 3000,
          fn: async () => {
            drained.proc.child.kill('SIGTERM');
            termAt = Date.now();
            log(`C: recorder ${drained.n} told to stop (SIGTERM)`);
            const direct = new SrcClient({ host: '127.0.0.1', port: drained.sipPort, transport: 'udp' });
            await direct.start();
            try {
              const o = await waitFor('OPTIONS 503 from the draining recorder', async () => {
                const r = await direct.options();
                return r.status === 503 ? r : undefined;
              }, 5000, 20);
              optionsMs = Date.now() - termAt;
              check(o.status === 503, 'C: OPTIONS not 503 while draining');
            } finally {
              await direct.close();
            }
            exitInfo = await drained.proc.exit;
            log(`C: recorder ${drained.n} exited ${JSON.stringify(exitInfo)} ${Date.now() - termAt} ms after SIGTERM`);
          },
        },
      ],
    });
    if (!exitInfo) exitInfo = await Promise.race([drained.proc.exit, sleep(70_000).then(() => undefined)]);
    const cAnswered = c.filter(r => r.status === 200);
    check(cAnswered.length === cCount, `C: ${cCount - cAnswered.length} of ${cCount} INVITEs not answered 200 during the drain (${JSON.stringify(tally(c, 'status'))})`);
    check(!!exitInfo && exitInfo.code === 0, `C: the drained recorder did not exit 0 (${JSON.stringify(exitInfo)})`);
    const cRows = await settledConversations(cAnswered.map(r => r.callId), 180_000);
    const C1 = await exactlyOnce('C', cAnswered.map(r => r.callId), cRows);
    const onDrained = C1.recordings.filter(r => r.capture_instance === drained.id);
    const cut = C1.recordings.filter(r => r.ended_by !== 'bye' || r.state !== 'finished');
    check(onDrained.length > 0, `C: no call was in progress on recorder ${drained.n} when it was told to stop`);
    check(cut.length === 0, `C: ${cut.length} call(s) cut (not ended by their BYE): ${JSON.stringify(tally(cut, 'ended_by'))}`);
    check(cAnswered.every(r => r.byeStatus === 200), `C: BYEs not answered 200: ${JSON.stringify(tally(cAnswered, 'byeStatus'))}`);
    const afterTerm = c.filter(r => r.status === 200 && r.recorder === drained.n && r.startedAt > 3000 + 1500);
    check(afterTerm.length === 0, `C: ${afterTerm.length} new call(s) reached the draining recorder more than 1.5 s after SIGTERM`);
    const cPlay = await checkArchives('C', C1.recordings, token);
    summary.C = {
      calls: cCount,
      answered: cAnswered.length,
      noRecorder: cCount - cAnswered.length,
      onDrainingRecorder: onDrained.length,
      cut: cut.length,
      refusedThenFailedOver: C1.attempts.length,
      optionsDrainingMs: optionsMs,
      exit: exitInfo,
      played: cPlay.played,
    };
    log(`C: ${JSON.stringify(summary.C)}`);
  } finally {
    pump.close();
    await client.close();
  }
  return summary;
}

async function cleanup() {
  await stopAll().catch(() => undefined);
  try {
    sh('kamailio.sh', ['stop'], kamailioEnv());
  } catch {
    // not started
  }
  await vrDb?.end().catch(() => undefined);
  await dropDatabases().catch(e => console.log(`[cluster] could not drop the databases ${PREFIX}*: ${e.message}`));
  if (STORAGE === 's3') {
    try {
      sh('rgw.sh', ['stop'], rgwEnv());
    } catch {
      // not started
    }
  }
  if (!KEEP && failures.length === 0) fs.rmSync(DIR, { recursive: true, force: true });
}

process.on('SIGINT', () => cleanup().finally(() => process.exit(130)));

main()
  .then(async summary => {
    await cleanup();
    console.log('\n=== cluster test summary ===');
    console.log(JSON.stringify(summary, null, 2));
    console.log(`total ${since()}`);
    if (failures.length) {
      console.log(`\n${failures.length} check(s) FAILED (logs kept in ${DIR}):\n - ${failures.join('\n - ')}`);
      process.exit(1);
    }
    console.log('cluster test passed');
  })
  .catch(async e => {
    console.log(`[cluster] ERROR: ${e.stack ?? e}`);
    await cleanup();
    console.log(`logs kept in ${DIR}`);
    process.exit(1);
  });
