/*
 * Real database outages while the recorder runs: PostgreSQL closed to connections
 * (ALTER DATABASE ... ALLOW_CONNECTIONS false + pg_terminate_backend), a PostgreSQL
 * table lock that leaves the INVITE's queries unanswered, and SQLite on a file system
 * that fills up. Calls in progress must keep recording to their journals, new calls
 * must get 503 quickly, and everything must be registered once the database is back,
 * without a restart.
 */
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { TestDatabases } from '@backstage/backend-test-utils';
import knexFactory, { Knex } from 'knex';
import { decodeOggOpus } from '../audio/opusFile';
import { bestCorrelation, channel, encodeG711, loopTo, rms, synthSpeech } from '../audio/__testUtils__/speech';
import { INVITE_DATABASE_BUDGET_MS } from '../call/databaseHealth';
import {
  NUMBERS,
  RecorderBackend,
  finishedConversation,
  refusedSession,
  startRecorderBackend,
  twoPartyMetadata,
  twoStreamOffer,
  waitFor,
} from '../__testUtils__/recorderBackend';
import { SrcCall, SrcClient, streamRtp } from '../testing/SrcClient';

jest.setTimeout(180_000);

const PG = process.env.BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING;
const quiet = { warn() {}, error() {}, debug() {}, deprecate() {} };
const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

const twoParty = () => twoPartyMetadata();
const offer = () => twoStreamOffer();

async function timedInvite(udp: SrcClient): Promise<{ call: SrcCall; ms: number }> {
  const t = Date.now();
  const call = await udp.invite({ sdp: offer(), metadata: twoParty() });
  return { call, ms: Date.now() - t };
}

function expect503(call: SrcCall) {
  expect(call.response!.status).toBe(503);
  expect(call.response!.headers.get('Retry-After')).toBe('30');
  expect(call.response!.headers.get('Warning')).toBe('399 127.0.0.1 "recording storage unavailable"');
}

const journals = (rb: RecorderBackend) => fs.readdirSync(rb.journalDir).filter(f => f.endsWith('.mvrj'));

/**
 * The recording registered after the outage: finished row, the stored file's SHA-256
 * and size, the duration (row = decoded audio = INVITE-to-BYE wall time), both
 * channels correlate with what was sent, speech where the outage was, every packet.
 */
async function checkRecording(
  rb: RecorderBackend,
  row: any,
  sent: { a: Int16Array; b: Int16Array; wallMs: number; outageFromMs: number; packets: number },
  archiveDir = rb.archiveDir,
) {
  expect(row).toMatchObject({ state: 'finished', ended_by: 'bye', number: NUMBERS.recorded, other_party: NUMBERS.other });
  const file = fs.readFileSync(path.join(archiveDir, row.storage_key));
  expect(createHash('sha256').update(file).digest('hex')).toBe(row.sha256);
  expect(Number(row.bytes)).toBe(file.length);
  const decoded = decodeOggOpus(file, 8000);
  const left = channel(decoded.pcm, 0);
  const right = channel(decoded.pcm, 1);
  const audioMs = (left.length * 1000) / 8000;
  expect(Math.abs(Number(row.duration_ms) - sent.wallMs)).toBeLessThan(600);
  expect(Math.abs(audioMs - Number(row.duration_ms))).toBeLessThan(100);
  const cl = bestCorrelation(sent.a, left.subarray(0, sent.a.length + 8000), 8000);
  const cr = bestCorrelation(sent.b, right.subarray(0, sent.b.length + 8000), 8000);
  expect(cl.value).toBeGreaterThan(0.8);
  expect(cr.value).toBeGreaterThan(0.8);
  // the audio received while the database was down is speech, not silence
  const from = Math.round((sent.outageFromMs / 1000) * 8000) + 4000;
  expect(rms(left.subarray(from, from + 8000))).toBeGreaterThan(300);
  const quality = typeof row.quality === 'string' ? JSON.parse(row.quality) : row.quality;
  expect(quality.packetsReceived).toBe(2 * sent.packets);
  expect(quality.packetsLost).toBe(0);
  // finished once: one conversation-finish in the audit trail (audit entries are appended in
  // batches, after the registration that wrote the row: waited for, then counted)
  const finishes = () => rb.knex('vr_audit_log').where({ action: 'conversation-finish', target_id: row.id });
  await waitFor(async () => (await finishes()).length > 0, 15_000, 'the conversation-finish audit entry');
  expect(await finishes()).toHaveLength(1);
  return { bytes: file.length, audioMs, correlation: [cl.value, cr.value] };
}

/**
 * One call that streams through an outage: `cut` breaks the database mid-call, two
 * INVITEs are refused while it is down, the BYE comes during the outage, `restore`
 * brings it back; then the call must be registered, and new calls recorded again.
 */
async function callThroughOutage(
  rb: RecorderBackend,
  udp: SrcClient,
  cut: () => Promise<void>,
  restore: () => Promise<void>,
  expectKnownDown: boolean,
) {
  const a = loopTo(synthSpeech('Buy one thousand shares of the fund at market price before noon today.'), 8000 * 7);
  const b = loopTo(synthSpeech('Confirmed, one thousand shares at market, executed, thank you very much.', 'en-gb'), 8000 * 7);
  const call = await udp.invite({ sdp: offer(), metadata: twoParty() });
  expect(call.response!.status).toBe(200);
  const t0 = Date.now();
  const media = Promise.all([
    streamRtp({ port: call.mediaPorts[0], payload: encodeG711('pcma', a), payloadType: 8 }),
    streamRtp({ port: call.mediaPorts[1], payload: encodeG711('pcma', b), payloadType: 8 }),
  ]);
  await sleep(1500);
  await cut();
  const outageFromMs = Date.now() - t0;

  // the first INVITE finds out (an error, or the call set-up budget), the next is answered at once
  const first = await timedInvite(udp);
  expect503(first.call);
  expect(first.ms).toBeLessThan(INVITE_DATABASE_BUDGET_MS + 500);
  expect(rb.server.storeStatus().database.down).toBe(true);
  const second = await timedInvite(udp);
  expect503(second.call);
  if (expectKnownDown) {
    expect(second.ms).toBeLessThan(250);
    // SBCs that ping the recorder see it unavailable
    expect((await udp.options()).status).toBe(503);
  } else {
    expect(second.ms).toBeLessThan(INVITE_DATABASE_BUDGET_MS + 500);
  }

  // the call in progress streams on, and its BYE comes during the outage
  const [sa, sb] = await media;
  await sleep(200);
  expect((await udp.bye(call)).status).toBe(200);
  const wallMs = Date.now() - t0;
  await waitFor(async () => rb.server.storeStatus().registrations.pendingRegistrations === 1, 15_000, 'the registration to be queued');
  await sleep(2000);
  // still down: not registered, the journal kept (it is the call's only durable record in the database's eyes)
  expect(rb.server.storeStatus().registrations.pendingRegistrations).toBe(1);
  expect(journals(rb)).toHaveLength(1);

  await restore();
  const backAt = Date.now();
  const row = await finishedConversation(rb.knex, call.callId, 30_000);
  const registeredAfterMs = Date.now() - backAt;
  const checked = await checkRecording(rb, row, { a, b, wallMs, outageFromMs, packets: sa.sent });
  expect(sb.sent).toBe(sa.sent);
  await waitFor(async () => journals(rb).length === 0, 5000, 'the journal to be deleted');
  const status = rb.server.storeStatus();
  expect(status.database.down).toBe(false);
  // SBCs that ping see it available again. Within a few seconds, not at once: the checks
  // above decode and compare the recording synchronously in this process (the recorder's
  // own), so its once-a-second storage probe may not have run for a while, and a probe
  // that old reads as a hanging disk (storage-unresponsive) until the next one answers.
  await waitFor(async () => (await udp.options()).status === 200, 5000, 'OPTIONS to answer 200 again');
  expect(status.registrations).toMatchObject({ pendingRegistrations: 0, registeredLate: 1 });

  // the refusals were recorded once the database was back
  for (const r of [first, second]) {
    const refused = await refusedSession(rb.knex, r.call.callId);
    expect(refused).toMatchObject({ reason: 'storage-unavailable', response_code: 503, message: expect.stringContaining('database unavailable') });
    expect(refused.message).not.toMatch(/insert into/i);
  }
  await waitFor(async () => rb.server.storeStatus().registrations.pendingRefusals === 0, 10_000, 'refusals written');
  for (const r of [first, second]) {
    expect(await rb.knex('vr_refused_sessions').where('sip_call_id', r.call.callId)).toHaveLength(1);
  }

  // and new calls are recorded again
  const next = await udp.invite({ sdp: offer(), metadata: twoParty() });
  expect(next.response!.status).toBe(200);
  await streamRtp({ port: next.mediaPorts[0], payload: encodeG711('pcma', a.subarray(0, 8000)), payloadType: 8 });
  expect((await udp.bye(next)).status).toBe(200);
  const nextRow = await finishedConversation(rb.knex, next.callId);
  expect(nextRow).toMatchObject({ state: 'finished', ended_by: 'bye' });
  const nextFile = fs.readFileSync(path.join(rb.archiveDir, nextRow.storage_key));
  expect(createHash('sha256').update(nextFile).digest('hex')).toBe(nextRow.sha256);
  return { first: first.ms, second: second.ms, registeredAfterMs, ...checked };
}

(PG ? describe : describe.skip)('SIPREC recorder through a PostgreSQL outage', () => {
  const name = `mvr_outage_${randomBytes(4).toString('hex')}`;
  const url = (database: string) => {
    const u = new URL(PG!);
    u.pathname = `/${database}`;
    return u.toString();
  };
  let admin: Knex;
  let db: Knex;
  let rb: RecorderBackend;
  let udp: SrcClient;

  beforeAll(async () => {
    admin = knexFactory({ client: 'pg', connection: url('postgres'), pool: { min: 0, max: 1 }, log: quiet });
    await admin.raw(`CREATE DATABASE ${name}`);
    db = knexFactory({ client: 'pg', connection: url(name), pool: { min: 0, max: 5 }, acquireConnectionTimeout: 30_000, log: quiet });
    rb = await startRecorderBackend(db);
    udp = new SrcClient({ host: '127.0.0.1', port: rb.port, transport: 'udp' });
    await udp.start();
  });

  afterAll(async () => {
    await udp?.close();
    await rb?.stop();
    await db?.destroy();
    await admin.raw(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`).catch(() => undefined);
    await admin.raw(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.destroy();
  });

  it('keeps recording a call while the database is closed, refuses new calls with 503, registers the call once it is back', async () => {
    const figures = await callThroughOutage(
      rb,
      udp,
      async () => {
        await admin.raw(`ALTER DATABASE ${name} ALLOW_CONNECTIONS false`);
        // the connections the recorder's pool holds are cut
        await admin.raw('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = ? AND pid <> pg_backend_pid()', [name]);
      },
      async () => {
        await admin.raw(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`);
      },
      true,
    );
    expect(figures.registeredAfterMs).toBeLessThan(30_000);
    // eslint-disable-next-line no-console
    console.log(
      `PostgreSQL outage: first INVITE 503 in ${figures.first} ms, next in ${figures.second} ms; call registered ` +
        `${figures.registeredAfterMs} ms after the database was back (${figures.bytes} bytes, ${Math.round(figures.audioMs)} ms of audio, ` +
        `correlation ${figures.correlation.map(c => c.toFixed(3)).join('/')})`,
    );
  });

  it('answers 503 after the call set-up budget when the database does not answer, without calling it down', async () => {
    const locker = knexFactory({ client: 'pg', connection: url(name), pool: { min: 0, max: 1 }, log: quiet });
    let hung: { call: SrcCall; ms: number } | undefined;
    try {
      await locker.transaction(async trx => {
        // every read of the recorded numbers now waits for this transaction
        await trx.raw('LOCK TABLE vr_numbers IN ACCESS EXCLUSIVE MODE');
        hung = await timedInvite(udp);
        expect(rb.server.storeStatus().database.down).toBe(false);
      });
    } finally {
      await locker.destroy();
    }
    expect503(hung!.call);
    expect(hung!.ms).toBeGreaterThanOrEqual(INVITE_DATABASE_BUDGET_MS - 50);
    expect(hung!.ms).toBeLessThan(INVITE_DATABASE_BUDGET_MS + 700);
    expect(await refusedSession(rb.knex, hung!.call.callId)).toMatchObject({
      reason: 'storage-unavailable',
      response_code: 503,
      message: expect.stringContaining(`call set-up budget of ${INVITE_DATABASE_BUDGET_MS} ms`),
    });
    // eslint-disable-next-line no-console
    console.log(`unanswered database: INVITE refused with 503 after ${hung!.ms} ms`);
    const ok = await udp.invite({ sdp: offer(), metadata: twoParty() });
    expect(ok.response!.status).toBe(200);
    expect((await udp.bye(ok)).status).toBe(200);
    expect(await finishedConversation(rb.knex, ok.callId)).toMatchObject({ ended_by: 'bye' });
  });

  it('keeps the refused sessions of an outage on disk through a stop, and writes them once at the next start', async () => {
    await admin.raw(`ALTER DATABASE ${name} ALLOW_CONNECTIONS false`);
    await admin.raw('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = ? AND pid <> pg_backend_pid()', [name]);
    const refused = [await timedInvite(udp), await timedInvite(udp)];
    for (const r of refused) expect503(r.call);
    const spoolDir = path.join(rb.journalDir, 'refused');
    const spooled = () => (fs.existsSync(spoolDir) ? fs.readdirSync(spoolDir).filter(f => f.endsWith('.json')) : []);
    await waitFor(async () => spooled().length === 2, 10_000, 'both refusals on disk');
    expect(rb.server.storeStatus().registrations.pendingRefusals).toBe(2);

    // the stop does not wait for the database: the records are on disk
    const { journalDir, archiveDir } = rb;
    const stopping = Date.now();
    await udp.close();
    await rb.stop();
    const stopMs = Date.now() - stopping;
    expect(stopMs).toBeLessThan(10_000);
    expect(spooled()).toHaveLength(2);

    await admin.raw(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`);
    rb = await startRecorderBackend(db, { storage: { journalDir, archiveDir, minFreeMegabytes: 1 } });
    udp = new SrcClient({ host: '127.0.0.1', port: rb.port, transport: 'udp' });
    await udp.start();
    for (const r of refused) {
      const row = await refusedSession(rb.knex, r.call.callId);
      // the number could not be looked up during the outage: the parties are what the SRC sent
      expect(row).toMatchObject({ reason: 'storage-unavailable', response_code: 503, message: expect.stringContaining('database unavailable') });
      expect(JSON.stringify(row.participants)).toContain(NUMBERS.recorded);
      expect(await rb.knex('vr_refused_sessions').where('sip_call_id', r.call.callId)).toHaveLength(1);
      expect(await rb.knex('vr_audit_log').where({ action: 'recording-refused', target_id: row.id })).toHaveLength(1);
    }
    await waitFor(async () => spooled().length === 0, 10_000, 'the spooled records to be deleted');
    expect(fs.readdirSync(spoolDir)).toEqual([]);
    // eslint-disable-next-line no-console
    console.log(`refusals of an outage: stop took ${stopMs} ms with 2 records on disk; written at the next start`);
  });
});

/** A small tmpfs for the SQLite file (root only); undefined when it cannot be mounted. */
function mountTmpfs(dir: string, size: string): boolean {
  if (process.getuid?.() !== 0) return false;
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Writes `file` until the file system is full. */
function fillUp(file: string): number {
  const fd = fs.openSync(file, 'w');
  const chunk = Buffer.alloc(64 * 1024, 1);
  let written = 0;
  try {
    for (;;) written += fs.writeSync(fd, chunk);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
  } finally {
    fs.closeSync(fd);
  }
  return written;
}

describe('SIPREC recorder with its SQLite database on a full disk', () => {
  let dir: string;
  let dbDir: string;
  let mounted = false;
  let db: Knex;
  let rb: RecorderBackend;
  let udp: SrcClient;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mvr-sqlite-outage-'));
    dbDir = path.join(dir, 'db');
    fs.mkdirSync(dbDir);
    mounted = mountTmpfs(dbDir, '16m');
    if (!mounted) return;
    db = knexFactory({ client: 'better-sqlite3', connection: { filename: path.join(dbDir, 'voice-recording.sqlite') }, useNullAsDefault: true });
    rb = await startRecorderBackend(db);
    udp = new SrcClient({ host: '127.0.0.1', port: rb.port, transport: 'udp' });
    await udp.start();
  });

  afterAll(async () => {
    await udp?.close();
    await rb?.stop();
    await db?.destroy();
    if (mounted) execFileSync('umount', [dbDir]);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('keeps recording while SQLite cannot write (SQLITE_FULL), refuses new calls with 503, registers the call once there is room', async () => {
    if (!mounted) {
      // eslint-disable-next-line no-console
      console.warn('cannot mount a tmpfs here (needs root): the SQLite full-disk outage is not exercised');
      return;
    }
    const filler = path.join(dbDir, 'filler');
    let filled = 0;
    const figures = await callThroughOutage(
      rb,
      udp,
      async () => {
        filled = fillUp(filler);
      },
      async () => {
        fs.rmSync(filler);
      },
      // reads still work: the probe may call it up between two failed writes
      false,
    );
    expect(filled).toBeGreaterThan(0);
    expect(figures.registeredAfterMs).toBeLessThan(30_000);
    // eslint-disable-next-line no-console
    console.log(
      `SQLite full disk: first INVITE 503 in ${figures.first} ms, next in ${figures.second} ms; call registered ` +
        `${figures.registeredAfterMs} ms after space was freed (${figures.bytes} bytes, ${Math.round(figures.audioMs)} ms of audio)`,
    );
  });
});

describe('SIPREC recorder with its archive disk full at the end of a call', () => {
  const databases = TestDatabases.create({ ids: ['SQLITE_3'] });
  let dir: string;
  let archiveDir: string;
  let journalDir: string;
  let mounted = false;
  let rb: RecorderBackend;
  let udp: SrcClient;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mvr-archive-full-'));
    archiveDir = path.join(dir, 'recordings');
    journalDir = path.join(dir, 'journal');
    fs.mkdirSync(archiveDir);
    mounted = mountTmpfs(archiveDir, '4m');
    if (!mounted) return;
    rb = await startRecorderBackend(await databases.init('SQLITE_3'), {
      storage: { journalDir, archiveDir, minFreeMegabytes: 1 },
    });
    udp = new SrcClient({ host: '127.0.0.1', port: rb.port, transport: 'udp' });
    await udp.start();
  });

  afterAll(async () => {
    await udp?.close();
    await rb?.stop();
    if (mounted) execFileSync('umount', [archiveDir]);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('keeps the call recording and its journal, refuses new calls with 503, archives and registers it once there is room', async () => {
    if (!mounted) {
      // eslint-disable-next-line no-console
      console.warn('cannot mount a tmpfs here (needs root): the full archive disk is not exercised');
      return;
    }
    const a = loopTo(synthSpeech('Buy one thousand shares of the fund at market price before noon today.'), 8000 * 5);
    const b = loopTo(synthSpeech('Confirmed, one thousand shares at market, executed, thank you very much.', 'en-gb'), 8000 * 5);
    const call = await udp.invite({ sdp: offer(), metadata: twoParty() });
    expect(call.response!.status).toBe(200);
    const t0 = Date.now();
    const media = Promise.all([
      streamRtp({ port: call.mediaPorts[0], payload: encodeG711('pcma', a), payloadType: 8 }),
      streamRtp({ port: call.mediaPorts[1], payload: encodeG711('pcma', b), payloadType: 8 }),
    ]);
    await sleep(1000);
    const filler = path.join(archiveDir, 'filler');
    expect(fillUp(filler)).toBeGreaterThan(0);
    const outageFromMs = Date.now() - t0;
    // the background probe (once a second) notices the full disk
    await waitFor(async () => rb.server.storeStatus().storage?.ok === false || undefined, 5000, 'the full disk to be noticed');

    const refused = await timedInvite(udp);
    expect503(refused.call);
    expect(await refusedSession(rb.knex, refused.call.callId)).toMatchObject({ reason: 'storage-unavailable', response_code: 503 });

    const [sa] = await media;
    await sleep(200);
    expect((await udp.bye(call)).status).toBe(200);
    const wallMs = Date.now() - t0;
    await waitFor(async () => rb.server.storeStatus().registrations.pendingRegistrations === 1, 15_000, 'the archive to be queued');
    await sleep(1500);
    // not archived: the conversation is still recording (not failed), the journal kept
    const during = await rb.knex('vr_conversations').where('sip_call_id', call.callId).first();
    expect(during.state).toBe('recording');
    expect(fs.readdirSync(journalDir).filter(f => f.endsWith('.mvrj'))).toHaveLength(1);

    fs.rmSync(filler);
    const freedAt = Date.now();
    const row = await finishedConversation(rb.knex, call.callId, 30_000);
    const archivedAfterMs = Date.now() - freedAt;
    await checkRecording(rb, row, { a, b, wallMs, outageFromMs, packets: sa.sent }, archiveDir);
    expect(row.failure_reason).toBeNull();
    await waitFor(async () => fs.readdirSync(journalDir).filter(f => f.endsWith('.mvrj')).length === 0, 5000, 'the journal to be deleted');
    expect(rb.server.storeStatus().registrations).toMatchObject({ pendingRegistrations: 0, registeredLate: 1 });
    // eslint-disable-next-line no-console
    console.log(`archive disk full: call archived and registered ${archivedAfterMs} ms after space was freed`);

    const next = await udp.invite({ sdp: offer(), metadata: twoParty() });
    expect(next.response!.status).toBe(200);
    expect((await udp.bye(next)).status).toBe(200);
    expect(await finishedConversation(rb.knex, next.callId)).toMatchObject({ state: 'finished', ended_by: 'bye' });
  });
});
