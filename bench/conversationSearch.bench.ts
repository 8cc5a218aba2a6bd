/*
 * Conversation search benchmark: seeds N synthetic conversations (default 1,000,000)
 * with one INSERT ... SELECT generated in the database (recursive CTE on SQLite,
 * generate_series on PostgreSQL), then times the searches of GET /conversations through
 * the real ConversationSearchStore (page + total count), p50/p95 over repeated runs.
 */
import { Knex } from 'knex';
import { applyDatabaseMigrations } from '../plugins/voice-recording-backend/src/database';
import { ConversationSearchStore } from '../plugins/voice-recording-backend/src/database/ConversationSearchStore';

export interface SearchTiming {
  name: string;
  p50: number;
  p95: number;
  total: number;
  /** the page's count stopped at the cap (DEFAULT_SEARCH_COUNT_CAP) */
  totalIsLowerBound?: boolean;
}

const BASE_MS = Date.UTC(2026, 0, 1);
const STEP_MS = 30_000; // one call every 30 s: 1M calls span ~347 days
const NUMBERS = 1000;

export async function seedConversations(knex: Knex, count: number): Promise<number> {
  const started = performance.now();
  await applyDatabaseMigrations(knex);
  const pg = knex.client.config.client === 'pg';
  const batch = 100_000;
  for (let from = 1; from <= count; from += batch) {
    const to = Math.min(count, from + batch - 1);
    if (pg) {
      await knex.raw(
        `INSERT INTO vr_conversations (id, number, number_digits, user_ref, direction, other_party, other_party_digits,
           started_at, ended_at, duration_ms, sip_call_id, participants, metadata, dtmf, state, capture_source,
           storage_key, format, created_at, updated_at)
         SELECT lpad(to_hex(i), 8, '0') || '-0000-4000-8000-' || lpad(to_hex(i), 12, '0'),
           '+32470' || lpad(((i % ${NUMBERS}) + 100000)::text, 6, '0'),
           '32470' || lpad(((i % ${NUMBERS}) + 100000)::text, 6, '0'),
           'user:default/u' || (i % ${NUMBERS}),
           CASE WHEN i % 2 = 0 THEN 'incoming' ELSE 'outgoing' END,
           '+3247' || lpad(((i * 7919) % 10000000)::text, 7, '0'),
           '3247' || lpad(((i * 7919) % 10000000)::text, 7, '0'),
           to_timestamp((${BASE_MS} + i::bigint * ${STEP_MS}) / 1000.0),
           to_timestamp((${BASE_MS} + i::bigint * ${STEP_MS} + (i % 600) * 1000) / 1000.0),
           (i % 600) * 1000, 'bench-' || i, '[]', '{}', '[]', 'finished', 'bench',
           'bench/' || i || '.opus', 'audio/ogg; codecs=opus', now(), now()
         FROM generate_series(?::bigint, ?::bigint) AS i`,
        [from, to],
      );
    } else {
      await knex.raw(
        `WITH RECURSIVE seq(i) AS (SELECT CAST(? AS INTEGER) UNION ALL SELECT i + 1 FROM seq WHERE i < CAST(? AS INTEGER))
         INSERT INTO vr_conversations (id, number, number_digits, user_ref, direction, other_party, other_party_digits,
           started_at, ended_at, duration_ms, sip_call_id, participants, metadata, dtmf, state, capture_source,
           storage_key, format, created_at, updated_at)
         SELECT printf('%08x-0000-4000-8000-%012x', i, i),
           '+32470' || printf('%06d', (i % ${NUMBERS}) + 100000),
           '32470' || printf('%06d', (i % ${NUMBERS}) + 100000),
           'user:default/u' || (i % ${NUMBERS}),
           CASE WHEN i % 2 = 0 THEN 'incoming' ELSE 'outgoing' END,
           '+3247' || printf('%07d', (i * 7919) % 10000000),
           '3247' || printf('%07d', (i * 7919) % 10000000),
           ${BASE_MS} + i * ${STEP_MS}, ${BASE_MS} + i * ${STEP_MS} + (i % 600) * 1000,
           (i % 600) * 1000, 'bench-' || i, '[]', '{}', '[]', 'finished', 'bench',
           'bench/' || i || '.opus', 'audio/ogg; codecs=opus', ${BASE_MS}, ${BASE_MS}
         FROM seq`,
        [from, to],
      );
    }
  }
  // steady state: autovacuum has set the visibility map (index-only scans for counts)
  if (pg) await knex.raw('VACUUM ANALYZE vr_conversations');
  else await knex.raw('ANALYZE');
  return performance.now() - started;
}

export async function timeSearches(knex: Knex, count: number, runs = 15): Promise<SearchTiming[]> {
  const store = new ConversationSearchStore(knex);
  const day = (d: number) => new Date(BASE_MS + d * 86_400_000);
  const own = { property: 'userRef' as const, values: ['user:default/u42'] };
  // what the portal's policy gives a standard user: own calls OR calls of cases that give
  // the list right to one of the user's claims (issue 17's HAS_CASE_RIGHT)
  const ownOrCase = {
    anyOf: [
      own,
      {
        property: 'caseRight' as const,
        right: 'list' as const,
        claims: ['user:default/u42', 'group:default/trading'],
      },
    ],
  };
  const base = { sort: 'startedAt' as const, order: 'desc' as const, limit: 50 };
  const firstPage = await store.search(base);
  const cases: { name: string; run: () => Promise<{ total: number; totalIsLowerBound?: boolean }> }[] = [
    { name: 'admin, no filter, newest first', run: () => store.search(base) },
    { name: 'admin, next page (keyset cursor)', run: () => store.search({ ...base, cursor: firstPage.nextCursor }) },
    { name: 'by recorded number', run: () => store.search({ ...base, number: '+32470100042' }) },
    { name: 'by user (standard user: visibility IN SQL)', run: () => store.search(base, own) },
    { name: 'standard user: own calls OR case rights (the policy)', run: () => store.search(base, ownOrCase) },
    { name: 'by user filter (admin)', run: () => store.search({ ...base, userRef: 'user:default/u42' }) },
    { name: 'by time range (1 day)', run: () => store.search({ ...base, from: day(100), to: day(101) }) },
    { name: 'by time range (30 days)', run: () => store.search({ ...base, from: day(100), to: day(130) }) },
    { name: 'by phone, full number (exact digits)', run: () => store.search({ ...base, phoneDigits: '32470100042', phoneExact: true }) },
    { name: 'by phone, full other party (exact digits)', run: () => store.search({ ...base, phoneDigits: '32470007919', phoneExact: true }) },
    { name: 'by phone, partial (6 digits)', run: () => store.search({ ...base, phoneDigits: '791900' }) },
    { name: 'by phone, partial (4 digits, ~10k matches)', run: () => store.search({ ...base, phoneDigits: '4710' }) },
    { name: 'by phone, partial (3 digits, ~6k matches)', run: () => store.search({ ...base, phoneDigits: '123' }) },
    { name: 'by phone, partial in every row (470)', run: () => store.search({ ...base, phoneDigits: '470' }) },
    { name: 'by phone, 2 digits (whole digits only)', run: () => store.search({ ...base, phoneDigits: '47' }) },
    { name: 'combined: user + 30 days + direction', run: () => store.search({ ...base, from: day(100), to: day(130), direction: 'incoming' }, own) },
    { name: 'combined: user + partial phone', run: () => store.search({ ...base, phoneDigits: '4710' }, own) },
    { name: 'combined: user + partial in every row', run: () => store.search({ ...base, phoneDigits: '470' }, own) },
    { name: 'combined: 30 days + partial phone', run: () => store.search({ ...base, phoneDigits: '4710', from: day(100), to: day(130) }) },
    { name: 'combined: 30 days + partial in every row', run: () => store.search({ ...base, phoneDigits: '470', from: day(100), to: day(130) }) },
    { name: 'by direction only (no indexed filter)', run: () => store.search({ ...base, direction: 'incoming' }) },
    { name: 'combined: direction + partial phone', run: () => store.search({ ...base, phoneDigits: '4710', direction: 'incoming' }) },
    { name: 'combined: direction + partial in every row', run: () => store.search({ ...base, phoneDigits: '470', direction: 'incoming' }) },
    { name: 'partial phone, sorted by duration', run: () => store.search({ ...base, sort: 'durationMs', phoneDigits: '4710' }) },
  ];
  const out: SearchTiming[] = [];
  for (const c of cases) {
    const times: number[] = [];
    let total = 0;
    let totalIsLowerBound: boolean | undefined;
    await c.run(); // warm-up
    for (let i = 0; i < runs; i++) {
      const t = performance.now();
      const page = await c.run();
      total = page.total;
      totalIsLowerBound = page.totalIsLowerBound;
      times.push(performance.now() - t);
    }
    times.sort((a, b) => a - b);
    out.push({
      name: c.name,
      p50: times[Math.floor(times.length * 0.5)],
      p95: times[Math.min(times.length - 1, Math.ceil(times.length * 0.95) - 1)],
      total,
      totalIsLowerBound,
    });
  }
  void count;
  return out;
}
