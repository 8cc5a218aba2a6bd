import { shortStoreMessage } from './databaseHealth';

describe('shortStoreMessage', () => {
  it('drops the SQL statement knex puts before the driver message, with or without the error name', () => {
    const sql = "insert into `vr_conversations` (`id`, `number`) values ('9dc3', '+32470123456')";
    expect(shortStoreMessage(`conversations.begin: database unavailable: SqliteError: ${sql} - database or disk is full`)).toBe(
      'conversations.begin: database unavailable: database or disk is full',
    );
    expect(shortStoreMessage(`conversations.begin: database unavailable: ${sql} - terminating connection due to administrator command`)).toBe(
      'conversations.begin: database unavailable: terminating connection due to administrator command',
    );
    expect(shortStoreMessage(`numbers.lookup: database unavailable: select * from "vr_numbers" where "number" = $1`)).toBe(
      'numbers.lookup: database unavailable: an SQL statement failed',
    );
  });

  it('keeps other messages, at most 500 characters', () => {
    expect(shortStoreMessage('conversations.begin: database unavailable: connect ECONNREFUSED 127.0.0.1:5432')).toBe(
      'conversations.begin: database unavailable: connect ECONNREFUSED 127.0.0.1:5432',
    );
    expect(shortStoreMessage('x'.repeat(900))).toHaveLength(500);
  });
});
