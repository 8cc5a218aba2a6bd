import { Knex } from 'knex';

const CACHE = Symbol.for('mvr.sqliteStatementCache');
const INSTALLED = Symbol.for('mvr.sqliteStatementCache.installed');

/** The part of a better-sqlite3 statement the cache touches. */
interface CachedStatement {
  readonly busy?: boolean;
  safeIntegers(toggle?: boolean): unknown;
}

/** The part of a better-sqlite3 database (knex's raw connection) the cache touches. */
interface Connection {
  prepare(sql: string): CachedStatement;
  [CACHE]?: StatementCache;
}

/** Statements kept per connection by default (least recently used go first). */
export const DEFAULT_STATEMENT_CACHE_SIZE = 256;

/** Only data statements are kept: schema changes and pragmas are prepared each time. */
const CACHEABLE =
  /^\s*(select|insert|update|delete|with|begin|commit|rollback|savepoint|release)\b/i;

class StatementCache {
  readonly statements = new Map<string, CachedStatement>();
  hits = 0;
  misses = 0;
  constructor(
    readonly prepare: (sql: string) => CachedStatement,
    readonly max: number,
    readonly safeIntegers: boolean,
  ) {}

  get(sql: string): CachedStatement {
    const kept = this.statements.get(sql);
    // a statement still iterating (a stream) cannot run again: a fresh one then
    if (kept && !kept.busy) {
      // most recently used last; its integer mode back to the connection's default
      // (knex sets it on the statement only when a query asks for it)
      this.statements.delete(sql);
      this.statements.set(sql, kept);
      kept.safeIntegers(this.safeIntegers);
      this.hits++;
      return kept;
    }
    const statement = this.prepare(sql);
    this.misses++;
    if (!kept && CACHEABLE.test(sql)) {
      this.statements.set(sql, statement);
      if (this.statements.size > this.max) {
        this.statements.delete(this.statements.keys().next().value as string);
      }
    }
    return statement;
  }
}

/**
 * Keeps the prepared statements of a better-sqlite3 knex client, per connection.
 *
 * Knex prepares every query's SQL again on every run (`_query`: `connection.prepare`);
 * SQLite compiles it each time, about 50 µs for a statement on the wide conversations
 * table, on the event loop. The recorder runs the same few statements for every call
 * (set-up, registration, compression), so each connection keeps its data statements by
 * SQL text (bindings are values, never SQL) and runs them again. SQLite recompiles a
 * kept statement by itself after a schema change; a kept statement still iterating (a
 * stream) is not handed out again (a fresh one is prepared).
 *
 * Installed on the connections the client hands out (queries and transactions alike).
 * Returns false (nothing done) for other clients, and when the client has it already.
 */
export function cacheSqliteStatements(
  knex: Knex,
  options: { max?: number } = {},
): boolean {
  const client = knex.client as Knex.Client & {
    _optSafeIntegers?: (options: unknown) => boolean | undefined;
    connectionSettings?: { options?: unknown };
    [INSTALLED]?: boolean;
  };
  const max = options.max ?? DEFAULT_STATEMENT_CACHE_SIZE;
  if (!Number.isSafeInteger(max) || max < 1) {
    throw new RangeError(
      `cacheSqliteStatements: max must be a positive integer, got ${max}`,
    );
  }
  if (client.config?.client !== 'better-sqlite3' || client[INSTALLED])
    return false;
  const safeIntegers =
    client._optSafeIntegers?.call(
      client,
      client.connectionSettings?.options ?? {},
    ) ?? false;
  const acquire = client.acquireConnection;
  client[INSTALLED] = true;
  client.acquireConnection = async function acquireWithCache(this: unknown) {
    const connection: Connection = await acquire.call(this);
    if (
      connection &&
      !connection[CACHE] &&
      typeof connection.prepare === 'function'
    ) {
      const prepare = connection.prepare.bind(connection);
      const cache = new StatementCache(prepare, max, safeIntegers);
      connection.prepare = (sql: string) => cache.get(sql);
      connection[CACHE] = cache;
    }
    return connection;
  };
  return true;
}

/** The cache's figures on a raw connection (tests, diagnostics); undefined without one. */
export function statementCacheStats(
  connection: unknown,
): { size: number; hits: number; misses: number } | undefined {
  const cache = (connection as Connection | undefined)?.[CACHE];
  return cache
    ? { size: cache.statements.size, hits: cache.hits, misses: cache.misses }
    : undefined;
}
