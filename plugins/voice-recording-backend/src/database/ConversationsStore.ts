import { randomUUID } from 'node:crypto';
import {
  Conversation,
  ConversationAudioIssue,
  ConversationDirection,
  ConversationEndReason,
  ConversationParticipant,
  ConversationParticipantPeriod,
  ConversationQualityCheck,
  ConversationState,
  QUALITY_VERDICTS,
  QualityVerdict,
  RefusalReason,
  RefusedSession,
} from '@mvr/plugin-voice-recording-common';
import {
  ArchiveToCompress,
  BeginConversationInput,
  CaptureStoreError,
  ConversationPatch,
  FinishConversationInput,
  ReplaceArchiveInput,
  isCaptureStoreError,
  storedSipIdentifier,
} from '@mvr/plugin-voice-recording-node';
import { Knex } from 'knex';
import { toIso } from './util';
import {
  nextParticipantHistory,
  startParticipantHistory,
} from './participantHistory';

/** A conversation to create, its participants already normalised. */
export interface ConversationBeginRecord
  extends Omit<BeginConversationInput, 'participants' | 'instanceId'> {
  participants: ConversationParticipant[];
  captureSource: string;
  captureInstance?: string;
}

export interface ConversationUpdateRecord
  extends Omit<ConversationPatch, 'participants'> {
  participants?: ConversationParticipant[];
}

export interface RefusedSessionRecord {
  /** stable id (a UUID) that makes a retry safe; generated when absent */
  id?: string;
  at: Date;
  participants: ConversationParticipant[];
  recordedNumber?: { id: string; number: string; userRef: string };
  reason: RefusalReason;
  message?: string;
  sipCallId: string;
  siprecSessionId?: string;
  responseCode: number;
  captureSource: string;
  captureInstance?: string;
}

/**
 * Storage of recorded conversations and refused sessions.
 *
 * Every method throws CaptureStoreError (from @mvr/plugin-voice-recording-node):
 * `unavailable` (retryable) when the database cannot be reached or is busy,
 * `not-found`, `conflict`, `invalid` or `failed` otherwise.
 */
export interface ConversationsStore {
  /** Idempotent on `input.id`: `created` is false when that conversation already existed. */
  begin(
    input: ConversationBeginRecord,
  ): Promise<{ conversation: Conversation; created: boolean }>;
  get(id: string): Promise<Conversation | undefined>;
  /** Only while the conversation is `recording`. */
  update(id: string, patch: ConversationUpdateRecord): Promise<Conversation>;
  /**
   * Idempotent: a conversation that is no longer `recording` is returned unchanged with
   * `finished: false` (the first finish wins: finalized audio is immutable).
   */
  finish(
    id: string,
    input: FinishConversationInput,
  ): Promise<{ conversation: Conversation; finished: boolean }>;
  /** Idempotent on `input.id`: `created` is false when that record already existed. */
  recordRefused(
    input: RefusedSessionRecord,
  ): Promise<{ refused: RefusedSession; created: boolean }>;
  /**
   * In one transaction: deletes the conversation `id` (and its labels) while it is
   * `recording` with no archive, and keeps `refusal` (under its id when given: an
   * existing record is kept as it is). `withdrawn` false when the conversation was
   * already gone; throws CaptureStoreError `conflict` when it is finished, failed or
   * has an archive (nothing changed then).
   */
  withdrawRefused(
    id: string,
    refusal: RefusedSessionRecord,
  ): Promise<{
    withdrawn?: Conversation;
    refused: RefusedSession;
    created: boolean;
  }>;
  /** `recording` conversations of the number, but those in `excluding` (ended calls not registered yet). */
  activeCount(
    recordedNumberId: string,
    options?: { excluding?: string[] },
  ): Promise<number>;
  listInProgress(options: {
    captureSource: string;
    captureInstance?: string;
  }): Promise<Conversation[]>;
  /** Finished conversations whose archive awaits compression or whose replaced archive awaits deletion. */
  listArchivesToCompress(options: {
    captureSource: string;
    captureInstance?: string;
    limit: number;
  }): Promise<ArchiveToCompress[]>;
  /** One conversation's archive awaiting compression or deletion (compress jobs). */
  archiveToCompress(
    id: string,
  ): Promise<
    | (ArchiveToCompress & { captureSource: string; storageLocation?: string })
    | undefined
  >;
  /** Conversations whose archive `storageKey` awaits compression (its upload is done: enqueue it). */
  awaitingCompression(storageKey: string): Promise<string[]>;
  /** Conversations awaiting compression in the shared store with no compress job (recovery scan). */
  listCompressionsWithoutJob(options: {
    limit: number;
  }): Promise<Array<{ conversationId: string; captureSource: string }>>;
  /**
   * Compare-and-set: only while the row stores `input.expected` and awaits compression.
   * Returns the conversation's number and the archive it replaced, undefined when
   * stale (nothing changed).
   */
  replaceArchive(
    id: string,
    input: ReplaceArchiveInput,
  ): Promise<
    | {
        number: string;
        replaced: { storageKey: string; sha256: string; format?: string; bytes?: number };
        /** the conversation as the replacement left it (its new archive) */
        conversation: Conversation;
      }
    | undefined
  >;
  forgetSupersededArchive(id: string, storageKey: string): Promise<void>;
  /**
   * Sets `storage_location` of the conversations whose archive is `storageKey` (only
   * where it is `expected` now, when given); returns how many changed.
   */
  setArchiveLocation(
    storageKey: string,
    location: string | null,
    options?: { expected?: string },
  ): Promise<number>;
}

const C = 'vr_conversations';
/** `staged:<instance>` (issue 20): at most the column's 300 characters */
const STORAGE_LOCATION = /^staged:[^\s]{1,290}$/;

function storageLocationColumn(op: string, location: string | null | undefined): string | null {
  if (location === undefined || location === null) return null;
  if (!STORAGE_LOCATION.test(location)) {
    throw new CaptureStoreError(
      'invalid',
      op,
      `storage location ${JSON.stringify(location.slice(0, 100))} is not staged:<instance> (at most 290 characters, no spaces)`,
    );
  }
  return location;
}
/** the columns replaceArchive checks and audits */
const REPLACE_CHECK_COLUMNS = [
  'state',
  'compress_to',
  'storage_key',
  'sha256',
  'format',
  'bytes',
  'number',
] as const;

/** The digits of a number or address (phone search column), null when none. */
export function digitsOnly(value: string | null | undefined): string | null {
  const d = value ? value.replace(/\D/g, '') : '';
  return d ? d : null;
}
const R = 'vr_refused_sessions';

/** Error codes of node's net module and of SQLite that mean "try again later". */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  // PostgreSQL: serialization failure, deadlock, disk full, out of memory,
  // too many connections, admin/crash shutdown, cannot connect now
  '40001',
  '40P01',
  '53100',
  '53200',
  '53300',
  '57P01',
  '57P02',
  '57P03',
]);

/** SQLite (extended codes too, e.g. SQLITE_IOERR_WRITE): busy, locked, disk, read-only file. */
const UNAVAILABLE_SQLITE = /^SQLITE_(?:BUSY|LOCKED|IOERR|FULL|CANTOPEN|READONLY)(?:_|$)/;

// "cannot rollback - no transaction is active": SQLite already rolled the transaction
// back itself, which it does on a full disk, an I/O error or a busy database; knex's
// ROLLBACK then fails and hides the original error.
const UNAVAILABLE_MESSAGES =
  /cannot rollback - no transaction is active|unable to acquire a connection|timeout acquiring a connection|connection terminated|timeout exceeded when trying to connect|connection (?:is )?closed|terminating connection|client has encountered a connection error|database is locked|the database system is (?:starting up|shutting down)|is not currently accepting connections/i;

function codesOf(error: unknown): string[] {
  const e = error as { code?: unknown; errors?: unknown[]; cause?: unknown };
  const codes: string[] = [];
  if (e && typeof e.code === 'string') codes.push(e.code);
  if (e && Array.isArray(e.errors)) codes.push(...e.errors.flatMap(codesOf));
  return codes;
}

/**
 * Turns any error of a store operation into a CaptureStoreError, telling an outage
 * (retryable) from the rest.
 */
export function toCaptureStoreError(
  operation: string,
  error: unknown,
): CaptureStoreError {
  if (isCaptureStoreError(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  const codes = codesOf(error);
  const name = (error as Error)?.name;
  if (
    name === 'KnexTimeoutError' ||
    codes.some(
      c => UNAVAILABLE_CODES.has(c) || /^08/.test(c) || UNAVAILABLE_SQLITE.test(c),
    ) ||
    UNAVAILABLE_MESSAGES.test(message)
  ) {
    return new CaptureStoreError(
      'unavailable',
      operation,
      `database unavailable: ${message || codes.join(', ')}`,
      error,
    );
  }
  if (
    codes.some(
      c => c === '23505' || /^SQLITE_CONSTRAINT_(UNIQUE|PRIMARYKEY)/.test(c),
    )
  ) {
    return new CaptureStoreError('conflict', operation, message, error);
  }
  if (codes.some(c => /^(22|23)/.test(c) || /^SQLITE_CONSTRAINT/.test(c))) {
    return new CaptureStoreError('invalid', operation, message, error);
  }
  return new CaptureStoreError('failed', operation, message, error);
}

/** `other_party` is a varchar(255): a longer name is cut (the participants keep it whole). */
const OTHER_PARTY_MAX = 255;

/**
 * Text from the network for a text column: NUL (which PostgreSQL text cannot hold)
 * becomes U+FFFD, and the value is cut to `maxLength` characters when given, so that
 * no SIP peer can make an insert fail for good (the recorder would refuse the call).
 */
function storedText(value: string | undefined | null, maxLength?: number): string | null {
  if (value === undefined || value === null) return null;
  const clean = value.includes('\u0000')
    ? value.split('\u0000').join('\ufffd')
    : value;
  return maxLength !== undefined && clean.length > maxLength ? clean.slice(0, maxLength) : clean;
}

/** A SIP identifier (Call-ID, SIPREC session id) as stored: see storedSipIdentifier. */
function storedSipId(value: string | undefined | null): string | null {
  return value === undefined || value === null ? null : storedSipIdentifier(value);
}

async function guarded<T>(operation: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw toCaptureStoreError(operation, e);
  }
}

function parseJson<T>(value: unknown, fallback: T): T {
  if (value === null || value === undefined || value === '') return fallback;
  if (typeof value !== 'string') return value as T;
  try {
    return JSON.parse(value) as T;
  } catch {
    return fallback;
  }
}

const optionalNumber = (v: unknown) =>
  v === null || v === undefined ? undefined : Number(v);
const optionalString = (v: unknown) =>
  v === null || v === undefined ? undefined : String(v);

/** the columns of an ArchiveToCompress */
const ARCHIVE_TO_COMPRESS_COLUMNS = [
  'id',
  'started_at',
  'storage_key',
  'sha256',
  'format',
  'duration_ms',
  'compress_to',
  'superseded_storage_key',
  'sip_call_id',
  'ended_by',
] as const;
type ArchiveToCompressRow = Pick<
  ConversationRow,
  (typeof ARCHIVE_TO_COMPRESS_COLUMNS)[number]
>;

function archiveToCompressFromRow(row: ArchiveToCompressRow): ArchiveToCompress {
  const item: ArchiveToCompress = {
    conversationId: row.id,
    startedAt: toIso(row.started_at),
    storageKey: row.storage_key ?? '',
    sha256: row.sha256 ?? '',
    format: row.format ?? '',
  };
  const duration = optionalNumber(row.duration_ms);
  if (duration !== undefined) item.durationMs = duration;
  if (row.compress_to === 'opus') item.compressTo = 'opus';
  if (row.superseded_storage_key)
    item.supersededStorageKey = row.superseded_storage_key;
  if (item.compressTo) {
    // for the compressed file's tags
    item.sipCallId = row.sip_call_id;
    const endedBy = optionalString(row.ended_by);
    if (endedBy) item.endedBy = endedBy as ConversationEndReason;
  }
  return item;
}

export interface ConversationRow {
  id: string;
  recorded_number_id: string | null;
  number: string;
  user_ref: string;
  direction: string | null;
  other_party: string | null;
  started_at: unknown;
  ended_at: unknown;
  duration_ms: unknown;
  codec: string | null;
  sip_call_id: string;
  siprec_session_id: string | null;
  participants: unknown;
  metadata: unknown;
  dtmf: unknown;
  quality: unknown;
  state: string;
  ended_by: string | null;
  failure_reason: string | null;
  storage_key: string | null;
  sha256: string | null;
  bytes: unknown;
  format: string | null;
  capture_source: string;
  capture_instance: string | null;
  compress_to?: string | null;
  superseded_storage_key?: string | null;
  storage_location?: string | null;
  participant_history?: unknown;
  recording_stopped?: unknown;
  audio_issues?: string | null;
  quality_verdict?: string | null;
  quality_check?: unknown;
  retention_until?: unknown;
  retention_policy_id?: string | null;
  created_at: unknown;
  updated_at: unknown;
}

export function conversationFromRow(row: ConversationRow): Conversation {
  const quality = parseJson<Conversation['quality']>(row.quality, undefined);
  const c: Conversation = {
    id: row.id,
    recordedNumberId: optionalString(row.recorded_number_id),
    number: row.number,
    userRef: row.user_ref,
    direction: optionalString(row.direction) as
      | ConversationDirection
      | undefined,
    otherParty: optionalString(row.other_party),
    startedAt: toIso(row.started_at),
    endedAt:
      row.ended_at === null || row.ended_at === undefined
        ? undefined
        : toIso(row.ended_at),
    durationMs: optionalNumber(row.duration_ms),
    codec: optionalString(row.codec),
    sipCallId: row.sip_call_id,
    siprecSessionId: optionalString(row.siprec_session_id),
    participants: parseJson(row.participants, []),
    participantHistory: parseJson(row.participant_history, undefined),
    recordingStopped: parseJson(row.recording_stopped, undefined),
    metadata: parseJson(row.metadata, {}),
    dtmf: parseJson(row.dtmf, []),
    quality,
    state: row.state as ConversationState,
    audioIssues: audioIssuesFromColumn(row.audio_issues),
    qualityCheck: qualityCheckFromColumns(row.quality_verdict, row.quality_check),
    endedBy: optionalString(row.ended_by) as ConversationEndReason | undefined,
    failureReason: optionalString(row.failure_reason),
    storageKey: optionalString(row.storage_key),
    sha256: optionalString(row.sha256),
    bytes: optionalNumber(row.bytes),
    format: optionalString(row.format),
    compressTo: row.compress_to === 'opus' ? 'opus' : undefined,
    captureSource: row.capture_source,
    captureInstance: optionalString(row.capture_instance),
    storageLocation: optionalString(row.storage_location),
    retentionUntil:
      row.retention_until === null || row.retention_until === undefined
        ? undefined
        : toIso(row.retention_until),
    retentionPolicyId: optionalString(row.retention_policy_id),
    createdAt: toIso(row.created_at),
    updatedAt: toIso(row.updated_at),
  };
  // leave absent fields out rather than carrying `undefined`
  for (const k of Object.keys(c) as (keyof Conversation)[]) {
    if (c[k] === undefined) delete c[k];
  }
  return c;
}

/** Codes an `audio_issues` column may hold: kebab-case words (a newer recorder may add codes). */
const AUDIO_ISSUE_CODE = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;

export function isAudioIssueCode(code: unknown): code is string {
  return typeof code === 'string' && code.length <= 40 && AUDIO_ISSUE_CODE.test(code);
}

/** The `audio_issues` column of a finish: a JSON array of codes, null when none. */
export function audioIssuesColumn(
  operation: string,
  issues: readonly string[] | undefined,
): string | null {
  if (!issues?.length) return null;
  const codes = [...new Set(issues)].sort();
  for (const code of codes) {
    if (!isAudioIssueCode(code)) {
      throw new CaptureStoreError(
        'invalid',
        operation,
        `audio issue ${JSON.stringify(code)} is not a code (kebab-case, at most 40 characters)`,
      );
    }
  }
  const json = JSON.stringify(codes);
  if (json.length > 255) {
    throw new CaptureStoreError('invalid', operation, `audio issues ${json} exceed 255 characters`);
  }
  return json;
}

/** A quality check's JSON may not exceed this (its reasons are a handful of sentences). */
const QUALITY_CHECK_MAX_CHARS = 16_384;

export function isQualityVerdict(v: unknown): v is QualityVerdict {
  return (QUALITY_VERDICTS as readonly unknown[]).includes(v);
}

/** The `quality_verdict` and `quality_check` columns of a finish (both null without a check). */
export function qualityCheckColumns(
  operation: string,
  check: ConversationQualityCheck | undefined,
): { quality_verdict: string | null; quality_check: string | null } {
  if (!check) return { quality_verdict: null, quality_check: null };
  if (!isQualityVerdict(check.verdict)) {
    throw new CaptureStoreError(
      'invalid',
      operation,
      `quality check verdict ${JSON.stringify(check.verdict)} is not one of ${QUALITY_VERDICTS.join(', ')}`,
    );
  }
  if (!Array.isArray(check.reasons)) {
    throw new CaptureStoreError('invalid', operation, 'quality check reasons must be an array');
  }
  for (const r of check.reasons) {
    if (!isAudioIssueCode(r?.code) || (r.severity !== 'warning' && r.severity !== 'failed') || typeof r.text !== 'string') {
      throw new CaptureStoreError(
        'invalid',
        operation,
        `quality check reason ${JSON.stringify(r)} needs a code (kebab-case), a severity (warning, failed) and a text`,
      );
    }
  }
  const json = JSON.stringify(check);
  if (json.length > QUALITY_CHECK_MAX_CHARS) {
    throw new CaptureStoreError('invalid', operation, `quality check exceeds ${QUALITY_CHECK_MAX_CHARS} characters`);
  }
  return { quality_verdict: check.verdict, quality_check: json };
}

function qualityCheckFromColumns(verdict: unknown, json: unknown): ConversationQualityCheck | undefined {
  if (!isQualityVerdict(verdict)) return undefined;
  const check = parseJson<ConversationQualityCheck | undefined>(json, undefined);
  // the indexed column is the verdict the search filters on: it wins
  return check && typeof check === 'object'
    ? { ...check, verdict, reasons: Array.isArray(check.reasons) ? check.reasons : [], channels: Array.isArray(check.channels) ? check.channels : [] }
    : { verdict, reasons: [], channels: [], checkedAt: '' };
}

function audioIssuesFromColumn(value: unknown): ConversationAudioIssue[] | undefined {
  const codes = parseJson<unknown>(value, undefined);
  if (!Array.isArray(codes)) return undefined;
  const valid = codes.filter(
    (c): c is ConversationAudioIssue => isAudioIssueCode(c),
  );
  return valid.length ? valid : undefined;
}

function refusedFromRow(row: any): RefusedSession {
  const r: RefusedSession = {
    id: row.id,
    at: toIso(row.at),
    participants: parseJson(row.participants, []),
    recordedNumberId: optionalString(row.recorded_number_id),
    number: optionalString(row.number),
    userRef: optionalString(row.user_ref),
    reason: row.reason,
    message: optionalString(row.message),
    sipCallId: row.sip_call_id,
    siprecSessionId: optionalString(row.siprec_session_id),
    responseCode: Number(row.response_code),
    captureSource: row.capture_source,
    captureInstance: optionalString(row.capture_instance),
  };
  for (const k of Object.keys(r) as (keyof RefusedSession)[]) {
    if (r[k] === undefined) delete r[k];
  }
  return r;
}

function assertUuid(operation: string, id: string, what = 'conversation') {
  if (
    !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)
  ) {
    throw new CaptureStoreError(
      'invalid',
      operation,
      `${what} id "${id}" is not a UUID`,
    );
  }
}

/**
 * A compressed archive must be described completely, and under a key of its own: the
 * replaced key becomes `superseded_storage_key`, whose file the recorder then deletes.
 */
function assertReplacement(operation: string, input: ReplaceArchiveInput) {
  const invalid = (message: string) =>
    new CaptureStoreError('invalid', operation, message);
  if (!input.storageKey) throw invalid('storage key is empty');
  if (input.storageKey === input.expected.storageKey) {
    throw invalid(
      `storage key "${input.storageKey}" must differ from the replaced archive's`,
    );
  }
  if (!/^[0-9a-f]{64}$/i.test(input.sha256 ?? '')) {
    throw invalid(`sha256 "${input.sha256}" is not 64 hexadecimal digits`);
  }
  if (!Number.isSafeInteger(input.bytes) || input.bytes < 0) {
    throw invalid(`bytes ${input.bytes} is not a non-negative integer`);
  }
  if (!input.format) throw invalid('format is empty');
}

export class KnexConversationsStore implements ConversationsStore {
  constructor(private readonly db: Knex) {}

  private async row(
    id: string,
    db: Knex | Knex.Transaction = this.db,
  ): Promise<ConversationRow | undefined> {
    return db(C).where('id', id).first();
  }

  begin(input: ConversationBeginRecord) {
    const op = 'conversations.begin';
    return guarded(op, async () => {
      const id = input.id ?? randomUUID();
      assertUuid(op, id);
      // One statement (the recorder's call set-up waits for it): the number's id
      // only when the number still exists (it may have been deleted since the
      // decision: the call is kept anyway). The row is durable when this resolves. A
      // retried begin with the same id hits the primary key and returns the existing
      // row instead.
      const now = new Date();
      let row: ConversationRow;
      try {
        const values = {
          id,
          number: input.recordedNumber.number,
          number_digits: digitsOnly(input.recordedNumber.number),
          other_party_digits: digitsOnly(input.otherParty),
          user_ref: input.recordedNumber.userRef.toLowerCase(),
          direction: input.direction ?? null,
          other_party: storedText(input.otherParty, OTHER_PARTY_MAX),
          started_at: input.startedAt,
          codec: input.codec ?? null,
          sip_call_id: storedSipIdentifier(input.sipCallId),
          siprec_session_id: storedSipId(input.siprecSessionId),
          participants: JSON.stringify(input.participants),
          participant_history: JSON.stringify(
            startParticipantHistory(input.participants, input.startedAt),
          ),
          metadata: JSON.stringify(input.metadata ?? {}),
          dtmf: '[]',
          state: 'recording',
          capture_source: input.captureSource,
          capture_instance: input.captureInstance ?? null,
          created_at: now,
          updated_at: now,
        };
        const numberId = this.db('vr_numbers')
          .where('id', input.recordedNumber.id)
          .select('id');
        const inserted: Array<{ recorded_number_id: string | null }> =
          await this.db(C)
            .insert({ ...values, recorded_number_id: numberId })
            .returning(['recorded_number_id']);
        const { number_digits, other_party_digits, ...rest } = values;
        row = {
          ...rest,
          recorded_number_id: inserted[0]?.recorded_number_id ?? null,
          ended_at: null,
          duration_ms: null,
          quality: null,
          ended_by: null,
          failure_reason: null,
          storage_key: null,
          sha256: null,
          bytes: null,
          format: null,
        };
      } catch (e) {
        const existing = await this.row(id).catch(() => undefined);
        if (!existing) throw e;
        if (existing.sip_call_id !== storedSipIdentifier(input.sipCallId)) {
          throw new CaptureStoreError(
            'conflict',
            op,
            `conversation ${id} already exists for SIP call ${existing.sip_call_id}`,
          );
        }
        return { conversation: conversationFromRow(existing), created: false };
      }
      return { conversation: conversationFromRow(row), created: true };
    });
  }

  get(id: string) {
    return guarded('conversations.get', async () => {
      const row = await this.row(id);
      return row ? conversationFromRow(row) : undefined;
    });
  }

  private async notRecording(op: string, id: string): Promise<never> {
    const row = await this.row(id);
    if (!row) {
      throw new CaptureStoreError(
        'not-found',
        op,
        `conversation ${id} not found`,
      );
    }
    throw new CaptureStoreError(
      'conflict',
      op,
      `conversation ${id} is ${row.state}, no longer recording`,
    );
  }

  update(id: string, patch: ConversationUpdateRecord) {
    const op = 'conversations.update';
    return guarded(op, async () => {
      const columns: Record<string, unknown> = { updated_at: new Date() };
      if (patch.direction !== undefined) columns.direction = patch.direction;
      if (patch.otherParty !== undefined) {
        columns.other_party = storedText(patch.otherParty, OTHER_PARTY_MAX);
        columns.other_party_digits = digitsOnly(patch.otherParty);
      }
      if (patch.codec !== undefined) columns.codec = patch.codec;
      if (patch.siprecSessionId !== undefined)
        columns.siprec_session_id = storedSipId(patch.siprecSessionId);
      if (patch.metadata !== undefined)
        columns.metadata = JSON.stringify(patch.metadata);
      if (patch.dtmf !== undefined) columns.dtmf = JSON.stringify(patch.dtmf);
      if (patch.quality !== undefined)
        columns.quality = JSON.stringify(patch.quality);
      const participants = patch.participants;
      if (participants === undefined) {
        const count = await this.db(C)
          .where({ id, state: 'recording' })
          .update(columns);
        if (!count) return this.notRecording(op, id);
        return conversationFromRow((await this.row(id))!);
      }
      // a new participant set: its history moves on in the same transaction
      const updated = await this.db.transaction(async trx => {
        const current: Pick<ConversationRow, 'participant_history' | 'started_at'> | undefined =
          await trx(C)
            .where({ id, state: 'recording' })
            .first('participant_history', 'started_at')
            .modify(qb => {
              if (trx.client.config.client === 'pg') qb.forUpdate();
            });
        if (!current) return false;
        const history = parseJson<ConversationParticipantPeriod[] | undefined>(
          current.participant_history,
          undefined,
        );
        const at = patch.participantsChangedAt ?? new Date();
        await trx(C)
          .where({ id, state: 'recording' })
          .update({
            ...columns,
            participants: JSON.stringify(participants),
            participant_history: JSON.stringify(
              history
                ? nextParticipantHistory(history, participants, at)
                : startParticipantHistory(participants, at),
            ),
          });
        return true;
      });
      if (!updated) return this.notRecording(op, id);
      return conversationFromRow((await this.row(id))!);
    });
  }

  finish(id: string, input: FinishConversationInput) {
    const op = 'conversations.finish';
    return guarded(op, async () => {
      const audioIssues = audioIssuesColumn(op, input.audioIssues);
      const quality = qualityCheckColumns(op, input.qualityCheck);
      const storageLocation = storageLocationColumn(op, input.storageLocation);
      // the row is read first only when the duration comes from its start; otherwise one
      // UPDATE ... RETURNING is the whole finish (the recorder's registration path)
      let durationMs = input.durationMs;
      if (durationMs === undefined) {
        const row = await this.row(id);
        if (!row) throw this.notFound(op, id);
        if (row.state !== 'recording') {
          return { conversation: conversationFromRow(row), finished: false };
        }
        const startedAt = new Date(toIso(row.started_at)).getTime();
        durationMs = Math.max(0, input.endedAt.getTime() - startedAt);
      }
      const failed = input.endedBy === 'error' || !input.storageKey;
      const columns: Record<string, unknown> = {
        state: failed ? 'failed' : 'finished',
        ended_at: input.endedAt,
        ended_by: input.endedBy,
        duration_ms: Math.round(durationMs),
        storage_key: input.storageKey ?? null,
        sha256: input.sha256?.toLowerCase() ?? null,
        bytes: input.bytes ?? null,
        format: input.format ?? null,
        failure_reason:
          input.failureReason ??
          (failed && !input.storageKey ? 'no audio was stored' : null),
        // only a stored archive can be compressed
        compress_to: !failed && input.compressTo ? input.compressTo : null,
        storage_location: input.storageKey ? storageLocation : null,
        updated_at: new Date(),
      };
      if (input.quality !== undefined)
        columns.quality = JSON.stringify(input.quality);
      if (input.dtmf !== undefined) columns.dtmf = JSON.stringify(input.dtmf);
      if (input.recordingStopped) {
        const { at, reason, message } = input.recordingStopped;
        columns.recording_stopped = JSON.stringify({ at, reason, message });
      }
      columns.audio_issues = audioIssues;
      Object.assign(columns, quality);
      const updated: ConversationRow[] = await this.db(C)
        .where({ id, state: 'recording' })
        .update(columns)
        .returning('*');
      if (updated.length) {
        return { conversation: conversationFromRow(updated[0]), finished: true };
      }
      // zero rows: no such conversation, or a concurrent finish won (return what it wrote)
      const row = await this.row(id);
      if (!row) throw this.notFound(op, id);
      return { conversation: conversationFromRow(row), finished: false };
    });
  }

  private notFound(op: string, id: string): CaptureStoreError {
    return new CaptureStoreError('not-found', op, `conversation ${id} not found`);
  }

  /** The refused session's row (its number's id only when the number still exists). */
  private async insertRefused(
    trx: Knex.Transaction,
    id: string,
    input: RefusedSessionRecord,
  ): Promise<boolean> {
    // a retry of a record that was kept (the caller crashed or timed out after the commit)
    if (input.id && (await trx(R).where('id', id).first('id'))) return false;
    const row = {
      id,
      at: input.at,
      recorded_number_id: null as string | null,
      number: input.recordedNumber?.number ?? null,
      user_ref: input.recordedNumber?.userRef.toLowerCase() ?? null,
      participants: JSON.stringify(input.participants),
      reason: input.reason,
      message: storedText(input.message),
      sip_call_id: storedSipIdentifier(input.sipCallId),
      siprec_session_id: storedSipId(input.siprecSessionId),
      response_code: input.responseCode,
      capture_source: input.captureSource,
      capture_instance: input.captureInstance ?? null,
    };
    if (input.recordedNumber) {
      const n = await trx('vr_numbers')
        .where('id', input.recordedNumber.id)
        .first('id');
      if (n) row.recorded_number_id = input.recordedNumber.id;
    }
    // the same record written at the same time by another caller (a refusal and the
    // withdrawal of its conversation): the first one is kept
    const inserted = await trx(R)
      .insert(row)
      .onConflict('id')
      .ignore()
      .returning('id');
    return inserted.length > 0;
  }

  recordRefused(input: RefusedSessionRecord) {
    const op = 'conversations.recordRefused';
    return guarded(op, async () => {
      const id = input.id ?? randomUUID();
      assertUuid(op, id, 'refused-session');
      const created = await this.db.transaction(trx =>
        this.insertRefused(trx, id, input),
      );
      return {
        refused: refusedFromRow(await this.db(R).where('id', id).first()),
        created,
      };
    });
  }

  withdrawRefused(id: string, refusal: RefusedSessionRecord) {
    const op = 'conversations.withdrawRefused';
    return guarded(op, async () => {
      assertUuid(op, id);
      const refusedId = refusal.id ?? randomUUID();
      assertUuid(op, refusedId, 'refused-session');
      const notWithdrawable = (why: string) =>
        new CaptureStoreError(
          'conflict',
          op,
          `conversation ${id} cannot be withdrawn: ${why}`,
        );
      const { withdrawn, created } = await this.db.transaction(async trx => {
        const row = await this.row(id, trx);
        if (row) {
          if (row.state !== 'recording')
            throw notWithdrawable(`it is ${row.state}`);
          if (row.storage_key)
            throw notWithdrawable('its archive is registered');
          // work on its audio (an upload, a compression) means it has audio
          if (
            await trx('vr_archive_jobs')
              .where('conversation_id', id)
              .first('id')
          )
            throw notWithdrawable('archive jobs name it');
          // labels go with the conversation (explicitly: SQLite may not enforce the cascade)
          await trx('vr_conversation_labels')
            .where('conversation_id', id)
            .delete();
          // still recording with no archive now (a concurrent finish may have won)
          const deleted = await trx(C)
            .where({ id, state: 'recording' })
            .whereNull('storage_key')
            .delete();
          if (deleted === 0) throw notWithdrawable('it was finished meanwhile');
        }
        return {
          withdrawn: row,
          created: await this.insertRefused(trx, refusedId, {
            ...refusal,
            id: refusedId,
          }),
        };
      });
      return {
        ...(withdrawn ? { withdrawn: conversationFromRow(withdrawn) } : {}),
        refused: refusedFromRow(
          await this.db(R).where('id', refusedId).first(),
        ),
        created,
      };
    });
  }

  activeCount(recordedNumberId: string, options: { excluding?: string[] } = {}) {
    return guarded('conversations.activeCount', async () => {
      const qb = this.db(C).where({
        recorded_number_id: recordedNumberId,
        state: 'recording',
      });
      const excluding = options.excluding ?? [];
      if (excluding.length) qb.whereNotIn('id', excluding);
      const [{ count }] = await qb.count({ count: '*' });
      return Number(count);
    });
  }

  listInProgress(options: { captureSource: string; captureInstance?: string }) {
    return guarded('conversations.listInProgress', async () => {
      const qb = this.db(C).where({
        state: 'recording',
        capture_source: options.captureSource,
      });
      if (options.captureInstance !== undefined)
        qb.where('capture_instance', options.captureInstance);
      const rows: ConversationRow[] = await qb.orderBy('started_at');
      return rows.map(conversationFromRow);
    });
  }

  listArchivesToCompress(options: {
    captureSource: string;
    captureInstance?: string;
    limit: number;
  }) {
    const op = 'conversations.listArchivesToCompress';
    return guarded(op, async () => {
      if (!Number.isSafeInteger(options.limit) || options.limit < 1) {
        throw new CaptureStoreError(
          'invalid',
          op,
          `limit ${options.limit} is not a positive integer`,
        );
      }
      const qb = this.db(C)
        .where('capture_source', options.captureSource)
        .where(q =>
          q.whereNotNull('compress_to').orWhereNotNull('superseded_storage_key'),
        );
      if (options.captureInstance !== undefined)
        qb.where('capture_instance', options.captureInstance);
      const rows: ConversationRow[] = await qb
        .select(...ARCHIVE_TO_COMPRESS_COLUMNS)
        .orderBy([
          { column: 'started_at', order: 'asc' },
          { column: 'id', order: 'asc' },
        ])
        .limit(options.limit);
      return rows.map(archiveToCompressFromRow);
    });
  }

  /**
   * The conversation's archive awaiting compression (or its replaced archive awaiting
   * deletion), with its capture source and where it is (`storageLocation`: still staged
   * on a recorder's disk); undefined when there is nothing of the kind (compress jobs).
   */
  archiveToCompress(id: string) {
    const op = 'conversations.archiveToCompress';
    return guarded(op, async () => {
      const row:
        | (ArchiveToCompressRow & {
            capture_source: string;
            storage_location?: string | null;
          })
        | undefined = await this.db(C)
        .where({ id, state: 'finished' })
        .where(q =>
          q.whereNotNull('compress_to').orWhereNotNull('superseded_storage_key'),
        )
        .first(...ARCHIVE_TO_COMPRESS_COLUMNS, 'capture_source', 'storage_location');
      if (!row) return undefined;
      return {
        ...archiveToCompressFromRow(row),
        captureSource: row.capture_source,
        ...(row.storage_location
          ? { storageLocation: row.storage_location }
          : {}),
      };
    });
  }

  awaitingCompression(storageKey: string) {
    return guarded('conversations.awaitingCompression', async () => {
      const rows: Array<{ id: string }> = await this.db(C)
        .where({ storage_key: storageKey, state: 'finished' })
        .whereNotNull('compress_to')
        .whereNull('storage_location')
        .select('id');
      return rows.map(r => r.id);
    });
  }

  /**
   * Conversations awaiting compression (or the deletion of a replaced archive) in the
   * shared store with no `compress` job queued, running or dead: those registered before
   * the queue existed, or whose enqueue failed (the database went away right after the
   * registration). Oldest first.
   */
  listCompressionsWithoutJob(options: { limit: number }) {
    const op = 'conversations.listCompressionsWithoutJob';
    return guarded(op, async () => {
      if (!Number.isSafeInteger(options.limit) || options.limit < 1) {
        throw new CaptureStoreError(
          'invalid',
          op,
          `limit ${options.limit} is not a positive integer`,
        );
      }
      const rows: Array<{ id: string; capture_source: string }> = await this.db(
        `${C} as c`,
      )
        .where('c.state', 'finished')
        .whereNull('c.storage_location')
        .where(q =>
          q
            .whereNotNull('c.compress_to')
            .orWhereNotNull('c.superseded_storage_key'),
        )
        .whereNotExists(q =>
          q
            .select(this.db.raw('1'))
            .from('vr_archive_jobs as j')
            .where('j.kind', 'compress')
            .whereRaw('j.subject = c.id')
            .whereIn('j.state', ['queued', 'running', 'dead']),
        )
        .select('c.id', 'c.capture_source')
        .orderBy([
          { column: 'c.started_at', order: 'asc' },
          { column: 'c.id', order: 'asc' },
        ])
        .limit(options.limit);
      return rows.map(r => ({ conversationId: r.id, captureSource: r.capture_source }));
    });
  }

  replaceArchive(id: string, input: ReplaceArchiveInput) {
    const op = 'conversations.replaceArchive';
    return guarded(op, async () => {
      assertReplacement(op, input);
      return this.db.transaction(async tx => {
        // only what the checks and the audit need (no full row: this runs once per
        // compressed call, on the recorder's event loop)
        const row:
          | Pick<ConversationRow, (typeof REPLACE_CHECK_COLUMNS)[number]>
          | undefined = await tx(C)
          .where({ id })
          .first(...REPLACE_CHECK_COLUMNS);
        if (
          !row ||
          row.state !== 'finished' ||
          !row.compress_to ||
          row.storage_key !== input.expected.storageKey ||
          row.sha256 !== input.expected.sha256.toLowerCase()
        ) {
          return undefined;
        }
        // the row as replaced comes back with the UPDATE (the archive's signature needs it)
        const replacedRows: ConversationRow[] = await tx(C)
          .where({
            id,
            storage_key: input.expected.storageKey,
            sha256: input.expected.sha256.toLowerCase(),
          })
          .whereNotNull('compress_to')
          .update({
            storage_key: input.storageKey,
            sha256: input.sha256.toLowerCase(),
            bytes: input.bytes,
            format: input.format,
            compress_to: null,
            superseded_storage_key: row.storage_key,
            ...(input.storageLocation !== undefined
              ? { storage_location: storageLocationColumn(op, input.storageLocation) }
              : {}),
            updated_at: new Date(),
          })
          .returning('*');
        if (!replacedRows.length) return undefined;
        return {
          conversation: conversationFromRow(replacedRows[0]),
          number: row.number,
          replaced: {
            storageKey: row.storage_key!,
            sha256: row.sha256!,
            ...(row.format ? { format: row.format } : {}),
            ...(optionalNumber(row.bytes) !== undefined
              ? { bytes: optionalNumber(row.bytes) }
              : {}),
          },
        };
      });
    });
  }

  forgetSupersededArchive(id: string, storageKey: string) {
    return guarded('conversations.forgetSupersededArchive', async () => {
      await this.db(C)
        .where({ id, superseded_storage_key: storageKey })
        .update({ superseded_storage_key: null });
    });
  }

  setArchiveLocation(
    storageKey: string,
    location: string | null,
    options: { expected?: string } = {},
  ) {
    const op = 'conversations.setArchiveLocation';
    return guarded(op, async () => {
      if (typeof storageKey !== 'string' || !storageKey) {
        throw new CaptureStoreError('invalid', op, 'storage key is empty');
      }
      const column = storageLocationColumn(op, location);
      const qb = this.db(C).where({ storage_key: storageKey });
      if (options.expected !== undefined)
        qb.where({ storage_location: options.expected });
      return qb.update({ storage_location: column, updated_at: new Date() });
    });
  }

  /** Refused sessions, newest first (for tests and, later, proof-of-recording views). */
  listRefused(options: { number?: string; limit?: number } = {}) {
    return guarded('conversations.listRefused', async () => {
      const qb = this.db(R);
      if (options.number) qb.where('number', options.number);
      const rows = await qb
        .orderBy([
          { column: 'at', order: 'desc' },
          { column: 'id', order: 'desc' },
        ])
        .limit(options.limit ?? 100);
      return rows.map(refusedFromRow);
    });
  }
}
