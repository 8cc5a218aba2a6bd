import { TestDatabases } from '@backstage/backend-test-utils';
import { NotificationSendOptions } from '@backstage/plugin-notifications-node';
import { Knex } from 'knex';
import { caseTestBackend, userRef } from '../__testUtils__/caseTestBackend';
import { withoutAppendOnlyTriggers } from '../__testUtils__/auditTamper';
import { AuditHeadsStore } from '../../database/AuditHeadsStore';

jest.setTimeout(120_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });
const ALICE = userRef('alice'); // admin
const BOB = userRef('bob');

describe.each(databases.eachSupportedId())(
  'GET /audit/verify on %s',
  databaseId => {
    const sent: NotificationSendOptions[] = [];
    const t = caseTestBackend({
      databases,
      databaseId,
      sent,
      groups: { [ALICE]: ['group:default/compliance'] },
    });
    let knex: Knex;
    beforeAll(async () => {
      ({ knex } = await t.start());
    });
    afterAll(() => t.stop());

    it('answers admins with the chain walked, refuses others, audits every verification', async () => {
      const refused = await t.get(BOB, '/audit/verify');
      expect(refused.status).toBe(403);
      const total = Number((await knex('vr_audit_log').count({ n: '*' }))[0].n);
      // the refusal's entry at least
      expect(total).toBeGreaterThanOrEqual(1);
      const head = await knex('vr_audit_log').orderBy('seq', 'desc').first();
      const ok = await t.get(ALICE, '/audit/verify');
      expect(ok.status).toBe(200);
      expect(ok.body).toMatchObject({
        ok: true,
        checked: total,
        headHash: head.hash,
      });
      expect(ok.body.firstBroken).toBeUndefined();
      const [entry] = await t.actions('audit-verify');
      expect(entry.actor_ref).toBe(ALICE);
      expect(JSON.parse(entry.details)).toMatchObject({
        ok: true,
        checked: total,
        headHash: head.hash,
        outcome: 'succeeded',
      });

      // someone with the DBA's rights edits an entry
      await withoutAppendOnlyTriggers(knex, () =>
        knex('vr_audit_log')
          .where({ action: 'permission-denied', actor_ref: BOB })
          .update({ actor_ref: userRef('carol') }),
      );
      const broken = await t.get(ALICE, '/audit/verify');
      expect(broken.status).toBe(200);
      expect(broken.body.ok).toBe(false);
      expect(broken.body.firstBroken).toMatchObject({ reason: 'edited' });
      const denied = await knex('vr_audit_log')
        .where({ action: 'permission-denied' })
        .first('seq');
      expect(broken.body.firstBroken.seq).toBe(Number(denied.seq));
      const entries = await t.actions('audit-verify');
      expect(entries).toHaveLength(2);
      expect(JSON.parse(entries[1].details)).toMatchObject({
        ok: false,
        brokenSeq: Number(denied.seq),
        brokenReason: 'edited',
      });
    });

    it('lists the signed daily heads, oldest first, to admins only', async () => {
      const head = {
        seq: 1,
        hash: 'a'.repeat(64),
        keyId: '0123456789abcdef',
        payload: '{"day":"2026-12-01"}',
        signature: 'c2ln',
        signedAt: '2026-12-02T00:05:00.000Z',
      };
      await new AuditHeadsStore(knex).add([
        { ...head, day: '2026-12-02', seq: 2 },
        { ...head, day: '2026-12-01' },
      ]);
      expect((await t.get(BOB, '/audit/heads')).status).toBe(403);
      const r = await t.get(ALICE, '/audit/heads');
      expect(r.status).toBe(200);
      expect(r.body.items).toEqual([
        { ...head, day: '2026-12-01' },
        { ...head, day: '2026-12-02', seq: 2 },
      ]);
    });
  },
);
