import { InputError } from '@backstage/errors';
import {
  isAndCriteria,
  isNotCriteria,
  isOrCriteria,
} from '@backstage/plugin-permission-node';
import { PermissionCriteria } from '@backstage/plugin-permission-common';
import {
  Conversation,
  ConversationDirection,
  ConversationState,
  audioIssueText,
} from '@mvr/plugin-voice-recording-common';
import {
  ConversationQuery,
  storedSipIdentifier,
} from '@mvr/plugin-voice-recording-node';
import { Knex } from 'knex';
import {
  caseClaimsOf,
  whereCaseGivesRight,
  whereCaseVisibleTo,
} from './CasesStore';
import {
  audioIssuesColumn,
  isQualityVerdict,
  qualityCheckColumns,
  conversationFromRow,
  ConversationRow,
  digitsOnly,
  isAudioIssueCode,
} from './ConversationsStore';

const C = 'vr_conversations';

export type ConversationSortField =
  | 'startedAt'
  | 'durationMs'
  | 'number'
  | 'otherParty';

/** Filters of GET /conversations (see docs/api.md), already validated. */
export interface ConversationSearchFilters {
  from?: Date;
  to?: Date;
  /**
   * Digits to find in either party (already reduced to digits, see phoneSearchDigits): a
   * substring of the party's digits, or the whole digits when `phoneExact` or when shorter
   * than MIN_PARTIAL_PHONE_DIGITS.
   */
  phoneDigits?: string;
  /** The digits are a whole valid number: match them exactly (index lookups). */
  phoneExact?: boolean;
  userRef?: string;
  /**
   * The calls of any of these users (lower-case refs: the `user` and `group` filters
   * resolved through the catalog); an empty list matches nothing.
   */
  userRefs?: string[];
  direction?: ConversationDirection;
  minDurationMs?: number;
  maxDurationMs?: number;
  /** Recorded number, E.164. */
  number?: string;
  state?: ConversationState;
  /**
   * Recordings without usable audio: `any` (flagged with any audio issue), `none` (not
   * flagged), or one issue code (e.g. `no-media`, `undecodable-codec`).
   */
  audioIssue?: string;
  /** The quality check's verdict: `ok`, `warning` or `failed` (calls archived before the check match none). */
  quality?: string;
  /** Only these ids (export of a selection). */
  ids?: string[];
  /** With (true) or without (false) DTMF digits received. */
  hasDtmf?: boolean;
  /** Carrying this label. */
  labelId?: string;
  /** Carrying the label of this case. */
  caseId?: string;
  /**
   * Under a standing legal hold (true) or not (false): docs/legal-hold.md. For a caller
   * with visibility criteria, only the holds on cases that show themselves to them count.
   */
  legalHold?: boolean;
}

export interface ConversationSearchQuery extends ConversationSearchFilters {
  sort: ConversationSortField;
  order: 'asc' | 'desc';
  limit: number;
  /** Opaque cursor from a previous page's `nextCursor`. */
  cursor?: string;
}

export interface ConversationSearchPage {
  items: Conversation[];
  /** Matches; when `totalIsLowerBound`, at least this many (the count stopped there). */
  total: number;
  /** true when more than the count cap match (the count is not exact then). */
  totalIsLowerBound?: boolean;
  nextCursor?: string;
}

/**
 * A search page counts matches up to this many: beyond it the total is shown as "more
 * than". An exact count of a broad filter (a direction, a short partial number) reads
 * every matching row; capped, it stops after the cap, so broad searches cost what
 * narrow ones do. `count()` (exports) stays exact.
 */
export const DEFAULT_SEARCH_COUNT_CAP = 10000;

/**
 * Sort columns. Nullable columns sort through COALESCE so that the keyset comparison
 * (value, id) is total; `started_at` and `number` are NOT NULL and use their indexes.
 */
const SORTS: Record<
  ConversationSortField,
  { expr: string; kind: 'time' | 'number' | 'text' }
> = {
  startedAt: { expr: 'started_at', kind: 'time' },
  durationMs: { expr: 'COALESCE(duration_ms, -1)', kind: 'number' },
  number: { expr: 'number', kind: 'text' },
  otherParty: { expr: "COALESCE(other_party, '')", kind: 'text' },
};

interface CursorData {
  s: ConversationSortField;
  o: 'asc' | 'desc';
  v: string | number;
  id: string;
}

export function encodeCursor(data: CursorData): string {
  return Buffer.from(JSON.stringify(data), 'utf8').toString('base64url');
}

export function decodeCursor(
  cursor: string,
  sort: ConversationSortField,
  order: 'asc' | 'desc',
): CursorData {
  let data: CursorData;
  try {
    data = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new InputError('cursor: not a cursor returned by this API');
  }
  if (
    !data ||
    typeof data.id !== 'string' ||
    (typeof data.v !== 'string' && typeof data.v !== 'number')
  ) {
    throw new InputError('cursor: not a cursor returned by this API');
  }
  if (data.s !== sort || data.o !== order) {
    throw new InputError(
      `cursor: it was made for sort=${data.s}&order=${data.o}, not sort=${sort}&order=${order}`,
    );
  }
  return data;
}

/**
 * The digits a phone search matches, from any input format: `+32 470 12 34 56`,
 * `0032470...` and `0470 12 34 56` (national, when it is a valid number in the default
 * country) give 32470123456; a partial national input `0470 12` drops its trunk 0.
 */
export function phoneSearchDigits(
  input: string,
  normalized?: string,
): string | undefined {
  if (normalized) return normalized.replace(/\D/g, '');
  const raw = input.trim();
  let d = raw.replace(/\D/g, '');
  if (/^\s*00/.test(raw)) d = d.replace(/^00/, '');
  else if (/^\s*0/.test(raw)) d = d.replace(/^0/, '');
  return d || undefined;
}

/**
 * Applies a conversation permission criteria (conditional decision) as a WHERE
 * clause: `userRef` (own calls) and `caseRight` (calls of cases that give the right,
 * see whereCaseGivesRight), combined by the policy's anyOf.
 */
export function applyConversationCriteria(
  qb: Knex.QueryBuilder,
  criteria: PermissionCriteria<ConversationQuery>,
): void {
  if (isAndCriteria(criteria)) {
    qb.where(b => {
      for (const sub of criteria.allOf)
        b.andWhere(bb => applyConversationCriteria(bb, sub));
    });
  } else if (isOrCriteria(criteria)) {
    qb.where(b => {
      for (const sub of criteria.anyOf)
        b.orWhere(bb => applyConversationCriteria(bb, sub));
    });
  } else if (isNotCriteria(criteria)) {
    qb.whereNot(b => applyConversationCriteria(b, criteria.not));
  } else if (criteria.property === 'userRef') {
    if (criteria.values.length === 0) qb.whereRaw('1 = 0');
    else
      qb.whereIn(
        `${C}.user_ref`,
        criteria.values.map(v => v.toLowerCase()),
      );
  } else if (criteria.property === 'caseRight') {
    // carries the label of a case that gives the right now (settings, approved requests)
    const { right, claims } = criteria;
    const now = new Date();
    const client = (qb as any).client;
    const ids = (client.queryBuilder() as Knex.QueryBuilder)
      .select('cl.conversation_id')
      .from('vr_conversation_labels as cl')
      .join('vr_cases as c', 'c.label_id', 'cl.label_id')
      .where(b => whereCaseGivesRight(b, right, claims, now));
    if (client.config.client === 'pg') {
      // an array computed once (InitPlan): `id = ANY(...)` stays an index condition, so
      // OR-ed with the own-calls rule PostgreSQL combines both indexes (BitmapOr)
      // instead of testing a subquery on every row of the table
      qb.whereRaw(`${C}.id = ANY(ARRAY(?))`, [ids]);
    } else {
      qb.whereIn(`${C}.id`, ids);
    }
  } else {
    throw new Error(
      `unsupported conversation permission query ${JSON.stringify(criteria)}`,
    );
  }
}

/** A partial phone input needs this many digits to match as a substring (trigram indexes). */
export const MIN_PARTIAL_PHONE_DIGITS = 3;

/**
 * Up to this many conversations matching a partial phone input, the search selects them
 * through the phone index first, then sorts and pages them. Above it, fetching every match
 * costs more than walking the other indexes (sort order, user, time) and testing each row's
 * digits: with that many matches a page fills quickly.
 */
export const DEFAULT_PHONE_INDEX_MAX_MATCHES = 20_000;

const SQLITE_CLIENTS = ['sqlite3', 'better-sqlite3'];
/** SQLite only: FTS5 trigram index of the digits (migration 20250901000000_conversation_phone_index). */
const PHONE = 'vr_conversations_phone';
const PHONE_FTS = 'vr_conversations_phone_fts';
const PHONE_FTS_OBJECTS = [
  PHONE,
  PHONE_FTS,
  'vr_conversations_phone_ai',
  'vr_conversations_phone_au',
  'vr_conversations_phone_ad',
  'vr_conversations_phone_fts_ai',
  'vr_conversations_phone_fts_ad',
  'vr_conversations_phone_fts_au',
];

const FILTER_KEYS: (keyof ConversationSearchFilters)[] = [
  'from',
  'to',
  'userRef',
  'userRefs',
  'direction',
  'minDurationMs',
  'maxDurationMs',
  'number',
  'state',
  'audioIssue',
  'quality',
  'ids',
  'hasDtmf',
  'labelId',
  'caseId',
  'legalHold',
];

/** How the phone filter of a search runs. */
interface PhonePlan {
  where(qb: Knex.QueryBuilder): void;
  /** Select the matches (few) through the phone index first, then sort and page them. */
  materialize: boolean;
  /** How many conversations match the phone filter alone, when known exactly. */
  matches?: number;
}

export interface ConversationSearchStoreOptions {
  /** See DEFAULT_PHONE_INDEX_MAX_MATCHES (tests lower it to run both plans). */
  phoneIndexMaxMatches?: number;
  /** See DEFAULT_SEARCH_COUNT_CAP. */
  searchCountCap?: number;
}

/** Read side of conversations: search, detail, visibility in SQL. */
export class ConversationSearchStore {
  private readonly phoneIndexMaxMatches: number;
  private readonly searchCountCap: number;
  private phoneFts?: Promise<boolean>;

  constructor(
    private readonly db: Knex,
    options: ConversationSearchStoreOptions = {},
  ) {
    this.phoneIndexMaxMatches =
      options.phoneIndexMaxMatches ?? DEFAULT_PHONE_INDEX_MAX_MATCHES;
    this.searchCountCap = options.searchCountCap ?? DEFAULT_SEARCH_COUNT_CAP;
  }

  /**
   * SQLite: the phone FTS index is there with every trigger that keeps it in sync (a later
   * table rebuild would drop the triggers: then the search uses LIKE, never a stale index).
   */
  private hasPhoneFts(): Promise<boolean> {
    if (!SQLITE_CLIENTS.includes(String(this.db.client.config.client))) {
      return Promise.resolve(false);
    }
    if (!this.phoneFts) {
      this.phoneFts = this.db('sqlite_master')
        .whereIn('name', PHONE_FTS_OBJECTS)
        .select('name')
        .then(
          rows => rows.length === PHONE_FTS_OBJECTS.length,
          e => {
            this.phoneFts = undefined;
            throw e;
          },
        );
    }
    return this.phoneFts;
  }

  /**
   * The phone filter: whole digits (a valid number, or fewer digits than
   * MIN_PARTIAL_PHONE_DIGITS) by equality on the digits columns (b-tree indexes); a
   * substring by testing the digits of the rows of the indexed filters when those are few
   * (a user's calls), else through the trigram index (SQLite FTS5, PostgreSQL pg_trgm) when
   * it matches few conversations, else by testing each row's digits while walking the
   * other indexes (sort order, user, time: many matches fill a page quickly).
   * Every plan selects the same rows: `number_digits` or `other_party_digits` contains
   * (or equals) the digits.
   */
  private async phonePlan(
    filters: ConversationSearchFilters,
    visibility: PermissionCriteria<ConversationQuery> | undefined,
  ): Promise<PhonePlan | undefined> {
    const d = filters.phoneDigits;
    if (!d) return undefined;
    if (!/^\d+$/.test(d)) {
      throw new InputError(`phone: "${d}" is not a string of digits`);
    }
    if (filters.phoneExact || d.length < MIN_PARTIAL_PHONE_DIGITS) {
      return {
        where: qb =>
          qb.where(b =>
            b.where('number_digits', d).orWhere('other_party_digits', d),
          ),
        materialize: true,
      };
    }
    const pattern = `%${d}%`; // digits only: nothing to escape
    const like = (qb: Knex.QueryBuilder) =>
      qb.where(b =>
        b
          .whereRaw('number_digits LIKE ?', [pattern])
          .orWhereRaw('other_party_digits LIKE ?', [pattern]),
      );
    const max = this.phoneIndexMaxMatches;
    if (
      visibility ||
      filters.userRef ||
      filters.userRefs ||
      filters.number ||
      filters.from ||
      filters.to ||
      filters.ids
    ) {
      // the indexed filters (a user's, a number's calls, a time range) may select fewer
      // rows than the digits: then test the digits of those rows (capped count: cheap)
      const probe = this.narrowed(filters, visibility).select(this.db.raw('1'));
      const [{ n }] = await this.db
        .from(probe.limit(max + 1).as('o'))
        .count({ n: '*' });
      if (Number(n) <= max) return { where: like, materialize: true };
    }
    if (await this.hasPhoneFts()) {
      // trigram phrase = substring of one column's digits, exactly like the LIKE above
      const match = `"${d}"`;
      const [{ n }] = await this.db(PHONE_FTS)
        .whereRaw(`${PHONE_FTS} MATCH ?`, [match])
        .count({ n: '*' });
      const matches = Number(n);
      if (matches > max) return { where: like, materialize: false, matches };
      return {
        where: qb =>
          qb.whereIn(
            `${C}.id`,
            this.db(PHONE)
              .select('conversation_id')
              .whereIn(
                'rowid',
                this.db(PHONE_FTS)
                  .select('rowid')
                  .whereRaw(`${PHONE_FTS} MATCH ?`, [match]),
              ),
          ),
        materialize: true,
        matches,
      };
    }
    if (this.db.client.config.client === 'pg') {
      // capped count: the pg_trgm GIN index when the matches are few, a short scan else
      const probe = this.db(C).select(this.db.raw('1')).modify(like);
      const [{ n }] = await this.db
        .from(probe.limit(max + 1).as('p'))
        .count({ n: '*' });
      const matches = Number(n);
      if (matches > max) return { where: like, materialize: false };
      return { where: like, materialize: true, matches };
    }
    return { where: like, materialize: true };
  }

  /** The visibility and the filters that have an index (user, number, start, id). */
  private narrowed(
    filters: ConversationSearchFilters,
    visibility: PermissionCriteria<ConversationQuery> | undefined,
  ): Knex.QueryBuilder {
    const qb = this.db(C);
    if (visibility) qb.where(b => applyConversationCriteria(b, visibility));
    if (filters.from) qb.where('started_at', '>=', filters.from);
    if (filters.to) qb.where('started_at', '<', filters.to);
    if (filters.userRef) qb.where('user_ref', filters.userRef.toLowerCase());
    if (filters.userRefs) {
      if (filters.userRefs.length === 0) qb.whereRaw('1 = 0');
      else
        qb.whereIn(
          'user_ref',
          filters.userRefs.map(r => r.toLowerCase()),
        );
    }
    if (filters.number) qb.where('number', filters.number);
    if (filters.ids) {
      if (filters.ids.length === 0) qb.whereRaw('1 = 0');
      else qb.whereIn('id', filters.ids);
    }
    return qb;
  }

  private filtered(
    filters: ConversationSearchFilters,
    visibility: PermissionCriteria<ConversationQuery> | undefined,
    phone: PhonePlan | undefined,
  ): Knex.QueryBuilder {
    const qb = this.narrowed(filters, visibility);
    if (filters.direction) qb.where('direction', filters.direction);
    if (filters.state) qb.where('state', filters.state);
    // the column is the JSON array of the digits received, '[]' when none (every writer)
    if (filters.hasDtmf === true) qb.whereNot('dtmf', '[]');
    else if (filters.hasDtmf === false) qb.where('dtmf', '[]');
    if (filters.audioIssue === 'any') qb.whereNotNull('audio_issues');
    else if (filters.audioIssue === 'none') qb.whereNull('audio_issues');
    else if (filters.audioIssue) {
      // the column is a JSON array of kebab-case codes: the quoted code is a whole element
      // (codes hold no LIKE wildcards or quotes)
      if (!isAudioIssueCode(filters.audioIssue)) {
        throw new InputError(
          `audioIssue: "${filters.audioIssue}" is not "any", "none" or an issue code such as no-media`,
        );
      }
      qb.whereNotNull('audio_issues').where(
        'audio_issues',
        'like',
        `%"${filters.audioIssue}"%`,
      );
    }
    if (filters.quality !== undefined) {
      if (!isQualityVerdict(filters.quality)) {
        throw new InputError(
          `quality: "${filters.quality}" is not one of ok, warning, failed`,
        );
      }
      // indexed column (vr_conversations_quality_verdict_idx)
      qb.where('quality_verdict', filters.quality);
    }
    if (filters.labelId)
      qb.whereIn(
        `${C}.id`,
        this.db('vr_conversation_labels')
          .select('conversation_id')
          .where('label_id', filters.labelId),
      );
    if (filters.caseId)
      qb.whereIn(
        `${C}.id`,
        this.db('vr_conversation_labels as fcl')
          .join('vr_cases as fc', 'fc.label_id', 'fcl.label_id')
          .select('fcl.conversation_id')
          .where('fc.id', filters.caseId),
      );
    if (filters.legalHold !== undefined) {
      // the predicate of migration 20261206110000_legal_holds.js; a standard user's
      // claims restrict it to the cases they may see (as the legalHold marker)
      const claims = visibility ? caseClaimsOf(visibility) : undefined;
      const db = this.db;
      const held = function held(this: Knex.QueryBuilder) {
        this.select(db.raw('1'))
          .from('vr_conversation_labels as hcl')
          .join('vr_legal_holds as hh', 'hh.label_id', 'hcl.label_id')
          .whereRaw(`hcl.conversation_id = ${C}.id`)
          .whereNot('hh.state', 'released');
        if (claims) {
          this.join('vr_cases as hc', 'hc.id', 'hh.case_id');
          if (claims.length === 0) this.whereRaw('1 = 0');
          else this.where(b => whereCaseVisibleTo(b, claims, new Date(), 'hc'));
        }
      };
      if (filters.legalHold) qb.whereExists(held);
      else qb.whereNotExists(held);
    }
    if (filters.minDurationMs !== undefined)
      qb.where('duration_ms', '>=', filters.minDurationMs);
    if (filters.maxDurationMs !== undefined)
      qb.where('duration_ms', '<=', filters.maxDurationMs);
    phone?.where(qb);
    return qb;
  }

  /** Exact number of conversations matching the filters (visible ones only). */
  async count(
    filters: ConversationSearchFilters,
    visibility?: PermissionCriteria<ConversationQuery>,
  ): Promise<number> {
    const phone = await this.phonePlan(filters, visibility);
    return this.countWith(filters, visibility, phone);
  }

  private async countWith(
    filters: ConversationSearchFilters,
    visibility: PermissionCriteria<ConversationQuery> | undefined,
    phone: PhonePlan | undefined,
    cap?: number,
  ): Promise<number> {
    if (
      phone?.matches !== undefined &&
      !visibility &&
      FILTER_KEYS.every(k => filters[k] === undefined)
    ) {
      return phone.matches; // the phone filter alone: already counted by its index
    }
    if (cap !== undefined) {
      // count at most cap + 1 rows: a result above cap means "more than cap"
      const [{ count }] = await this.db
        .from(
          this.filtered(filters, visibility, phone)
            .select(this.db.raw('1'))
            .limit(cap + 1)
            .as('capped'),
        )
        .count({ count: '*' });
      return Number(count);
    }
    const [{ count }] = await this.filtered(filters, visibility, phone).count({
      count: '*',
    });
    return Number(count);
  }

  async search(
    query: ConversationSearchQuery,
    visibility?: PermissionCriteria<ConversationQuery>,
  ): Promise<ConversationSearchPage> {
    const sort = SORTS[query.sort];
    const dir = query.order === 'asc' ? 'asc' : 'desc';
    const phone = await this.phonePlan(query, visibility);
    let qb = this.filtered(query, visibility, phone);
    if (phone?.materialize) {
      // A phone filter that selects few rows: the planner may still estimate many and walk
      // the started_at index backwards to fill the page (scanning the whole table when the
      // matches are rare): materialize the matches first, then sort and page them.
      qb = this.db
        .withMaterialized('phone_matches', qb.select('*'))
        .from('phone_matches');
    }
    if (query.cursor) {
      const c = decodeCursor(query.cursor, query.sort, query.order);
      const value = sort.kind === 'time' ? new Date(c.v) : c.v;
      const op = dir === 'asc' ? '>' : '<';
      qb.where(b =>
        b
          .whereRaw(`${sort.expr} ${op} ?`, [value])
          .orWhere(bb =>
            bb.whereRaw(`${sort.expr} = ?`, [value]).where('id', op, c.id),
          ),
      );
    }
    const [rows, total] = await Promise.all([
      qb
        .clone()
        .select('*')
        .orderByRaw(`${sort.expr} ${dir}, id ${dir}`)
        .limit(query.limit + 1) as Promise<ConversationRow[]>,
      this.countWith(query, visibility, phone, this.searchCountCap),
    ]);
    const items = rows.slice(0, query.limit).map(conversationFromRow);
    let nextCursor: string | undefined;
    if (rows.length > query.limit) {
      const last = items[items.length - 1];
      const values: Record<ConversationSortField, string | number> = {
        startedAt: last.startedAt,
        durationMs: last.durationMs ?? -1,
        number: last.number,
        otherParty: last.otherParty ?? '',
      };
      const v = values[query.sort];
      nextCursor = encodeCursor({ s: query.sort, o: dir, v, id: last.id });
    }
    return total > this.searchCountCap
      ? {
          items,
          total: this.searchCountCap,
          totalIsLowerBound: true,
          nextCursor,
        }
      : { items, total, nextCursor };
  }

  /** One conversation if it exists and the criteria allow it. */
  async get(
    id: string,
    visibility?: PermissionCriteria<ConversationQuery>,
  ): Promise<Conversation | undefined> {
    if (!/^[0-9a-f-]{36}$/i.test(id)) return undefined;
    const qb = this.db(C).where('id', id);
    if (visibility) qb.where(b => applyConversationCriteria(b, visibility));
    const row = await qb.first();
    return row ? conversationFromRow(row) : undefined;
  }

  /** Inserts a finished conversation as is (demo data, benchmarks, imports). */
  async insertFinished(conversations: Conversation[]): Promise<void> {
    const rows = conversations.map(c => ({
      id: c.id,
      recorded_number_id: c.recordedNumberId ?? null,
      number: c.number,
      number_digits: digitsOnly(c.number),
      user_ref: c.userRef.toLowerCase(),
      direction: c.direction ?? null,
      other_party: c.otherParty ?? null,
      other_party_digits: digitsOnly(c.otherParty),
      started_at: new Date(c.startedAt),
      ended_at: c.endedAt ? new Date(c.endedAt) : null,
      duration_ms: c.durationMs ?? null,
      codec: c.codec ?? null,
      // the stored form the recorder's writes use (ConversationsStore), so lookups agree
      sip_call_id: storedSipIdentifier(c.sipCallId),
      siprec_session_id:
        c.siprecSessionId === undefined || c.siprecSessionId === null
          ? null
          : storedSipIdentifier(c.siprecSessionId),
      participants: JSON.stringify(c.participants),
      metadata: JSON.stringify(c.metadata ?? {}),
      dtmf: JSON.stringify(c.dtmf ?? []),
      quality: c.quality ? JSON.stringify(c.quality) : null,
      state: c.state,
      audio_issues: audioIssuesColumn('conversations.insert', c.audioIssues),
      ...qualityCheckColumns('conversations.insert', c.qualityCheck),
      ended_by: c.endedBy ?? null,
      failure_reason: c.failureReason ?? null,
      storage_key: c.storageKey ?? null,
      sha256: c.sha256 ?? null,
      bytes: c.bytes ?? null,
      format: c.format ?? null,
      capture_source: c.captureSource,
      capture_instance: c.captureInstance ?? null,
      created_at: new Date(c.createdAt),
      updated_at: new Date(c.updatedAt),
    }));
    // 32 columns: keep each statement under SQLite's bound-variable limit
    const size = Math.max(1, Math.floor(900 / 32));
    for (let i = 0; i < rows.length; i += size) {
      await this.db(C).insert(rows.slice(i, i + size));
    }
  }
}

/** quality check reasons whose figures qualityWarnings already shows */
const QUALITY_REASONS_SHOWN_ABOVE = new Set([
  'no-media',
  'undecodable-codec',
  'audio-lost',
  'packet-loss',
]);

/** Quality warnings shown with a conversation, from what the recorder measured. */
export function qualityWarnings(c: Conversation): string[] {
  const q = c.quality ?? {};
  const out: string[] = [];
  const received = Number(q.packetsReceived ?? 0);
  const lost = Number(q.packetsLost ?? 0);
  if (lost > 0 && received + lost > 0) {
    const pct = (100 * lost) / (received + lost);
    if (pct >= 1) out.push(`packet loss ${pct.toFixed(1)}%`);
  }
  if (Number(q.gaps ?? 0) > 0) {
    out.push(
      `${q.gaps} gap(s) in the audio${
        q.gapMs ? ` (${Math.round(Number(q.gapMs))} ms)` : ''
      }`,
    );
  }
  if (Number(q.jitterMs ?? 0) > 50)
    out.push(`high jitter (${Math.round(Number(q.jitterMs))} ms)`);
  if (q.oneSided) out.push('one-sided audio (only one party carried media)');
  for (const issue of c.audioIssues ?? []) out.push(audioIssueText(issue, q));
  const undecodable = Array.isArray(q.undecodable) ? q.undecodable : [];
  if (!c.audioIssues?.includes('undecodable-codec') && undecodable.length) {
    // some packets in a codec the recorder cannot decode, among audio it recorded
    const n = undecodable.reduce((a, p) => a + Number(p.packets ?? 0), 0);
    out.push(
      `${n} packet${
        n === 1 ? '' : 's'
      } in a codec the recorder cannot decode (${undecodable
        .map(p => `${p.codec ? `${p.codec}, ` : ''}PT ${p.payloadType}`)
        .join('; ')}): not in the recording`,
    );
  }
  // the recorder's quality check: its findings the figures above do not already say
  for (const r of c.qualityCheck?.reasons ?? []) {
    if (QUALITY_REASONS_SHOWN_ABOVE.has(r.code)) continue;
    if (r.code === 'missing-stream' && q.oneSided) continue;
    if (r.code === 'jitter' && Number(q.jitterMs ?? 0) > 50) continue;
    out.push(r.text);
  }
  if (c.state === 'failed')
    out.push(
      `recording failed${c.failureReason ? `: ${c.failureReason}` : ''}`,
    );
  if (c.state === 'finished' && !c.storageKey) out.push('no audio stored');
  return out;
}
