import knexFactory, { Knex } from 'knex';
import {
  cacheSqliteStatements,
  statementCacheStats,
} from './sqliteStatementCache';

describe('cacheSqliteStatements', () => {
  let knex: Knex;
  beforeEach(async () => {
    knex = knexFactory({
      client: 'better-sqlite3',
      connection: { filename: ':memory:' },
      useNullAsDefault: true,
    });
    await knex.schema.createTable('t', table => {
      table.integer('id').primary();
      table.string('name');
    });
  });
  afterEach(() => knex.destroy());

  /** the figures of the pool's one connection */
  async function stats() {
    const connection = await knex.client.acquireConnection();
    try {
      return statementCacheStats(connection);
    } finally {
      await knex.client.releaseConnection(connection);
    }
  }

  it('prepares a query once and runs it again with other values', async () => {
    expect(cacheSqliteStatements(knex)).toBe(true);
    expect(cacheSqliteStatements(knex)).toBe(false); // once per client
    for (let id = 1; id <= 5; id++)
      await knex('t').insert({ id, name: `n${id}` });
    for (let id = 1; id <= 5; id++) {
      expect(await knex('t').where({ id }).first()).toEqual({
        id,
        name: `n${id}`,
      });
    }
    expect(
      await knex('t').where({ id: 2 }).update({ name: 'two' }).returning('*'),
    ).toEqual([{ id: 2, name: 'two' }]);
    // one insert, one select, one update statement: prepared once each
    expect(await stats()).toEqual({ size: 3, hits: 8, misses: 3 });
  });

  it('keeps transactions whole: a failing one rolls back, a later one commits', async () => {
    cacheSqliteStatements(knex);
    await expect(
      knex.transaction(async trx => {
        await trx('t').insert({ id: 1, name: 'a' });
        await trx('t').insert({ id: 1, name: 'again' }); // primary key
      }),
    ).rejects.toMatchObject({
      // better-sqlite3's SqliteError comes from the realm of the first test file that loaded
      // the addon in this jest worker: not `instanceof Error` here, so toThrow() would not see it
      code: 'SQLITE_CONSTRAINT_PRIMARYKEY',
      message: expect.stringMatching(/UNIQUE/),
    });
    expect(await knex('t').count({ n: '*' })).toEqual([{ n: 0 }]);
    await knex.transaction(async trx => {
      await trx('t').insert({ id: 1, name: 'a' });
      await trx('t').insert({ id: 2, name: 'b' });
    });
    expect(await knex('t').orderBy('id').pluck('name')).toEqual(['a', 'b']);
    expect((await stats())!.hits).toBeGreaterThan(0);
  });

  it('sees a schema change: a kept statement returns the new column', async () => {
    cacheSqliteStatements(knex);
    await knex('t').insert({ id: 1, name: 'a' });
    expect(await knex('t').where({ id: 1 }).first()).toEqual({
      id: 1,
      name: 'a',
    });
    await knex.schema.alterTable('t', table => table.string('extra'));
    await knex('t').where({ id: 1 }).update({ extra: 'x' });
    expect(await knex('t').where({ id: 1 }).first()).toEqual({
      id: 1,
      name: 'a',
      extra: 'x',
    });
  });

  it('keeps at most max statements, the least recently used going first', async () => {
    cacheSqliteStatements(knex, { max: 2 });
    await knex('t').insert({ id: 1, name: 'a' });
    await knex('t').where({ id: 1 }).first();
    await knex('t').where({ name: 'a' }).first();
    expect((await stats())!.size).toBe(2);
    expect(() => cacheSqliteStatements(knex, { max: 0 })).toThrow(
      /max must be a positive integer/,
    );
  });

  it('leaves other clients alone', () => {
    const pg = knexFactory({
      client: 'pg',
      connection: 'postgresql://nobody@127.0.0.1:1/none',
    });
    try {
      expect(cacheSqliteStatements(pg)).toBe(false);
    } finally {
      void pg.destroy();
    }
  });
});
