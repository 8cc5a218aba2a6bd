#!/usr/bin/env node
/*
 * Click on Play -> first audio of a one-hour call, in a real Chromium (Playwright,
 * Debian's /usr/bin/chromium) against the real portal (scripts/e2e-server.sh: backend +
 * built frontend, fresh SQLite database):
 *
 *   node bench/playbackStart.js [--runs 20] [--user bob|alice] [--think 0]
 *   yarn bench playback [...]
 *
 * Needs the built app (`yarn workspace app build`). Starts its own portal on
 * MVR_BENCH_PORT (default 7037; SIP 5090 and RTP 32000-32999 so that it does not clash
 * with browser tests on 7017/5070), or uses PLAYWRIGHT_URL + MVR_BENCH_DATA (the data
 * directory of a portal started by scripts/e2e-server.sh) when both are set.
 *
 * It stores one hour of two-channel Ogg/Opus (4.6 MB, as the recorder writes it) under
 * 1 + 2 × runs conversation rows of the user's number (each row its own id, so that no
 * run finds another run's data in the browser cache or the backend's derived files), then:
 *
 * - cold: per run, a new browser context (empty HTTP cache, no cookie), the conversation
 *   page opened by URL (full app load), Play clicked once the button is enabled;
 * - warm: one tab that has already played a call; per run, another conversation opened
 *   by in-app navigation (as from the search results: app loaded, cookie set, media
 *   stack up), Play clicked once enabled.
 *
 * Measured inside the page: click (capture listener) -> the <audio> `playing` event, and
 * click -> currentTime > 0 (polled every 2 ms: the position advances, audio is heard). Prints
 * p50/p95/max of both and, for the median run, the audio requests (Range, status, start
 * and first byte relative to the click, Server-Timing). Target: p95 click -> playing
 * < 200 ms; exit code 1 when it is over.
 */
require('@backstage/cli/config/nodeTransform.cjs');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { randomUUID } = require('node:crypto');
const knexFactory = require('knex');
const { chromium } = require('@playwright/test');
const {
  OggOpusWriter,
  LocalFileBlobStore,
} = require('../plugins/voice-recording-node/src');
const {
  ConversationSearchStore,
} = require('../plugins/voice-recording-backend/src/database/ConversationSearchStore');

const ROOT = path.resolve(__dirname, '..');
const TARGET_MS = 200;
const SECONDS = Number(process.env.BENCH_AUDIO_SECONDS ?? 3600);
const USERS = {
  bob: { ref: 'user:default/bob', number: '+32470123456' },
  alice: { ref: 'user:default/alice', number: '+32472345678' },
};

function args() {
  const out = { runs: 20, user: 'bob', think: 0 };
  const a = process.argv.slice(2);
  for (let i = 0; i < a.length; i++) {
    const k = a[i];
    const v = () => {
      if (i + 1 >= a.length) throw new Error(`${k}: a value is missing`);
      return a[++i];
    };
    if (k === '--runs') out.runs = Number(v());
    else if (k === '--user') out.user = v();
    else if (k === '--think') out.think = Number(v());
    else if (k === 'playback') continue; // `yarn bench playback`
    else throw new Error(`unknown argument ${k} (--runs N, --user bob|alice, --think MS)`);
  }
  if (!Number.isInteger(out.runs) || out.runs < 1) throw new Error(`--runs: a positive integer, got ${out.runs}`);
  if (!USERS[out.user]) throw new Error(`--user: bob or alice, got ${out.user}`);
  if (!Number.isFinite(out.think) || out.think < 0) throw new Error(`--think: milliseconds ≥ 0, got ${out.think}`);
  return out;
}

/** One hour of two-party "speech-like" audio (tones with pauses), as in audioFirstByte.js. */
function oneHourOggOpus() {
  const cache = path.join(ROOT, 'node_modules/.cache/mvr-bench', `call-${SECONDS}s.opus`);
  if (fs.existsSync(cache)) return fs.readFileSync(cache);
  const t0 = performance.now();
  const writer = new OggOpusWriter({ sampleRate: 8000, channels: 2, complexity: 0 });
  const chunks = [];
  const block = new Int16Array(8000 * 2);
  for (let s = 0; s < SECONDS; s++) {
    for (let i = 0; i < 8000; i++) {
      const talking = Math.floor(s / 5) % 2;
      block[i * 2] = talking ? Math.round(6000 * Math.sin((2 * Math.PI * 300 * i) / 8000)) : 0;
      block[i * 2 + 1] = talking ? 0 : Math.round(6000 * Math.sin((2 * Math.PI * 450 * i) / 8000));
    }
    chunks.push(...writer.write(block));
  }
  chunks.push(...writer.end());
  const ogg = Buffer.concat(chunks);
  fs.mkdirSync(path.dirname(cache), { recursive: true });
  fs.writeFileSync(cache, ogg);
  console.log(`encoded ${SECONDS} s of Ogg/Opus in ${((performance.now() - t0) / 1000).toFixed(1)} s (cached in ${path.relative(ROOT, cache)})`);
  return ogg;
}

/** Starts scripts/e2e-server.sh in its own process group; resolves with its data directory. */
function startPortal(port) {
  const env = {
    ...process.env,
    APP_CONFIG_voiceRecording_recorder_sip_port: process.env.MVR_BENCH_SIP_PORT ?? '5090',
    APP_CONFIG_voiceRecording_recorder_rtp_portMin: '32000',
    APP_CONFIG_voiceRecording_recorder_rtp_portMax: '32999',
  };
  const child = spawn('bash', [path.join(ROOT, 'scripts/e2e-server.sh'), String(port)], {
    cwd: ROOT,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log = fs.createWriteStream(path.join(os.tmpdir(), `mvr-bench-playback-${port}.log`));
  child.stdout.pipe(log);
  let stderr = '';
  const data = new Promise((resolve, reject) => {
    child.stderr.on('data', d => {
      log.write(d);
      stderr += d.toString();
      const m = /database in (\S+)/.exec(stderr);
      if (m) resolve(m[1]);
    });
    child.once('exit', code => reject(new Error(`scripts/e2e-server.sh exited (${code}): ${stderr.slice(-2000)}`)));
  });
  return { child, data, logFile: log.path };
}

async function waitReady(baseURL, child) {
  const deadline = Date.now() + 300_000;
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null) throw new Error('the portal exited while starting');
    try {
      const r = await fetch(`${baseURL}/.backstage/health/v1/readiness`);
      if (r.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise(r => setTimeout(r, 1000));
  }
  throw new Error(`${baseURL} not ready within 300 s`);
}

function stopPortal(child) {
  if (!child || child.exitCode !== null) return Promise.resolve();
  return new Promise(resolve => {
    child.once('exit', resolve);
    try {
      process.kill(-child.pid, 'SIGTERM'); // the script's own process group (detached)
    } catch {
      resolve();
    }
  });
}

function sqliteFileOf(dataDir) {
  const f = fs.readdirSync(dataDir).find(n => /voice-recording.*\.sqlite$/.test(n));
  if (!f) throw new Error(`no voice-recording SQLite file in ${dataDir}: ${fs.readdirSync(dataDir).join(', ')}`);
  return path.join(dataDir, f);
}

/** Stores the hour once and inserts `count` finished conversations of the user pointing at it. */
async function seed(dataDir, user, count) {
  const ogg = oneHourOggOpus();
  const blobs = new LocalFileBlobStore(path.join(dataDir, 'recordings'), { minFreeBytes: 0 });
  const put = await blobs.put(`recordings/bench/one-hour-${Date.now()}.opus`, ogg, { contentType: 'audio/ogg; codecs=opus' });
  const knex = knexFactory({ client: 'better-sqlite3', connection: { filename: sqliteFileOf(dataDir) }, useNullAsDefault: true });
  try {
    const store = new ConversationSearchStore(knex);
    const now = Date.now();
    const rows = Array.from({ length: count }, (_, i) => {
      const started = new Date(now - (i + 2) * 3_700_000).toISOString();
      return {
        id: randomUUID(), number: user.number, userRef: user.ref, otherParty: `+32475${String(100000 + i)}`,
        direction: 'outgoing', startedAt: started, endedAt: new Date(Date.parse(started) + SECONDS * 1000).toISOString(),
        durationMs: SECONDS * 1000, codec: 'PCMA', sipCallId: `bench-playback-${i}-${now}`, participants: [], metadata: {}, dtmf: [],
        state: 'finished', endedBy: 'bye', storageKey: put.key, sha256: put.sha256, bytes: put.size, format: 'audio/ogg; codecs=opus',
        captureSource: 'bench', createdAt: new Date().toISOString(), updatedAt: new Date().toISOString(),
      };
    });
    await store.insertFinished(rows);
    return { ids: rows.map(r => r.id), bytes: put.size };
  } finally {
    await knex.destroy();
  }
}

/** Clicks Play and measures in the page (capture listener on the button -> media events). */
async function clickPlay(page) {
  await page.evaluate(() => {
    const audio = document.querySelector('[data-testid="player-audio"]');
    const probe = { events: [], origin: performance.timeOrigin };
    window.__bench = probe;
    for (const type of ['loadstart', 'loadedmetadata', 'loadeddata', 'canplay', 'play', 'waiting', 'playing']) {
      audio.addEventListener(type, () => {
        const now = performance.now();
        probe.events.push([type, now]);
        if (type === 'playing' && probe.playing === undefined) probe.playing = now;
      });
    }
    document.querySelector('[data-testid="play-button"]').addEventListener(
      'click',
      () => {
        probe.click = performance.now();
        // the position, polled (timeupdate only fires every 250 ms)
        const poll = setInterval(() => {
          if (audio.currentTime > 0) {
            probe.advanced = performance.now();
            clearInterval(poll);
          }
        }, 2);
      },
      { capture: true, once: true },
    );
  });
  await page.click('[data-testid="play-button"]');
  const handle = await page.waitForFunction(
    () => {
      const p = window.__bench;
      if (p.click === undefined || p.playing === undefined || p.advanced === undefined) return undefined;
      return {
        clickToPlaying: p.playing - p.click,
        clickToAdvancing: p.advanced - p.click,
        clickEpoch: p.origin + p.click,
        events: p.events.map(([t, at]) => `${t}@${Math.round(at - p.click)}`),
      };
    },
    undefined,
    { timeout: 60_000, polling: 20 },
  );
  const m = await handle.jsonValue();
  await page.evaluate(() => document.querySelector('[data-testid="player-audio"]').pause());
  return m;
}

/** Records the audio requests of a page (Range, status, timings, Server-Timing). */
function watchAudio(page) {
  const seen = [];
  const byRequest = new Map();
  const isAudio = req => /\/conversations\/[^/]+\/audio/.test(req.url());
  page.on('response', async res => {
    const req = res.request();
    if (!isAudio(req)) return;
    const t = req.timing();
    const entry = {
      range: req.headers().range ?? '-',
      status: String(res.status()),
      start: t.startTime,
      firstByte: t.startTime + t.responseStart,
      serverTiming: (await res.allHeaders())['server-timing'],
    };
    byRequest.set(req, entry);
    seen.push(entry);
  });
  page.on('requestfailed', req => {
    if (!isAudio(req)) return;
    const entry = byRequest.get(req);
    if (entry) entry.status += ' (aborted by the browser)';
    else seen.push({ range: req.headers().range ?? '-', status: `failed (${req.failure()?.errorText})`, start: req.timing().startTime });
  });
  return seen;
}

async function openAndPlay(page, baseURL, id, think, audio, spa = false) {
  if (audio) audio.opened = Date.now();
  const url = `${baseURL}/voice-recording/conversations/${id}`;
  if (spa) {
    // in-app navigation, as a click on a row of the search results (no page load)
    await page.evaluate(target => {
      window.history.pushState({}, '', target);
      window.dispatchEvent(new PopStateEvent('popstate'));
    }, url);
    // the new call's player (its <audio> gets its src in the render that enables Play)
    await page.waitForSelector(`[data-testid="player-audio"][src*="${id}"]`, { state: 'attached', timeout: 60_000 });
  } else {
    await page.goto(url);
  }
  await page.waitForSelector('[data-testid="play-button"]:not([disabled])', { timeout: 60_000 });
  if (think > 0) await page.waitForTimeout(think);
  return clickPlay(page);
}

function describe(m, audio) {
  const rel = v => (v === undefined ? '-' : `${Math.round(v - m.clickEpoch)}`);
  const reqs = audio
    .filter(r => r.start >= audio.opened)
    .sort((a, b) => a.start - b.start)
    .map(r => `${r.range} ${r.status} start ${rel(r.start)} first byte ${rel(r.firstByte)}${r.serverTiming ? ` [${r.serverTiming}]` : ''}`);
  return `    media events (ms after click): ${m.events.join(' ')}\n    audio requests (ms after click):\n      ${reqs.join('\n      ')}`;
}

function stats(name, runs) {
  const line = key => {
    const v = runs.map(r => r[key]).sort((a, b) => a - b);
    const q = p => v[Math.min(v.length - 1, Math.ceil(p * v.length) - 1)];
    return { p50: q(0.5), p95: q(0.95), max: v[v.length - 1], min: v[0] };
  };
  const playing = line('clickToPlaying');
  const adv = line('clickToAdvancing');
  const f = x => x.toFixed(0).padStart(5);
  console.log(`${name.padEnd(6)} click -> playing       p50 ${f(playing.p50)} ms  p95 ${f(playing.p95)} ms  max ${f(playing.max)} ms  (min ${playing.min.toFixed(0)}, ${runs.length} runs)`);
  console.log(`${''.padEnd(6)} click -> time advances p50 ${f(adv.p50)} ms  p95 ${f(adv.p95)} ms  max ${f(adv.max)} ms`);
  return playing;
}

async function main() {
  const opt = args();
  const user = USERS[opt.user];
  const external = process.env.PLAYWRIGHT_URL && process.env.MVR_BENCH_DATA;
  const port = Number(process.env.MVR_BENCH_PORT ?? 7037);
  const baseURL = external ? process.env.PLAYWRIGHT_URL.replace(/\/$/, '') : `http://localhost:${port}`;
  if (!external && !fs.existsSync(path.join(ROOT, 'packages/app/dist/index.html'))) {
    throw new Error("packages/app/dist is missing: run 'yarn workspace app build' first");
  }
  oneHourOggOpus(); // encode (or read the cache) before the portal takes the CPU
  const loadAtStart = os.loadavg().map(x => x.toFixed(1)).join(' / ');
  let portal;
  let browser;
  let ok = true;
  try {
    let dataDir = process.env.MVR_BENCH_DATA;
    if (!external) {
      portal = startPortal(port);
      console.log(`starting the portal on ${baseURL} (log: ${portal.logFile})`);
      dataDir = await portal.data;
    }
    await waitReady(baseURL, portal?.child);
    const { ids, bytes } = await seed(dataDir, user, 1 + 2 * opt.runs);
    console.log(`${ids.length} conversations of ${user.ref}, each ${SECONDS} s of Ogg/Opus (${(bytes / 1e6).toFixed(2)} MB)`);

    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    const storageState = {
      cookies: [],
      origins: [{ origin: baseURL, localStorage: [{ name: 'mvr.demoSignIn.user', value: opt.user }] }],
    };

    const cold = [];
    const warm = [];
    const details = { cold: [], warm: [] };
    // warm: one context; the first call played (not measured) brings the media stack up
    const warmContext = await browser.newContext({ storageState });
    const warmPage = await warmContext.newPage();
    await openAndPlay(warmPage, baseURL, ids[0], opt.think);
    for (let i = 0; i < opt.runs; i++) {
      // cold run i: fresh context
      const context = await browser.newContext({ storageState });
      try {
        const page = await context.newPage();
        const audio = watchAudio(page);
        const m = await openAndPlay(page, baseURL, ids[1 + i], opt.think, audio);
        await page.waitForTimeout(300); // let the request events arrive
        cold.push(m);
        details.cold.push(describe(m, audio));
      } finally {
        await context.close();
      }
      // warm run i: another call in the warm tab
      const audio = watchAudio(warmPage);
      const m = await openAndPlay(warmPage, baseURL, ids[1 + opt.runs + i], opt.think, audio, true);
      await warmPage.waitForTimeout(300);
      warmPage.removeAllListeners('response');
      warmPage.removeAllListeners('requestfailed');
      warm.push(m);
      details.warm.push(describe(m, audio));
      process.stdout.write(`run ${i + 1}/${opt.runs}: cold ${cold[i].clickToPlaying.toFixed(0)} ms, warm ${m.clickToPlaying.toFixed(0)} ms\n`);
    }
    await warmContext.close();

    const load = os.loadavg().map(x => x.toFixed(1)).join(' / ');
    console.log(`\nclick on Play -> audio of a ${SECONDS / 60}-minute call (${opt.user}, think time ${opt.think} ms, Chromium ${browser.version()}; load average at start ${loadAtStart}, now ${load} on ${os.cpus().length} cores):`);
    const c = stats('cold', cold);
    const w = stats('warm', warm);
    const median = (runs, d) => d[runs.map((r, i) => [r.clickToPlaying, i]).sort((a, b) => a[0] - b[0])[Math.floor(runs.length / 2)][1]];
    const slowest = (runs, d) => d[runs.map((r, i) => [r.clickToPlaying, i]).sort((a, b) => b[0] - a[0])[0][1]];
    console.log(`\ncold, median run:\n${median(cold, details.cold)}\ncold, slowest run:\n${slowest(cold, details.cold)}`);
    console.log(`warm, median run:\n${median(warm, details.warm)}\nwarm, slowest run:\n${slowest(warm, details.warm)}`);
    ok = c.p95 < TARGET_MS && w.p95 < TARGET_MS;
    console.log(`\ntarget p95 click -> playing < ${TARGET_MS} ms: ${ok ? 'met' : 'NOT met'} (cold ${c.p95.toFixed(0)} ms, warm ${w.p95.toFixed(0)} ms)`);
  } finally {
    if (browser) await browser.close();
    if (portal) await stopPortal(portal.child);
  }
  if (!ok) process.exitCode = 1;
}

main().catch(e => {
  console.error(e);
  process.exit(2);
});
