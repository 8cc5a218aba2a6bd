import { TestDatabases } from '@backstage/backend-test-utils';
import { Knex } from 'knex';
import {
  createEd25519Signer,
  generateEd25519PrivateKeyPem,
} from '@mvr/plugin-voice-recording-node';
import { KnexAuditLogStore } from '../../database/AuditLogStore';
import { AuditHeadsStore } from '../../database/AuditHeadsStore';
import { auditEntryHash } from '../../database/auditChain';
import { applyDatabaseMigrations } from '../../database/util';
import { withoutAppendOnlyTriggers } from '../__testUtils__/auditTamper';
import { AuditChainVerifier } from './AuditChainVerifier';
import { AuditHeadsTask } from './AuditHeadsTask';

jest.setTimeout(120_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });

const signer = createEd25519Signer(generateEd25519PrivateKeyPem());

describe.each(databases.eachSupportedId())(
  'audit chain verification on %s',
  databaseId => {
    let knex: Knex;
    let log: KnexAuditLogStore;
    let heads: AuditHeadsStore;
    let verifier: AuditChainVerifier;

    /** Ten entries, two per day from 2026-12-01 (UTC). */
    async function seed(n = 10) {
      for (let i = 0; i < n; i++)
        await log.append({
          actorRef: i % 2 ? 'user:default/alice' : 'user:default/bob',
          action: i % 3 ? 'conversation-view' : 'number-update',
          targetType: 'conversation',
          targetId: `c-${i}`,
          details: { i, note: `entry ${i}`, nested: { b: 2, a: [1, 'x'] } },
          at: new Date(Date.UTC(2026, 11, 1 + Math.floor(i / 2), 9, i)),
        });
    }
    const idOfSeq = async (seq: number) =>
      Number((await knex('vr_audit_log').where({ seq }).first('id')).id);

    beforeEach(async () => {
      knex = await databases.init(databaseId);
      await applyDatabaseMigrations(knex);
      log = new KnexAuditLogStore(knex);
      heads = new AuditHeadsStore(knex);
      // small batches: the walk crosses batch boundaries
      verifier = new AuditChainVerifier({
        log,
        heads,
        publicKey: signer,
        batchSize: 3,
      });
    });
    afterEach(async () => {
      await knex.destroy();
    });

    it('passes an intact chain: count and head hash', async () => {
      expect(await verifier.verify()).toMatchObject({
        ok: true,
        checked: 0,
      });
      await seed();
      const last = await knex('vr_audit_log').orderBy('seq', 'desc').first();
      const r = await verifier.verify();
      expect(r).toMatchObject({ ok: true, checked: 10, headHash: last.hash });
      expect(r.firstBroken).toBeUndefined();
    });

    it('detects an edited entry (details, actor) and names it', async () => {
      await seed();
      await withoutAppendOnlyTriggers(knex, () =>
        knex('vr_audit_log')
          .where({ seq: 4 })
          .update({ details: JSON.stringify({ i: 3, note: 'nothing here' }) }),
      );
      expect(await verifier.verify()).toMatchObject({
        ok: false,
        checked: 3,
        firstBroken: { seq: 4, reason: 'edited' },
      });
    });

    it("detects an edited actor even when the attacker recomputes that entry's hash", async () => {
      await seed();
      const row = await knex('vr_audit_log').where({ seq: 6 }).first();
      const forged = { ...row, actor_ref: 'user:default/mallory' };
      await withoutAppendOnlyTriggers(knex, () =>
        knex('vr_audit_log')
          .where({ seq: 6 })
          .update({
            actor_ref: forged.actor_ref,
            hash: auditEntryHash(forged, 6, row.prev_hash),
          }),
      );
      const r = await verifier.verify();
      expect(r.ok).toBe(false);
      expect(r.firstBroken).toMatchObject({ seq: 6, reason: 'edited' });
      expect(r.firstBroken!.message).toMatch(/entry 6 was changed/);
    });

    it('detects a deleted entry (middle and first)', async () => {
      await seed();
      await withoutAppendOnlyTriggers(knex, () =>
        knex('vr_audit_log').where({ seq: 5 }).delete(),
      );
      const r = await verifier.verify();
      expect(r).toMatchObject({
        ok: false,
        checked: 4,
        firstBroken: { seq: 6, reason: 'deleted-before' },
      });
      expect(r.firstBroken!.message).toMatch(/entry 5 is missing/);
      await withoutAppendOnlyTriggers(knex, () =>
        knex('vr_audit_log').where({ seq: 1 }).delete(),
      );
      expect((await verifier.verify()).firstBroken).toMatchObject({
        seq: 2,
        reason: 'deleted-before',
      });
    });

    it('detects a deletion hidden by renumbering the entries after it', async () => {
      await seed();
      await withoutAppendOnlyTriggers(knex, async () => {
        await knex('vr_audit_log').where({ seq: 5 }).delete();
        for (let s = 6; s <= 10; s++)
          await knex('vr_audit_log')
            .where({ seq: s })
            .update({ seq: s - 1 });
      });
      const r = await verifier.verify();
      expect(r.ok).toBe(false);
      // entry 6, now numbered 5, no longer matches its hash
      expect(r.firstBroken).toMatchObject({ seq: 5, reason: 'edited' });
    });

    it('detects reordered entries (ids swapped)', async () => {
      await seed();
      const [a, b] = [await idOfSeq(3), await idOfSeq(7)];
      await withoutAppendOnlyTriggers(knex, async () => {
        await knex('vr_audit_log').where({ id: a }).update({ id: -1 });
        await knex('vr_audit_log').where({ id: b }).update({ id: a });
        await knex('vr_audit_log').where({ id: -1 }).update({ id: b });
      });
      const r = await verifier.verify();
      expect(r).toMatchObject({
        ok: false,
        checked: 2,
        firstBroken: { seq: 7, reason: 'reordered' },
      });
      expect(r.firstBroken!.message).toMatch(
        /entry 7 .* stands where entry 3 belongs/,
      );
    });

    it('signs daily heads once and detects a history re-chained after a signed head', async () => {
      await seed();
      const task = new AuditHeadsTask({ log, heads, signer });
      const signed = await task.signDue(new Date('2026-12-04T00:05:00Z'));
      // the first entry's day up to yesterday: 1, 2, 3 December
      expect(signed.map(h => [h.day, h.seq])).toEqual([
        ['2026-12-01', 2],
        ['2026-12-02', 4],
        ['2026-12-03', 6],
      ]);
      // again the same night: nothing new; the next day: one more
      expect(await task.signDue(new Date('2026-12-04T03:00:00Z'))).toEqual([]);
      expect(
        (await task.signDue(new Date('2026-12-05T00:05:00Z'))).map(h => h.day),
      ).toEqual(['2026-12-04']);
      expect(await verifier.verify()).toMatchObject({
        ok: true,
        checked: 10,
        signedHeads: 4,
        lastSignedDay: '2026-12-04',
        unsignedEntries: 2,
      });

      // an attacker edits entry 3 and re-chains everything after it
      await withoutAppendOnlyTriggers(knex, async () => {
        const rows = await knex('vr_audit_log').orderBy('seq');
        let prev = rows[1].hash;
        for (const row of rows.slice(2)) {
          const next = {
            ...row,
            details:
              Number(row.seq) === 3
                ? JSON.stringify({ i: 2, note: 'forged' })
                : row.details,
          };
          const hash = auditEntryHash(next, Number(row.seq), prev);
          await knex('vr_audit_log')
            .where({ id: row.id })
            .update({ details: next.details, prev_hash: prev, hash });
          prev = hash;
        }
      });
      const r = await verifier.verify();
      expect(r.ok).toBe(false);
      expect(r.firstBroken).toMatchObject({ seq: 4, reason: 'edited' });
      expect(r.firstBroken!.message).toMatch(/signed for 2026-12-02/);
    });

    it('goes on past a break accepted after an investigation, reports it, and fails at the next one', async () => {
      await seed();
      await withoutAppendOnlyTriggers(knex, async () => {
        await knex('vr_audit_log')
          .where({ seq: 4 })
          .update({ details: JSON.stringify({ i: 3, note: 'forged' }) });
      });
      const accepting = (seqs: number[]) =>
        new AuditChainVerifier({
          log,
          heads,
          publicKey: signer,
          batchSize: 3,
          acceptedBreaks: new Set(seqs),
        });
      expect((await accepting([]).verify()).firstBroken).toMatchObject({
        seq: 4,
      });
      const r = await accepting([4]).verify();
      expect(r).toMatchObject({ ok: true, checked: 10 });
      expect(r.firstBroken).toBeUndefined();
      expect(r.acceptedBreaks).toEqual([
        expect.objectContaining({ seq: 4, reason: 'edited' }),
      ]);
      // the days are signed again past the accepted break
      const signed = await new AuditHeadsTask({
        log,
        heads,
        signer,
        verifier: accepting([4]),
      }).signDue(new Date('2026-12-04T00:05:00Z'));
      expect(signed.map(h => h.day)).toEqual([
        '2026-12-01',
        '2026-12-02',
        '2026-12-03',
      ]);
      expect(await accepting([4]).verify()).toMatchObject({
        ok: true,
        signedHeads: 3,
      });
      // a later break is not accepted by the earlier one
      await withoutAppendOnlyTriggers(knex, () =>
        knex('vr_audit_log').where({ seq: 8 }).delete(),
      );
      expect(await accepting([4]).verify()).toMatchObject({
        ok: false,
        checked: 7,
        firstBroken: { seq: 9, reason: 'deleted-before' },
        acceptedBreaks: [expect.objectContaining({ seq: 4 })],
      });
    });

    it('never signs the heads of a broken chain: audits the broken link and fails', async () => {
      await seed();
      await withoutAppendOnlyTriggers(knex, () =>
        knex('vr_audit_log')
          .where({ seq: 3 })
          .update({ actor_ref: 'user:default/mallory' }),
      );
      const record = jest.fn(async () => undefined);
      const notifyBroken = jest.fn(async () => undefined);
      const task = new AuditHeadsTask({
        log,
        heads,
        signer,
        verifier,
        audit: { record } as any,
        notifier: { notifyBroken },
      });
      await expect(
        task.signDue(new Date('2026-12-04T00:05:00Z')),
      ).rejects.toThrow(
        /audit trail is broken at entry 3 \(edited\).*not signed/,
      );
      expect(await heads.list()).toEqual([]);
      expect(record).toHaveBeenCalledWith(
        expect.objectContaining({
          action: 'audit-verify',
          severity: 'high',
          details: expect.objectContaining({
            ok: false,
            brokenSeq: 3,
            brokenReason: 'edited',
          }),
        }),
      );
      expect(notifyBroken).toHaveBeenCalledWith(
        expect.objectContaining({
          ok: false,
          firstBroken: expect.objectContaining({ seq: 3, reason: 'edited' }),
        }),
      );
      // the first entry's day is not over: nothing due, no walk, no audit
      record.mockClear();
      const early = new AuditHeadsTask({
        log,
        heads,
        signer,
        verifier,
        audit: { record } as any,
      });
      expect(await early.signDue(new Date('2026-12-01T12:00:00Z'))).toEqual([]);
      expect(record).not.toHaveBeenCalled();
    });

    it('detects a forged head signature, a head signed with another key and entries cut from the end', async () => {
      await seed();
      await new AuditHeadsTask({ log, heads, signer }).signDue(
        new Date('2026-12-06T00:05:00Z'),
      );
      // entries 9 and 10 were signed in the head of 2026-12-05
      await withoutAppendOnlyTriggers(knex, () =>
        knex('vr_audit_log').where('seq', '>', 8).delete(),
      );
      expect((await verifier.verify()).firstBroken).toMatchObject({
        seq: 9,
        reason: 'truncated',
      });
      // a head re-signed by another key (the attacker's)
      const other = createEd25519Signer(generateEd25519PrivateKeyPem());
      await withoutAppendOnlyTriggers(knex, async () => {
        await knex('vr_audit_heads').where('day', '2026-12-05').delete();
        await knex('vr_audit_heads').where('day', '2026-12-02').delete();
      });
      await new AuditHeadsTask({ log, heads, signer: other }).signDue(
        new Date('2026-12-06T00:05:00Z'),
      );
      const before = await heads.list();
      expect(before.map(h => h.day)).toEqual([
        '2026-12-01',
        '2026-12-03',
        '2026-12-04',
        '2026-12-05',
      ]);
      const r = await verifier.verify();
      expect(r.firstBroken).toMatchObject({
        seq: 8,
        reason: 'bad-head-signature',
      });
      expect(r.firstBroken!.message).toContain(`key ${other.keyId}`);
      // a signature changed in place
      await withoutAppendOnlyTriggers(knex, () =>
        knex('vr_audit_heads')
          .where('day', '2026-12-01')
          .update({ hash: '0'.repeat(64) }),
      );
      expect((await verifier.verify()).firstBroken).toMatchObject({
        reason: 'bad-head-signature',
      });
    });
  },
);
