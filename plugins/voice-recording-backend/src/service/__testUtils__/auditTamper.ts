import { Knex } from 'knex';

/**
 * Runs `fn` with the append-only triggers of the audit tables out of the way, as an
 * attacker with the rights of the tables' owner (or a DBA) could: PostgreSQL
 * `ALTER TABLE ... DISABLE TRIGGER USER`, SQLite drops them and creates them again.
 * For tests of the verification only.
 */
export async function withoutAppendOnlyTriggers<T>(
  knex: Knex,
  fn: () => Promise<T>,
): Promise<T> {
  const tables = ['vr_audit_log', 'vr_audit_heads'];
  if (knex.client.config.client === 'pg') {
    for (const t of tables)
      await knex.raw(`ALTER TABLE ${t} DISABLE TRIGGER USER`);
    try {
      return await fn();
    } finally {
      for (const t of tables)
        await knex.raw(`ALTER TABLE ${t} ENABLE TRIGGER USER`);
    }
  }
  const triggers: { name: string; sql: string }[] = await knex('sqlite_master')
    .where({ type: 'trigger' })
    .whereIn('tbl_name', tables)
    .select('name', 'sql');
  for (const t of triggers) await knex.raw(`DROP TRIGGER ${t.name}`);
  try {
    return await fn();
  } finally {
    for (const t of triggers) await knex.raw(t.sql);
  }
}
