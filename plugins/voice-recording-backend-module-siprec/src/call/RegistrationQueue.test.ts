import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { mockServices } from '@backstage/backend-test-utils';
import { Conversation } from '@mvr/plugin-voice-recording-common';
import {
  CaptureConversations,
  CaptureStoreError,
  FinishConversationInput,
  RecordRefusedInput,
} from '@mvr/plugin-voice-recording-node';
import { DatabaseHealth } from './databaseHealth';
import { RefusalSpool } from './RefusalSpool';
import { RegistrationQueue } from './RegistrationQueue';
import { RegistrationJob } from './register';

/** A conversation store whose database can be switched off; finish is idempotent like the real one. */
class Store implements CaptureConversations {
  up = true;
  readonly rows = new Map<string, { state: string; finishes: number }>();
  readonly refused: RecordRefusedInput[] = [];
  finishCalls = 0;

  private check(op: string) {
    if (!this.up) throw new CaptureStoreError('unavailable', op, 'database unavailable: connect ECONNREFUSED 127.0.0.1:5432');
  }
  async begin(): Promise<string> {
    throw new Error('not used');
  }
  async update(id: string) {
    this.check('conversations.update');
    const row = this.rows.get(id);
    if (!row) throw new CaptureStoreError('not-found', 'conversations.update', `conversation ${id} not found`);
    if (row.state !== 'recording') throw new CaptureStoreError('conflict', 'conversations.update', 'finished');
  }
  async finish(id: string, input: FinishConversationInput): Promise<Conversation> {
    this.finishCalls++;
    this.check('conversations.finish');
    const row = this.rows.get(id);
    if (!row) throw new CaptureStoreError('not-found', 'conversations.finish', `conversation ${id} not found`);
    if (row.state === 'recording') {
      row.state = input.storageKey ? 'finished' : 'failed';
      row.finishes++;
    }
    return { id, state: row.state } as Conversation;
  }
  async recordRefused(input: RecordRefusedInput) {
    this.check('conversations.recordRefused');
    if (!input.id || !this.refused.some(r => r.id === input.id)) this.refused.push(input);
    return {} as any;
  }
  async activeCount() {
    return 0;
  }
  async listInProgress() {
    return [];
  }
  async get(id: string) {
    this.check('conversations.get');
    const row = this.rows.get(id);
    return row ? ({ id, state: row.state } as Conversation) : undefined;
  }
  async listArchivesToCompress() {
    return [];
  }
  async replaceArchive(): Promise<'stale'> {
    return 'stale';
  }
  async forgetSupersededArchive() {}
}

const waitFor = async (fn: () => boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise(r => setTimeout(r, 20));
  }
};

describe('RegistrationQueue', () => {
  let dir: string;
  let store: Store;
  let health: DatabaseHealth;
  let queue: RegistrationQueue;
  const logger = mockServices.logger.mock();

  const job = (id: string): RegistrationJob => {
    const journalPath = path.join(dir, `${id}.mvrj`);
    fs.writeFileSync(journalPath, 'journal');
    store.rows.set(id, { state: 'recording', finishes: 0 });
    return {
      conversationId: id,
      journalPath,
      deleteJournal: true,
      patch: { quality: { packetsReceived: 1, packetsLost: 0 } },
      finish: { endedAt: new Date(), endedBy: 'bye', storageKey: `k/${id}`, sha256: 'a'.repeat(64), bytes: 1, durationMs: 20 },
    };
  };

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mvr-queue-'));
    store = new Store();
    health = new DatabaseHealth({ conversations: store, logger, probeDelaysMs: [50] });
    const observed = health.wrap({ conversations: store } as any).conversations;
    queue = new RegistrationQueue({ conversations: observed, logger, health, retryDelaysMs: [50] });
  });

  afterEach(() => {
    queue.close();
    health.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('registers at once when the database answers, and deletes the journal after finish', async () => {
    const j = job('c1');
    expect(await queue.register(j)).toBe(true);
    expect(store.rows.get('c1')).toEqual({ state: 'finished', finishes: 1 });
    expect(fs.existsSync(j.journalPath!)).toBe(false);
    expect(queue.stats).toMatchObject({ pendingRegistrations: 0, registeredLate: 0 });
  });

  it('keeps the journal while the database is down, registers each conversation once when it is back', async () => {
    store.up = false;
    const a = job('a');
    const b = job('b');
    expect(await queue.register(a)).toBe(false); // tried, failed: the database is now known down
    expect(health.down).toBe(true);
    const calls = store.finishCalls;
    expect(await queue.register(b)).toBe(false); // known down: queued without trying
    expect(store.finishCalls).toBe(calls);
    // the same conversation again: not queued twice
    expect(await queue.register({ ...a })).toBe(false);
    expect(queue.stats.pendingRegistrations).toBe(2);
    queue.recordRefused({ at: new Date(), participants: [], reason: 'storage-unavailable', sipCallId: 'r1', responseCode: 503 });
    await new Promise(r => setTimeout(r, 300));
    expect(fs.existsSync(a.journalPath!)).toBe(true);
    expect(fs.existsSync(b.journalPath!)).toBe(true);
    expect(store.rows.get('a')!.state).toBe('recording');

    store.up = true;
    await waitFor(() => queue.stats.pendingRegistrations === 0 && queue.stats.pendingRefusals === 0);
    expect(health.down).toBe(false);
    expect(store.rows.get('a')).toEqual({ state: 'finished', finishes: 1 });
    expect(store.rows.get('b')).toEqual({ state: 'finished', finishes: 1 });
    expect(fs.existsSync(a.journalPath!)).toBe(false);
    expect(fs.existsSync(b.journalPath!)).toBe(false);
    expect(store.refused.map(r => r.sipCallId)).toEqual(['r1']);
    expect(queue.stats.registeredLate).toBe(2);
  });

  it('never deletes the journal of a conversation the database does not know', async () => {
    const j = job('ghost');
    store.rows.delete('ghost');
    expect(await queue.register(j)).toBe(false);
    expect(fs.existsSync(j.journalPath!)).toBe(true);
    expect(queue.stats.pendingRegistrations).toBe(0);
    expect(logger.error).toHaveBeenCalledWith(expect.stringContaining('left in place'));
  });

  it('keeps the journal of an archive that failed (no recording) after finishing the conversation as failed', async () => {
    const j = { ...job('noaudio'), deleteJournal: false };
    j.finish = { endedAt: new Date(), endedBy: 'error', failureReason: 'archiving the recording failed: ENOSPC' };
    expect(await queue.register(j)).toBe(true);
    expect(store.rows.get('noaudio')!.state).toBe('failed');
    expect(fs.existsSync(j.journalPath!)).toBe(true);
  });

  it('on close, pending journals stay for the next start and pending refusals are logged', async () => {
    store.up = false;
    const j = job('late');
    await queue.register(j);
    queue.recordRefused({ at: new Date(), participants: [], reason: 'storage-unavailable', sipCallId: 'r2', responseCode: 503 });
    const idle = queue.idle();
    queue.close();
    await idle;
    await queue.whenClosed();
    expect(fs.existsSync(j.journalPath!)).toBe(true);
    expect(queue.stats.refusalsDropped).toBe(1);
    expect(logger.warn).toHaveBeenCalledWith(expect.stringContaining('r2'));
  });

  it('keeps waiting refused-session records on disk: a stop does not wait for them, the next start writes them once', async () => {
    const spool = new RefusalSpool(path.join(dir, 'refused'));
    const observed = health.wrap({ conversations: store } as any).conversations;
    const spooled = new RegistrationQueue({ conversations: observed, logger, health, retryDelaysMs: [50], spool });
    store.up = false;
    spooled.recordRefused({ at: new Date(), participants: ['sip:+32470123456@sbc'], reason: 'storage-unavailable', sipCallId: 'r3', responseCode: 503 });
    await waitFor(() => health.down);
    spooled.recordRefused({ at: new Date(), participants: [], reason: 'storage-unavailable', sipCallId: 'r4', responseCode: 503 });
    // on disk: nothing a stop would lose, though both still wait for the database
    await spooled.idle();
    expect(spooled.stats.pendingRefusals).toBe(2);
    spooled.close();
    await spooled.whenClosed();
    expect(spooled.stats.refusalsDropped).toBe(0);
    expect(logger.warn).toHaveBeenCalledWith(expect.stringContaining(`2 refused-session record(s) not written yet (database unavailable): kept in ${spool.dir}`));

    // the next start: the records come back with their ids, and are written when the database is
    const left = await new RefusalSpool(spool.dir).load();
    expect(left.records.map(r => r.sipCallId)).toEqual(['r3', 'r4']);
    const ids = left.records.map(r => r.id);
    expect(ids.every(id => /^[0-9a-f-]{36}$/.test(id))).toBe(true);
    const next = new RegistrationQueue({ conversations: observed, logger, health, retryDelaysMs: [50], spool });
    try {
      next.resumeRefusals(left.records);
      await new Promise(r => setTimeout(r, 200));
      expect(store.refused).toHaveLength(0);
      store.up = true;
      await waitFor(() => next.stats.pendingRefusals === 0);
      expect(store.refused.map(r => [r.sipCallId, r.id])).toEqual([['r3', ids[0]], ['r4', ids[1]]]);
      await waitFor(() => fs.readdirSync(spool.dir).length === 0);
      // a crash after the database took a record but before its file went: written again, kept once
      next.resumeRefusals(left.records);
      await waitFor(() => next.stats.pendingRefusals === 0);
      expect(store.refused).toHaveLength(2);
    } finally {
      next.close();
    }
  });

  it('writes a refused session with a stable id at once when the database answers, leaving no file', async () => {
    const spool = new RefusalSpool(path.join(dir, 'refused'));
    const spooled = new RegistrationQueue({ conversations: store, logger, spool });
    try {
      spooled.recordRefused({ at: new Date(), participants: [], reason: 'unknown-number', sipCallId: 'r5', responseCode: 404 });
      await waitFor(() => store.refused.length === 1);
      expect(store.refused[0].id).toMatch(/^[0-9a-f-]{36}$/);
      expect(fs.existsSync(spool.dir)).toBe(false);
    } finally {
      spooled.close();
    }
  });
});
