/**
 * The message of a write the database refused ('accepted' when it was not), to prove a
 * constraint by a real write on SQLite and PostgreSQL alike.
 *
 * Not `rejects.toThrow()`: better-sqlite3 builds its SqliteError with the class of the
 * first test file a jest worker loaded it in, so in later files it is no Error of theirs
 * and `toThrow` reports "did not throw" although the write was refused.
 */
export async function refusalOf(write: PromiseLike<unknown>): Promise<string> {
  return Promise.resolve(write).then(
    () => 'accepted',
    (e: unknown) => String((e as Error)?.message ?? e),
  );
}
