/*
 * SQL the benches share to generate rows inside the database (generate_series on
 * PostgreSQL, a recursive CTE on SQLite) and the recorded numbers they seed.
 */
import { Knex } from 'knex';

/** The UUID of row `expr` (default the series' `i`): `0000000i-0000-4000-8000-00000000000i` in hex. */
export const idSql = (pg: boolean, expr = 'i') =>
  pg
    ? `lpad(to_hex(${expr}), 8, '0') || '-0000-4000-8000-' || lpad(to_hex(${expr}), 12, '0')`
    : `printf('%08x-0000-4000-8000-%012x', ${expr}, ${expr})`;

/** The phone number of row `i`: +32470 and i on 6 digits. */
export const numberSql = (pg: boolean) =>
  pg ? `'+32470' || lpad(i::text, 6, '0')` : `'+32470' || printf('%06d', i)`;

/** The numbers 1..count as a row source `i` (generate_series or a recursive CTE). */
export function series(
  pg: boolean,
  count: number,
  body: (from: string) => string,
): string {
  return pg
    ? body(`generate_series(1, ${count}) AS i`)
    : `WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < ${count}) ${body(
        'seq',
      )}`;
}

/**
 * Seeds `numbers` recorded numbers (id idSql(i), number numberSql, owner user:default/u<i>),
 * every 50th in private mode (manual), recorded on weekdays 08:00-18:00; `createdSql` is
 * their creation time as an SQL value.
 */
export async function seedRecordedNumbers(
  knex: Knex,
  numbers: number,
  createdSql: string,
): Promise<void> {
  const pg = knex.client.config.client === 'pg';
  await knex.raw(
    series(
      pg,
      numbers,
      from => `INSERT INTO vr_numbers (id, number, user_ref, mvr_active, status_mode, active_status, created_at, updated_at)
        SELECT ${idSql(pg)}, ${numberSql(pg)}, 'user:default/u' || i, ${
        pg ? 'true' : '1'
      },
          CASE WHEN i % 50 = 0 THEN 'manual' ELSE 'auto' END,
          CASE WHEN i % 50 = 0 THEN 'private' ELSE 'professional' END, ${createdSql}, ${createdSql}
        FROM ${from}`,
    ),
  );
  await knex.raw(
    series(
      pg,
      numbers,
      from => `INSERT INTO vr_number_slots (id, number_id, weekdays, start_minute, end_minute, position)
        SELECT ${idSql(pg, 'i + 100000000')}, ${idSql(
        pg,
      )}, 31, 480, 1080, 0 FROM ${from}`,
    ),
  );
}
