import { mockServices, TestDatabases } from '@backstage/backend-test-utils';
import { Conversation } from '@mvr/plugin-voice-recording-common';
import { LocalFileBlobStore } from '@mvr/plugin-voice-recording-node';
import { Knex } from 'knex';
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { openRecordingStores } from '../../database/__testUtils__/recordingStores';
import { RetentionStore } from '../../database/RetentionStore';
import { DisposalJob } from './DisposalJob';
import { RetentionService } from './RetentionService';
import { configPolicyId } from './retentionConfig';

jest.setTimeout(120_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });
const admin = { ref: 'user:default/alice' } as any;
const BOB = 'user:default/bob';
const CAROL = 'user:default/carol';
/** calls ended on 2020-03-10 10:00:00.250Z (no month-end or leap-day edge) */
const ENDED = '2020-03-10T10:00:00.250Z';
const plusYears = (iso: string, years: number) => {
  const d = new Date(iso);
  d.setUTCFullYear(d.getUTCFullYear() + years);
  return d.toISOString();
};

async function setup(databaseId: any, dir: string) {
  const s = await openRecordingStores(databases, databaseId);
  const retentionStore = new RetentionStore(s.knex);
  const audit = { record: jest.fn(async () => {}) };
  const numbers = new Map<string, { id: string; number: string }>();
  const bobNumber = await s.addNumber('+32470000001', BOB);
  const carolNumber = await s.addNumber('+32470000002', CAROL);
  numbers.set(bobNumber.id, bobNumber);
  numbers.set(carolNumber.id, carolNumber);
  const service = new RetentionService({
    store: retentionStore,
    numbers: { get: async id => numbers.get(id) as any },
    groups: {
      members: async refs => ({
        members: new Map(
          refs.filter(r => r === 'group:default/trading').map(r => [r, [BOB]]),
        ),
        missing: refs.filter(r => r !== 'group:default/trading'),
      }),
    },
    audit,
    logger: mockServices.logger.mock(),
    config: {
      minimumPeriod: { years: 5, months: 0, days: 0 },
      minimumPeriodText: 'P5Y',
      policies: [],
    },
  });
  const blobs = new LocalFileBlobStore(path.join(dir, 'root'), {
    minFreeBytes: 0,
  });
  /** a finished call of bob's or carol's, with real files (archive, peaks, a derived MP3) */
  const call = async (
    who: 'bob' | 'carol',
    endedAt = ENDED,
  ): Promise<Conversation & { files: string[] }> => {
    const id = randomUUID();
    const n = who === 'bob' ? bobNumber : carolNumber;
    const key = `recordings/2020/03/${id}.ogg`;
    const put = await blobs.put(key, Buffer.from(`audio of ${id}`), {
      contentType: 'audio/ogg',
    });
    await blobs.put(`${key}.peaks`, Buffer.from('peaks'), {
      contentType: 'application/octet-stream',
    });
    const mp3 = `derived/${id}/${put.sha256.slice(0, 16)}/conversation.mp3`;
    await blobs.put(mp3, Buffer.from('mp3'), { contentType: 'audio/mpeg' });
    const c: Conversation = {
      id,
      recordedNumberId: n.id,
      number: n.number,
      userRef: n.userRef,
      direction: 'outgoing',
      otherParty: '+3225550000',
      startedAt: new Date(new Date(endedAt).getTime() - 60_000).toISOString(),
      endedAt,
      durationMs: 60_000,
      sipCallId: `t-${id}`,
      participants: [{ aor: `sip:${n.number}@x`, number: n.number }],
      metadata: {},
      dtmf: [],
      state: 'finished',
      storageKey: key,
      sha256: put.sha256,
      bytes: put.size,
      format: 'audio/ogg; codecs=opus',
      captureSource: 'test',
      createdAt: endedAt,
      updatedAt: endedAt,
    };
    await s.search.insertFinished([c]);
    return { ...c, files: [key, `${key}.peaks`, mp3] };
  };
  const retentionOf = async (id: string) => {
    const row = await s.knex('vr_conversations').where({ id }).first();
    return row
      ? {
          until: row.retention_until
            ? new Date(
                typeof row.retention_until === 'number' ||
                /^\d+$/.test(String(row.retention_until))
                  ? Number(row.retention_until)
                  : row.retention_until,
              ).toISOString()
            : undefined,
          policyId: row.retention_policy_id ?? undefined,
        }
      : undefined;
  };
  const exists = (key: string) =>
    fs.existsSync(path.join(dir, 'root', ...key.split('/')));
  return {
    ...s,
    retentionStore,
    service,
    audit,
    blobs,
    call,
    retentionOf,
    exists,
    bobNumber,
    carolNumber,
  };
}

/** a case whose label `ids` carry, with a standing legal hold */
async function hold(knex: Knex, ids: string[]) {
  const labelId = randomUUID();
  const caseId = randomUUID();
  await knex('vr_labels').insert({
    id: labelId,
    title: `Matter ${labelId.slice(0, 6)}`,
    colour: '#aa0000',
    created_by: 'user:default/alice',
  });
  await knex('vr_cases').insert({
    id: caseId,
    title: 'Matter',
    owner_ref: 'user:default/alice',
    label_id: labelId,
  });
  for (const id of ids)
    await knex('vr_conversation_labels').insert({
      conversation_id: id,
      label_id: labelId,
      added_by: 'user:default/alice',
    });
  const holdId = randomUUID();
  await knex('vr_legal_holds').insert({
    id: holdId,
    case_id: caseId,
    label_id: labelId,
    reason: 'litigation',
    reference: 'HC-2026-1',
    state: 'active',
    placed_by: 'user:default/alice',
    placed_at: new Date(),
  });
  return holdId;
}

describe.each(databases.eachSupportedId())('retention on %s', databaseId => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(tmpdir(), 'mvr-retention-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('computes the retention end: minimum, default, group, number, longest wins, re-computed on change', async () => {
    const t = await setup(databaseId, dir);
    const bob = await t.call('bob');
    const carol = await t.call('carol');

    // no policy: the regulatory minimum
    expect(await t.service.assignMissing()).toBe(2);
    expect(await t.retentionOf(bob.id)).toEqual({
      until: plusYears(ENDED, 5),
    });

    // a default policy of 7 years applies to both
    const def = await t.service.create(admin, {
      name: 'MiFID extended',
      period: 'P7Y',
      scope: { kind: 'default' },
    });
    expect(await t.retentionOf(carol.id)).toEqual({
      until: plusYears(ENDED, 7),
      policyId: def.id,
    });
    // bob's group: 10 years (longest wins); carol's number: 8 years
    const group = await t.service.create(admin, {
      name: 'Trading desk',
      period: 'P10Y',
      scope: { kind: 'groups', groupRefs: ['group:default/trading'] },
    });
    const num = await t.service.create(admin, {
      name: 'Carol line',
      period: 'P8Y',
      scope: { kind: 'numbers', numberIds: [t.carolNumber.id] },
    });
    expect(await t.retentionOf(bob.id)).toEqual({
      until: plusYears(ENDED, 10),
      policyId: group.id,
    });
    expect(await t.retentionOf(carol.id)).toEqual({
      until: plusYears(ENDED, 8),
      policyId: num.id,
    });
    // a 1-year policy (CFTC) never goes below the 5-year minimum
    await t.service.create(admin, {
      name: 'CFTC',
      period: 'P1Y',
      scope: { kind: 'numbers', numberIds: [t.bobNumber.id] },
    });
    expect((await t.retentionOf(bob.id))?.until).toBe(plusYears(ENDED, 10));

    // shortening the group's policy re-computes bob's call: the default (7) wins now
    const auditsBefore = t.audit.record.mock.calls.length;
    await t.service.update(admin, group.id, {
      name: 'Trading desk',
      period: 'P6Y',
      scope: { kind: 'groups', groupRefs: ['group:default/trading'] },
    });
    expect(await t.retentionOf(bob.id)).toEqual({
      until: plusYears(ENDED, 7),
      policyId: def.id,
    });
    const [update] = t.audit.record.mock.calls.slice(auditsBefore) as any[];
    expect(update[0]).toMatchObject({
      action: 'retention-policy-update',
      details: {
        before: { period: 'P10Y' },
        after: { period: 'P6Y' },
        recomputed: 1,
      },
    });
    // deleting the default and the number policy: carol back to the minimum, bob 6 years
    await t.service.delete(admin, def.id);
    await t.service.delete(admin, num.id);
    expect(await t.retentionOf(carol.id)).toEqual({
      until: plusYears(ENDED, 5),
    });
    expect(await t.retentionOf(bob.id)).toEqual({
      until: plusYears(ENDED, 6),
      policyId: group.id,
    });

    // the recorder's finish path: one conversation, cached policies
    const late = await t.call('bob');
    await t.service.assign(late.id);
    expect((await t.retentionOf(late.id))?.policyId).toBe(group.id);

    // bad scopes are refused, naming the field; nothing written
    await expect(
      t.service.create(admin, {
        name: 'Nobody',
        period: 'P9Y',
        scope: { kind: 'groups', groupRefs: ['group:default/nope'] },
      }),
    ).rejects.toThrow(/scope\.groupRefs/);
    await expect(
      t.service.create(admin, {
        name: 'Trading desk',
        period: 'P9Y',
        scope: { kind: 'default' },
      }),
    ).rejects.toThrow(/name: .*exists/);
    expect((await t.retentionStore.listPolicies()).map(p => p.name)).toEqual([
      'CFTC',
      'Trading desk',
    ]);
    await t.knex.destroy();
  });

  it('syncs configured policies (read-only in the portal) and gives existing calls their retention', async () => {
    const t = await setup(databaseId, dir);
    const bob = await t.call('bob');
    const id = configPolicyId('Seven years');
    const service = new RetentionService({
      ...(t.service as any).options,
      config: {
        minimumPeriod: { years: 5, months: 0, days: 0 },
        minimumPeriodText: 'P5Y',
        policies: [{ id, name: 'Seven years', period: 'P7Y' }],
      },
    });
    expect(await service.syncConfig()).toEqual({ changed: 1, assigned: 0 });
    expect(await t.retentionOf(bob.id)).toEqual({
      until: plusYears(ENDED, 7),
      policyId: id,
    });
    // unchanged on the next start
    expect(await service.syncConfig()).toEqual({ changed: 0, assigned: 0 });
    await expect(
      service.update(admin, id, {
        name: 'Seven years',
        period: 'P1Y',
        scope: { kind: 'default' },
      }),
    ).rejects.toThrow(/declared in the configuration/);
    await t.knex.destroy();
  });

  it('disposes of exactly what is due, skips holds, leaves records, deletes the files', async () => {
    const t = await setup(databaseId, dir);
    const due1 = await t.call('bob', '2018-01-05T09:00:00.000Z');
    const due2 = await t.call('carol', '2019-06-05T09:00:00.000Z');
    const held = await t.call('carol', '2018-02-05T09:00:00.000Z');
    const notDue = await t.call('bob', '2024-01-05T09:00:00.000Z');
    await t.service.assignMissing();
    const holdId = await hold(t.knex, [held.id]);
    const now = new Date('2025-01-01T00:00:00Z');
    const job = new DisposalJob({
      store: t.retentionStore,
      retention: t.service,
      blobs: t.blobs,
      audit: t.audit,
      logger: mockServices.logger.mock(),
      batchSize: 1,
      maxPerRun: 100,
    });
    const dry = await job.dryRun(now);
    expect(dry.items.map(i => [i.conversationId, i.legalHold])).toEqual([
      [due1.id, false],
      [held.id, true],
      [due2.id, false],
    ]);
    expect(dry).toMatchObject({ total: 3, held: 1 });

    const summary = await job.run('manual', admin, now);
    expect(summary).toMatchObject({
      state: 'done',
      disposed: 2,
      held: 1,
      failed: 0,
    });
    for (const f of [...due1.files, ...due2.files])
      expect(t.exists(f)).toBe(false);
    for (const f of [...held.files, ...notDue.files])
      expect(t.exists(f)).toBe(true);
    expect(
      (await t.knex('vr_conversations').select('id').orderBy('id')).map(
        r => r.id,
      ),
    ).toEqual([held.id, notDue.id].sort());
    const records = await t.retentionStore.listRecords({
      limit: 10,
      offset: 0,
    });
    expect(records.total).toBe(2);
    const r1 = records.items.find(r => r.conversationId === due1.id)!;
    expect(r1).toMatchObject({
      number: '+32470000001',
      userRef: BOB,
      participants: ['+32470000001'],
      direction: 'outgoing',
      startedAt: '2018-01-05T08:59:00.000Z',
      endedAt: '2018-01-05T09:00:00.000Z',
      sha256: due1.sha256,
      retentionUntil: '2023-01-05T09:00:00.000Z',
      disposedAt: now.toISOString(),
      jobRunId: summary.runId,
    });
    expect((r1 as any).deletedFiles.sort()).toEqual([...due1.files].sort());
    // one audit entry per batch (batchSize 1: two) and one for the run
    const actions = t.audit.record.mock.calls.map((c: any) => c[0].action);
    expect(actions.filter(a => a === 'disposal-batch')).toHaveLength(2);
    expect(actions.filter(a => a === 'disposal-run')).toHaveLength(1);

    // a second run finds nothing; the hold released, the held call goes
    expect(await job.run('manual', admin, now)).toMatchObject({
      disposed: 0,
      held: 1,
    });
    await t
      .knex('vr_legal_holds')
      .where({ id: holdId })
      .update({ state: 'released' });
    expect(await job.run('manual', admin, now)).toMatchObject({
      disposed: 1,
      held: 0,
    });
    expect(
      Number((await t.knex('vr_conversation_labels').count({ n: '*' }))[0].n),
    ).toBe(0);
    expect(
      (await t.retentionStore.listRecords({ limit: 10, offset: 0 })).total,
    ).toBe(3);
    await t.knex.destroy();
  });

  it('survives a crash between the files and the records: the rerun finishes, nothing lost or doubled', async () => {
    const t = await setup(databaseId, dir);
    const calls = [];
    for (let i = 0; i < 5; i++)
      calls.push(
        await t.call(
          i % 2 ? 'bob' : 'carol',
          `2018-01-0${i + 1}T09:00:00.000Z`,
        ),
      );
    await t.service.assignMissing();
    const now = new Date('2025-01-01T00:00:00Z');
    const options = {
      store: t.retentionStore,
      retention: t.service,
      blobs: t.blobs,
      audit: t.audit,
      logger: mockServices.logger.mock(),
      batchSize: 3,
      maxPerRun: 100,
    };
    // the process dies after the first batch's files are gone, before its transaction
    const crashing = new DisposalJob({
      ...options,
      afterFilesDeleted: () => {
        throw new Error('killed');
      },
    });
    const first = await crashing.run(
      'scheduled',
      { ref: 'plugin:voice-recording' },
      now,
    );
    expect(first).toMatchObject({ state: 'failed', disposed: 0 });
    // as a SIGKILL leaves it: the run still `running`, its heartbeat old
    await t
      .knex('vr_disposal_runs')
      .where({ id: first.runId })
      .update({
        state: 'running',
        heartbeat_at: new Date(Date.now() - 3_600_000),
      });
    const marked = await t
      .knex('vr_conversations')
      .where({ disposal_state: 'disposing' });
    // the first batch, and the second one whose files went while the first one's
    // transaction failed
    expect(marked.length).toBeGreaterThanOrEqual(3);
    expect(marked.every(r => r.disposal_run_id === first.runId)).toBe(true);
    expect(
      Number((await t.knex('vr_disposal_records').count({ n: '*' }))[0].n),
    ).toBe(0);

    const rerun = await new DisposalJob(options).run(
      'scheduled',
      { ref: 'plugin:voice-recording' },
      now,
    );
    expect(rerun).toMatchObject({ state: 'done', disposed: 5, failed: 0 });
    const records = await t
      .knex('vr_disposal_records')
      .select('conversation_id');
    expect(records.map(r => r.conversation_id).sort()).toEqual(
      calls.map(c => c.id).sort(),
    );
    expect(
      Number((await t.knex('vr_conversations').count({ n: '*' }))[0].n),
    ).toBe(0);
    for (const c of calls)
      for (const f of c.files) expect(t.exists(f)).toBe(false);
    const runs = await t.retentionStore.listRuns({ limit: 10, offset: 0 });
    expect(runs.items.find(r => r.id === first.runId)?.state).toBe(
      'interrupted',
    );
    await t.knex.destroy();
  });

  it('retries a failed delete in the next run and explains it meanwhile', async () => {
    const t = await setup(databaseId, dir);
    const a = await t.call('bob', '2018-01-01T09:00:00.000Z');
    const b = await t.call('carol', '2018-01-02T09:00:00.000Z');
    await t.service.assignMissing();
    const now = new Date('2025-01-01T00:00:00Z');
    let broken = true;
    const blobs = {
      list: (p: string) => t.blobs.list(p),
      delete: async (key: string) => {
        if (broken && key === a.storageKey)
          throw new Error('EACCES: permission denied');
        return t.blobs.delete(key);
      },
    };
    const job = new DisposalJob({
      store: t.retentionStore,
      retention: t.service,
      blobs,
      audit: t.audit,
      logger: mockServices.logger.mock(),
      batchSize: 10,
      maxPerRun: 100,
    });
    expect(await job.run('manual', admin, now)).toMatchObject({
      disposed: 1,
      failed: 1,
    });
    expect(t.exists(a.storageKey!)).toBe(true);
    const problems = await t.retentionStore.problems();
    expect(problems).toEqual([
      expect.objectContaining({
        conversationId: a.id,
        state: 'delete-failed',
        attempts: 1,
        error: expect.stringContaining('EACCES'),
      }),
    ]);
    expect(
      (await t.retentionStore.upcoming(now, { limit: 10, offset: 0 })).items,
    ).toEqual([
      expect.objectContaining({
        conversationId: a.id,
        disposalState: 'delete-failed',
      }),
    ]);
    broken = false;
    expect(await job.run('manual', admin, now)).toMatchObject({
      disposed: 1,
      failed: 0,
    });
    for (const f of [...a.files, ...b.files]) expect(t.exists(f)).toBe(false);
    expect(
      Number((await t.knex('vr_disposal_records').count({ n: '*' }))[0].n),
    ).toBe(2);
    await t.knex.destroy();
  });
});

/** PostgreSQL only: SQLite runs one writing transaction at a time. */
const postgresIds = databases
  .eachSupportedId()
  .filter(e => JSON.stringify(e).includes('POSTGRES'));
(postgresIds.length
  ? describe.each(postgresIds)
  : describe.skip.each([['POSTGRES_15']]))(
  'disposal and a hold placed at the same moment on %s',
  databaseId => {
    let dir: string;
    beforeEach(() => {
      dir = fs.mkdtempSync(path.join(tmpdir(), 'mvr-retention-'));
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("waits for a hold being placed on the call's label and keeps the call", async () => {
      const t = await setup(databaseId, dir);
      const c = await t.call('bob', '2018-01-05T09:00:00.000Z');
      await t.service.assignMissing();
      const labelId = randomUUID();
      const caseId = randomUUID();
      await t.knex('vr_labels').insert({
        id: labelId,
        title: 'Matter at the same moment',
        colour: '#aa0000',
        created_by: 'user:default/alice',
      });
      await t.knex('vr_cases').insert({
        id: caseId,
        title: 'Matter',
        owner_ref: 'user:default/alice',
        label_id: labelId,
      });
      await t.knex('vr_conversation_labels').insert({
        conversation_id: c.id,
        label_id: labelId,
        added_by: 'user:default/alice',
      });
      let committed = false;
      const job = new DisposalJob({
        store: t.retentionStore,
        retention: t.service,
        blobs: t.blobs,
        audit: t.audit,
        logger: mockServices.logger.mock(),
        batchSize: 10,
        maxPerRun: 100,
        // the files are gone; now an admin places a hold, as LegalHoldsStore does it
        afterFilesDeleted: async () => {
          const trx = await t.knex.transaction();
          await trx('vr_conversation_labels')
            .where('label_id', labelId)
            .select('conversation_id')
            .forUpdate();
          await trx('vr_legal_holds').insert({
            id: randomUUID(),
            case_id: caseId,
            label_id: labelId,
            reason: 'litigation',
            reference: 'HC-SAME-MOMENT',
            state: 'active',
            placed_by: 'user:default/alice',
            placed_at: new Date(),
          });
          setTimeout(() => {
            committed = true;
            trx.commit();
          }, 1500);
        },
      });
      const summary = await job.run(
        'manual',
        admin,
        new Date('2025-01-01T00:00:00Z'),
      );
      expect(committed).toBe(true);
      expect(summary).toMatchObject({ state: 'done', disposed: 0, held: 1 });
      const row = await t.knex('vr_conversations').where({ id: c.id }).first();
      expect(row.disposal_state).toBe('held');
      expect(row.disposal_error).toContain(c.storageKey);
      expect(
        Number((await t.knex('vr_disposal_records').count({ n: '*' }))[0].n),
      ).toBe(0);
      await t.knex.destroy();
    });
  },
);
