import { TestDatabases } from '@backstage/backend-test-utils';
import createKnex, { Knex } from 'knex';
import { KnexAuditLogStore } from './AuditLogStore';
import { AUDIT_CHAIN_GENESIS, auditEntryHash } from './auditChain';
import { migrationConfig } from './util';

jest.setTimeout(120_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });
const MIGRATION = '20261206130000_audit_chain.js';

/** Rolls back the migrations down to and including `name`. */
async function downThrough(knex: Knex, name: string) {
  for (;;) {
    const [, log] = await knex.migrate.down(migrationConfig);
    const files = (log as string[]).map(f => f.replace(/^.*\//, ''));
    if (files.length === 0) throw new Error(`${name} is not applied`);
    if (files.includes(name)) return;
  }
}

/** The chain as stored, checked link by link (seq 1..n, prev = previous hash). */
async function expectLinearChain(knex: Knex, n: number) {
  const rows = await knex('vr_audit_log').orderBy('seq');
  expect(rows).toHaveLength(n);
  let prev = AUDIT_CHAIN_GENESIS;
  rows.forEach((row, i) => {
    expect(Number(row.seq)).toBe(i + 1);
    expect(row.prev_hash).toBe(prev);
    expect(auditEntryHash(row, i + 1, prev)).toBe(row.hash);
    prev = row.hash;
  });
  // id order is seq order
  const ids = rows.map(r => Number(r.id));
  expect([...ids].sort((a, b) => a - b)).toEqual(ids);
}

describe.each(databases.eachSupportedId())(
  'audit hash chain on %s',
  databaseId => {
    let knex: Knex;
    const pg = databaseId.startsWith('POSTGRES');
    beforeEach(async () => {
      knex = await databases.init(databaseId);
      await knex.migrate.latest(migrationConfig);
    });
    afterEach(async () => {
      await knex.destroy();
    });

    it('the migration chains the existing rows in id order and walks down and up again', async () => {
      await downThrough(knex, MIGRATION);
      expect(await knex.schema.hasColumn('vr_audit_log', 'hash')).toBe(false);
      expect(await knex.schema.hasTable('vr_audit_heads')).toBe(false);
      // rows as the old code wrote them: default time, explicit times, no details
      await knex('vr_audit_log').insert({
        actor_ref: 'user:default/alice',
        action: 'number-create',
        target_type: 'number',
        target_id: '+32470123456',
        details: JSON.stringify({ b: 1, a: 'é' }),
      });
      await knex('vr_audit_log').insert({
        actor_ref: 'user:default/bob',
        action: 'permission-denied',
        at: new Date('2025-01-02T10:00:00.123Z'),
      });
      await knex('vr_audit_log').insert({
        actor_ref: 'service:x',
        action: 'capture-source-start',
        at: new Date('2024-06-01T00:00:00Z'),
        details: '{"z":[1,2,{"y":null}]}',
      });
      await knex.migrate.latest(migrationConfig);
      await expectLinearChain(knex, 3);
      // the store continues the chain
      const store = new KnexAuditLogStore(knex);
      await store.append({
        actorRef: 'user:default/carol',
        action: 'conversation-view',
        details: { x: 1 },
      });
      await expectLinearChain(knex, 4);
      const listed = await store.list({});
      const appended = listed.items.find(i => i.action === 'conversation-view');
      expect(appended).toMatchObject({ seq: 4 });
      expect(appended!.hash).toMatch(/^[0-9a-f]{64}$/);
      // down again (triggers first) and up
      await downThrough(knex, MIGRATION);
      expect(await knex('vr_audit_log').count({ n: '*' })).toEqual([
        { n: pg ? '4' : 4 },
      ]);
      await knex('vr_audit_log')
        .where({ action: 'conversation-view' })
        .delete();
      await knex.migrate.latest(migrationConfig);
      await expectLinearChain(knex, 3);
    });

    it("refuses UPDATE, DELETE and TRUNCATE of audit rows and heads to the portal's database user", async () => {
      const store = new KnexAuditLogStore(knex);
      await store.append({
        actorRef: 'user:default/alice',
        action: 'number-create',
        targetId: 'n1',
      });
      const refused = (q: Promise<unknown>) =>
        q.then(
          () => 'allowed',
          (e: Error) => e.message,
        );
      expect(
        await refused(knex('vr_audit_log').update({ action: 'number-delete' })),
      ).toMatch(/vr_audit_log is append-only: UPDATE refused/);
      expect(await refused(knex('vr_audit_log').delete())).toMatch(
        /vr_audit_log is append-only: DELETE refused/,
      );
      expect(
        await refused(
          knex.raw(pg ? 'TRUNCATE vr_audit_log' : 'DELETE FROM vr_audit_log'),
        ),
      ).toMatch(/vr_audit_log is append-only: (TRUNCATE|DELETE) refused/);
      await knex('vr_audit_heads').insert({
        day: '2026-12-01',
        seq: 1,
        hash: 'h',
        key_id: 'k',
        payload: '{}',
        signature: 's',
        signed_at: new Date(),
      });
      expect(
        await refused(knex('vr_audit_heads').update({ hash: 'x' })),
      ).toMatch(/vr_audit_heads is append-only: UPDATE refused/);
      expect(await refused(knex('vr_audit_heads').delete())).toMatch(
        /vr_audit_heads is append-only: DELETE refused/,
      );
      expect(await knex('vr_audit_log').first('action', 'target_id')).toEqual({
        action: 'number-create',
        target_id: 'n1',
      });
      expect(await knex('vr_audit_heads').first('hash')).toEqual({ hash: 'h' });
    });

    it('keeps the chain linear under concurrent appends from two stores (two backend instances)', async () => {
      // PostgreSQL: a second pool on the same database (knex shares the test
      // databases' settings object: name the database); SQLite: one in-memory database
      const other = pg
        ? createKnex({
            client: 'pg',
            connection: {
              ...(knex.client.connectionSettings as object),
              database: (await knex.raw('SELECT current_database() AS d'))
                .rows[0].d,
            },
          })
        : knex;
      try {
        const a = new KnexAuditLogStore(knex);
        const b = new KnexAuditLogStore(pg ? other : knex);
        await Promise.all(
          Array.from({ length: 200 }, (_, i) =>
            (i % 2 ? a : b).append({
              actorRef: `user:default/u${i}`,
              action: 'conversation-audio',
              targetId: `c-${i}`,
              details: { i },
            }),
          ),
        );
        await expectLinearChain(knex, 200);
        // one after the other, alternating: each store's last head is stale every time
        for (let i = 0; i < 10; i++)
          await (i % 2 ? a : b).append({
            actorRef: 'user:default/x',
            action: 'conversation-view',
            details: { i },
          });
        await expectLinearChain(knex, 210);
        expect(
          Number((await knex('vr_audit_log').max({ m: 'seq' }))[0].m),
        ).toBe(210);
      } finally {
        if (other !== knex) await other.destroy();
      }
    });

    it('a failing entry fails alone; the others of its batch are written', async () => {
      const store = new KnexAuditLogStore(knex);
      const results = await Promise.allSettled([
        store.append({ actorRef: 'user:default/a', action: 'first' }),
        store.append({ actorRef: 'user:default/b', action: 'second' }),
        // NOT NULL actor_ref: refused by both databases
        store.append({ actorRef: null as any, action: 'broken' }),
        store.append({ actorRef: 'user:default/c', action: 'third' }),
      ]);
      expect(results.map(r => r.status)).toEqual([
        'fulfilled',
        'fulfilled',
        'rejected',
        'fulfilled',
      ]);
      await expectLinearChain(knex, 3);
      expect(await knex('vr_audit_log').orderBy('seq').pluck('action')).toEqual(
        ['first', 'second', 'third'],
      );
    });
  },
);

// docs/audit-trail.md "What the customer's DBA must do": the grant alternative
describe.each(
  databases.eachSupportedId().filter(([id]) => id.startsWith('POSTGRES')),
)('audit tables owned by another role on %s', databaseId => {
  it('leaves the portal INSERT and SELECT only: no UPDATE, DELETE, TRUNCATE, nor disabling the triggers', async () => {
    const knex = await databases.init(databaseId);
    await knex.migrate.latest(migrationConfig);
    const suffix = `${process.pid}_${Date.now()}`;
    const owner = `mvr_audit_owner_${suffix}`;
    const portal = `mvr_portal_${suffix}`;
    const database: string = (await knex.raw('SELECT current_database() AS d'))
      .rows[0].d;
    let asPortal: Knex | undefined;
    await knex.raw(`CREATE ROLE ${owner} NOLOGIN`);
    await knex.raw(`CREATE ROLE ${portal} LOGIN NOSUPERUSER`);
    try {
      await knex.raw(`GRANT USAGE ON SCHEMA public TO ${portal}`);
      for (const t of ['vr_audit_log', 'vr_audit_heads'])
        await knex.raw(`ALTER TABLE ${t} OWNER TO ${owner}`);
      await knex.raw(`ALTER SEQUENCE vr_audit_log_id_seq OWNER TO ${owner}`);
      await knex.raw(
        `GRANT SELECT, INSERT ON vr_audit_log, vr_audit_heads TO ${portal}`,
      );
      await knex.raw(
        `GRANT USAGE ON SEQUENCE vr_audit_log_id_seq TO ${portal}`,
      );
      asPortal = createKnex({
        client: 'pg',
        connection: {
          ...(knex.client.connectionSettings as object),
          user: portal,
          database,
        },
      });
      // the store works as the portal
      const store = new KnexAuditLogStore(asPortal);
      await store.append({ actorRef: 'user:default/alice', action: 'a' });
      await store.append({ actorRef: 'user:default/bob', action: 'b' });
      await expectLinearChain(knex, 2);
      const refused = (sql: string) =>
        asPortal!.raw(sql).then(
          () => 'allowed',
          (e: Error) => e.message,
        );
      expect(await refused(`UPDATE vr_audit_log SET action = 'x'`)).toMatch(
        /permission denied/,
      );
      expect(await refused('DELETE FROM vr_audit_log')).toMatch(
        /permission denied/,
      );
      expect(await refused('TRUNCATE vr_audit_log')).toMatch(
        /permission denied/,
      );
      expect(
        await refused('ALTER TABLE vr_audit_log DISABLE TRIGGER USER'),
      ).toMatch(/must be owner/);
      expect(
        await refused('DROP TRIGGER vr_audit_log_append_only ON vr_audit_log'),
      ).toMatch(/must be owner/);
      await expectLinearChain(knex, 2);
    } finally {
      await asPortal?.destroy();
      for (const t of ['vr_audit_log', 'vr_audit_heads'])
        await knex.raw(`ALTER TABLE ${t} OWNER TO CURRENT_USER`);
      await knex.raw(
        `ALTER SEQUENCE vr_audit_log_id_seq OWNER TO CURRENT_USER`,
      );
      await knex.raw(`DROP OWNED BY ${portal}, ${owner}`);
      await knex.raw(`DROP ROLE ${portal}`);
      await knex.raw(`DROP ROLE ${owner}`);
      await knex.destroy();
    }
  });
});
