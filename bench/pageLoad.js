#!/usr/bin/env node
/*
 * Page load of the portal's main pages, in a real Chromium (playwright-core, Debian's
 * /usr/bin/chromium) against the demo portal (scripts/e2e-server.sh: backend + built
 * frontend, fresh SQLite, demo users, numbers and generated demo calls):
 *
 *   yarn bench pageload [--runs 10] [--warmup 1] [--user alice] [--root DIR]
 *   node bench/pageLoad.js [...]
 *
 * `--root DIR` measures another checkout (e.g. a `git worktree` of an older commit, with
 * its own `yarn install` and `yarn workspace app build`): its scripts/e2e-server.sh, its
 * backend and its packages/app/dist. The browser driver (playwright-core) is this
 * checkout's. The portal runs on MVR_BENCH_PORT (default 7057; SIP 5095 and RTP
 * 34000-34199), next to the browser tests (7017) and the playback benchmark (7037).
 *
 * Signed in as the demo admin (alice), per page (numbers, conversations, the call page of
 * a demo call, audit): one navigation to the page (warm-up, not counted) then `--runs`
 * full reloads (F5: the app's bundle from the HTTP cache, every API call made again).
 * Measured inside the page, from the navigation's start (performance.timeOrigin) to the
 * first moment the page's content is visible and usable:
 *
 * - numbers: the row of Bob's number (+32470123456) in the table of recorded numbers;
 * - conversations: a result row (data-testid conversation-row-…);
 * - call page: the Play button enabled (the recording is ready to play);
 * - audit: an audit row (data-testid audit-row-…).
 *
 * `--waterfall` also lists, for each page's median run, the requests made before the
 * content showed (API calls with their start and end, and the span of the scripts).
 *
 * Prints median and p95 per page (and DOMContentLoaded for reference) next to the
 * targets of issue 16 (today's figures on this machine class); exit code 1 when a p50 is
 * over its target.
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { chromium } = require('playwright-core');

const BOB_NUMBER = '+32470123456';
/** Issue 16: "today's" full-reload figures on this machine class, in ms. */
const TARGETS = { numbers: 900, conversations: 1700, call: 1500, audit: 700 };

function args() {
  const out = { runs: 10, warmup: 1, waterfall: false, user: 'alice', root: path.resolve(__dirname, '..'), pages: Object.keys(TARGETS) };
  const a = process.argv.slice(2);
  for (let i = 0; i < a.length; i++) {
    const k = a[i];
    const v = () => {
      if (i + 1 >= a.length) throw new Error(`${k}: a value is missing`);
      return a[++i];
    };
    if (k === '--runs') out.runs = Number(v());
    else if (k === '--warmup') out.warmup = Number(v());
    else if (k === '--user') out.user = v();
    else if (k === '--root') out.root = path.resolve(v());
    else if (k === '--pages') out.pages = v().split(',');
    else if (k === '--waterfall') out.waterfall = true;
    else if (k === 'pageload') continue; // `yarn bench pageload`
    else throw new Error(`unknown argument ${k} (--runs N, --warmup N, --user NAME, --root DIR, --pages numbers,conversations,call,audit, --waterfall)`);
  }
  if (!Number.isInteger(out.runs) || out.runs < 1) throw new Error(`--runs: a positive integer, got ${out.runs}`);
  if (!Number.isInteger(out.warmup) || out.warmup < 0) throw new Error(`--warmup: an integer ≥ 0, got ${out.warmup}`);
  for (const p of out.pages) if (!TARGETS[p]) throw new Error(`--pages: one of ${Object.keys(TARGETS).join(', ')}, got ${p}`);
  if (!fs.existsSync(path.join(out.root, 'scripts/e2e-server.sh'))) throw new Error(`--root ${out.root}: no scripts/e2e-server.sh there`);
  if (!fs.existsSync(path.join(out.root, 'packages/app/dist/index.html'))) {
    throw new Error(`${out.root}/packages/app/dist is missing: run 'yarn workspace app build' there first`);
  }
  return out;
}

/** Starts <root>/scripts/e2e-server.sh in its own process group. */
function startPortal(root, port) {
  const env = {
    ...process.env,
    APP_CONFIG_voiceRecording_recorder_sip_port: process.env.MVR_BENCH_SIP_PORT ?? '5095',
    APP_CONFIG_voiceRecording_recorder_rtp_portMin: '34000',
    APP_CONFIG_voiceRecording_recorder_rtp_portMax: '34199',
  };
  const child = spawn('bash', [path.join(root, 'scripts/e2e-server.sh'), String(port)], {
    cwd: root,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logFile = path.join(os.tmpdir(), `mvr-bench-pageload-${port}.log`);
  const log = fs.createWriteStream(logFile);
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  return { child, logFile };
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

async function until(what, fn, { timeoutMs = 300_000, child } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null) throw new Error(`the portal exited while waiting for ${what}`);
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    await new Promise(r => setTimeout(r, 1000));
  }
  throw new Error(`${what}: not within ${timeoutMs / 1000} s${last ? ` (${last.message})` : ''}`);
}

async function api(baseURL, token, p, init = {}) {
  const res = await fetch(`${baseURL}${p}`, { ...init, headers: { Authorization: `Bearer ${token}`, ...init.headers } });
  if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${p}: ${res.status} ${await res.text()}`);
  return res;
}

/**
 * Installed in every page before its scripts: records, from the navigation's start, the
 * first moment each page's "usable" element is visible (checked on every DOM mutation,
 * and every 16 ms for changes that are not mutations).
 */
function probeScript(bobNumber) {
  const visible = el => el.getClientRects().length > 0 && (!el.checkVisibility || el.checkVisibility());
  const any = (sel, ok = () => true) => Array.from(document.querySelectorAll(sel)).some(el => ok(el) && visible(el));
  const checks = {
    numbers: () => any('[data-testid^="number-row-"], tr, [role="row"]', el => (el.textContent ?? '').includes(bobNumber)),
    conversations: () => any('[data-testid^="conversation-row-"]'),
    call: () => any('[data-testid="play-button"]', el => !el.disabled && el.getAttribute('aria-disabled') !== 'true'),
    audit: () => any('[data-testid^="audit-row-"]'),
  };
  const seen = {};
  window.__mvrPageLoad = seen;
  const check = () => {
    for (const [k, f] of Object.entries(checks)) {
      if (seen[k] === undefined && document.body && f()) seen[k] = performance.now();
    }
  };
  new MutationObserver(check).observe(document, { subtree: true, childList: true, attributes: true, characterData: true });
  const timer = setInterval(check, 16);
  setTimeout(() => clearInterval(timer), 120_000);
}

function quantile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];
}

async function main() {
  const opt = args();
  const port = Number(process.env.MVR_BENCH_PORT ?? 7057);
  const baseURL = `http://localhost:${port}`;
  const loadAtStart = os.loadavg().map(x => x.toFixed(1)).join(' / ');
  let portal;
  let browser;
  let ok = true;
  try {
    portal = startPortal(opt.root, port);
    console.log(`starting the portal of ${opt.root} on ${baseURL} (log: ${portal.logFile})`);
    await until('the portal', async () => (await fetch(`${baseURL}/.backstage/health/v1/readiness`)).ok, { child: portal.child });

    // the demo calls are generated in the background after start-up: wait for all four
    const token = await until('a token', async () => {
      const res = await fetch(`${baseURL}/api/auth/demo/refresh`, { method: 'POST', headers: { 'x-mvr-demo-user': opt.user } });
      return res.ok ? (await res.json()).backstageIdentity.token : undefined;
    });
    const calls = await until('the 4 demo calls', async () => {
      const list = await (await api(baseURL, token, '/api/voice-recording/conversations?limit=50')).json();
      return list.total >= 4 ? list.items : undefined;
    }, { child: portal.child });
    // audit entries to show: one download per demo call (an audited access)
    for (const c of calls) await (await api(baseURL, token, `/api/voice-recording/conversations/${c.id}/download`)).arrayBuffer();
    const call = calls.find(c => c.otherParty === '+33612345678') ?? calls[0];

    const urls = {
      numbers: '/voice-recording/numbers',
      conversations: '/voice-recording/conversations',
      call: `/voice-recording/conversations/${call.id}`,
      audit: '/voice-recording/audit',
    };

    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    const context = await browser.newContext({
      viewport: { width: 1280, height: 800 },
      storageState: { cookies: [], origins: [{ origin: baseURL, localStorage: [{ name: 'mvr.demoSignIn.user', value: opt.user }] }] },
    });
    await context.addInitScript(probeScript, BOB_NUMBER);
    const page = await context.newPage();

    const measure = async key => {
      const handle = await page.waitForFunction(
        k => {
          const v = window.__mvrPageLoad?.[k];
          if (v === undefined) return undefined;
          const nav = performance.getEntriesByType('navigation')[0];
          // the requests made before the content showed (API and scripts), for the
          // median run's waterfall
          const requests = performance
            .getEntriesByType('resource')
            .filter(r => r.startTime <= v && /\/api\/|\.js$/.test(r.name))
            .map(r => {
              const u = new URL(r.name);
              const name = `${u.pathname.replace(/\/static\/(.*)/, (_, f) => `/static/${f.length > 40 ? `${f.slice(0, 40)}…` : f} (*.js)`)}${u.search ? '?…' : ''}`;
              return [name, Math.round(r.startTime), Math.round(r.responseEnd)];
            });
          return { visible: v, dcl: nav ? nav.domContentLoadedEventEnd : NaN, requests };
        },
        key,
        { timeout: 60_000, polling: 50 },
      ).catch(async e => {
        const shot = path.join(os.tmpdir(), `mvr-bench-pageload-${key}.png`);
        await page.screenshot({ path: shot }).catch(() => undefined);
        throw new Error(`${key}: the content did not show within 60 s at ${page.url()} (screenshot ${shot}): ${e.message}`);
      });
      return handle.jsonValue();
    };

    const results = {};
    for (const key of opt.pages) {
      const runs = [];
      await page.goto(`${baseURL}${urls[key]}`);
      await measure(key);
      for (let i = 1; i < opt.warmup; i++) {
        await page.reload();
        await measure(key);
      }
      for (let i = 0; i < opt.runs; i++) {
        await page.reload();
        runs.push(await measure(key));
        await page.waitForLoadState('networkidle').catch(() => undefined);
      }
      results[key] = runs;
      process.stdout.write(`${key}: ${runs.map(r => r.visible.toFixed(0)).join(' ')} ms\n`);
    }

    const load = os.loadavg().map(x => x.toFixed(1)).join(' / ');
    console.log(`\nfull reload -> content visible, signed in as ${opt.user}, ${opt.runs} runs after ${opt.warmup} warm-up (${opt.root}, Chromium ${browser.version()}; load average at start ${loadAtStart}, now ${load} on ${os.cpus().length} cores):`);
    console.log(`  page           p50        p95        max        DOMContentLoaded p50   target`);
    for (const key of opt.pages) {
      const v = results[key].map(r => r.visible).sort((a, b) => a - b);
      const d = results[key].map(r => r.dcl).sort((a, b) => a - b);
      const p50 = quantile(v, 0.5);
      const s = x => `${(x / 1000).toFixed(2)} s`.padEnd(11);
      const met = p50 <= TARGETS[key];
      if (!met) ok = false;
      console.log(`  ${key.padEnd(14)} ${s(p50)}${s(quantile(v, 0.95))}${s(v[v.length - 1])}${s(quantile(d, 0.5)).padEnd(23)}${(TARGETS[key] / 1000).toFixed(1)} s ${met ? 'ok' : 'OVER'}`);
    }
    if (opt.waterfall) {
      for (const key of opt.pages) {
        const runs = [...results[key]].sort((a, b) => a.visible - b.visible);
        const median = runs[Math.floor(runs.length / 2)];
        console.log(`\n${key}, median run (${median.visible.toFixed(0)} ms): requests before the content showed (start → end, ms from navigation)`);
        const js = median.requests.filter(r => r[0].endsWith('(*.js)'));
        // the scripts of the app's start (before its first API call) as one line, the
        // lazily loaded ones (plugin pages) and every API call one by one
        const firstApi = Math.min(...median.requests.filter(r => r[0].startsWith('/api/')).map(r => r[1]));
        const early = js.filter(r => r[1] < firstApi);
        if (early.length) console.log(`  ${String(Math.min(...early.map(r => r[1]))).padStart(5)} → ${String(Math.max(...early.map(r => r[2]))).padStart(5)}  ${early.length} scripts of the app's start`);
        for (const [name, start, end] of median.requests.filter(r => !r[0].endsWith('(*.js)') || r[1] >= firstApi).sort((a, b) => a[1] - b[1])) {
          console.log(`  ${String(start).padStart(5)} → ${String(end).padStart(5)}  ${name}`);
        }
      }
    }
    await context.close();
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
