import { LoggerService } from '@backstage/backend-plugin-api';
import {
  BlobNotFoundError,
  S3BlobStore,
} from '@mvr/plugin-voice-recording-node';
import { Knex } from 'knex';
import { HELD_SQL } from '../../database/RetentionStore';
import { toIso } from '../../database/util';
import { AuditRecorder } from '../AuditRecorder';

const C = 'vr_conversations';
const SYSTEM = { ref: 'plugin:voice-recording' };
/** audit actions whose change can move retention ends (RetentionService) */
const POLICY_ACTIONS = [
  'retention-policy-create',
  'retention-policy-update',
  'retention-policy-delete',
];
export const RETENTION_SWEEP_ACTION = 'object-lock-retention-sweep';
export const LEGAL_HOLD_SYNC_ACTION = 'object-lock-legal-hold-sync';

export interface ObjectLockSyncSummary {
  /** archives put under S3 legal hold in this pass */
  holdsOn: number;
  /** archives whose S3 legal hold was released */
  holdsOff: number;
  /** archives whose Object Lock retention was lengthened (a retention sweep ran) */
  extended?: number;
  /** new archives whose lock was lengthened to their conversation's retention end */
  newExtended: number;
  /** archives looked at by the retention sweep (absent: no sweep was due) */
  swept?: number;
  /** operations that failed (the object store down, ...): retried by the next pass */
  failed: number;
  errors: string[];
}

export interface ObjectLockSyncOptions {
  db: Knex;
  /** the S3 store with Object Lock behind the recording storage */
  s3: S3BlobStore;
  audit: Pick<AuditRecorder, 'record'>;
  logger: LoggerService;
  /** conversations per query (default 500) */
  batchSize?: number;
  /** object store requests at once (default 4) */
  concurrency?: number;
  /**
   * At start, how far back the new-archives pass looks (conversations archived or
   * uploaded since then); default 24 h.
   */
  lookbackMs?: number;
}

interface ArchiveRow {
  id: string;
  keys: string[];
}

/**
 * The archive a lock is for: the recording, not an interim WAV that compression is about
 * to replace (nor the one it replaced): locking those would stop the compressor deleting
 * them; the compressed archive gets the lock once it is there.
 */
function keysOf(r: any): string[] {
  return r.compress_to || !r.storage_key ? [] : [r.storage_key];
}

/** archived and in the configured store (not still staged on a recorder's disk) */
function inStore(q: Knex.QueryBuilder) {
  return q
    .whereNot(`${C}.state`, 'recording')
    .whereNotNull(`${C}.storage_key`)
    .whereNull(`${C}.storage_location`);
}

/**
 * Keeps the S3 Object Lock of the recordings in step with the database (issue 20, WORM;
 * docs/object-storage.md "Legal hold and retention in S3"). The database stays the source
 * of truth; S3 is the second lock, which holds even against someone with bucket access.
 *
 * - **Legal hold**: the archive of a conversation held in the portal (a standing hold
 *   on one of its labels, docs/legal-hold.md) gets an S3 legal hold (an interim WAV
 *   awaiting compression does not: its compressed archive does, next pass); when the last hold on
 *   it is released (or its label removed afterwards), the S3 legal hold is released. A
 *   pass compares the database with what this process applied last (a restart re-applies
 *   once: the requests are idempotent); a failure is retried by the next pass.
 * - **New archives**: a recording uploaded before its conversation's retention end was
 *   known (`retentionDays` from the upload) gets its lock lengthened to that end.
 * - **Retention**: after a retention policy change (the audit trail's
 *   `retention-policy-*` entries are newer than the start of the last completed sweep),
 *   a sweep lengthens each archive's retention to its conversation's retention end (S3
 *   extends, never shortens: an end that moved earlier leaves the lock, and the store's
 *   date wins at disposal, docs/retention.md).
 *
 * Passes run in the scheduled task `voice-recording-object-lock-sync` (one instance at a
 * time) and right after a hold is placed or released (`nudge`).
 */
export class ObjectLockSync {
  private readonly applied = new Map<string, string>();
  /** the new-archives pass looks at conversations updated since this instant */
  private newSince: Date;
  private running?: Promise<ObjectLockSyncSummary>;
  private again = false;

  constructor(private readonly options: ObjectLockSyncOptions) {
    this.newSince = new Date(Date.now() - (options.lookbackMs ?? 86_400_000));
  }

  private get batchSize() {
    return this.options.batchSize ?? 500;
  }

  /** A pass soon (a hold was placed or released); failures are logged, the task retries. */
  nudge(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.run({ retention: false })
      .then(() => {
        if (this.again) {
          this.again = false;
          this.nudge();
        }
      })
      .catch(e =>
        this.options.logger.warn(`voice-recording object lock sync: ${e}`),
      );
  }

  /** One pass (legal holds, and the retention sweep when one is due); one at a time. */
  run(
    options: { retention?: boolean } = {},
  ): Promise<ObjectLockSyncSummary> {
    if (this.running) return this.running;
    const p = this.doRun(options.retention ?? true).finally(() => {
      this.running = undefined;
    });
    this.running = p;
    return p;
  }

  private async each<T>(items: T[], fn: (item: T) => Promise<void>) {
    let next = 0;
    const worker = async () => {
      while (next < items.length) await fn(items[next++]);
    };
    await Promise.all(
      Array.from(
        { length: Math.max(1, this.options.concurrency ?? 4) },
        worker,
      ),
    );
  }

  private async doRun(retention: boolean): Promise<ObjectLockSyncSummary> {
    const summary: ObjectLockSyncSummary = {
      holdsOn: 0,
      holdsOff: 0,
      newExtended: 0,
      failed: 0,
      errors: [],
    };
    const fail = (what: string, e: unknown) => {
      summary.failed++;
      if (summary.errors.length < 20)
        summary.errors.push(`${what}: ${(e as Error)?.message ?? e}`);
    };
    const on: string[] = [];
    const off: string[] = [];
    await this.syncHolds(summary, fail, on, off);
    if (retention) {
      await this.extendNew(summary, fail);
      await this.sweepIfDue(summary, fail);
    }
    if (on.length || off.length || summary.newExtended || summary.failed) {
      await this.options.audit.record({
        actor: SYSTEM,
        action: LEGAL_HOLD_SYNC_ACTION,
        targetType: 'object-storage',
        targetId: this.options.s3.location(),
        severity: summary.failed ? 'high' : 'medium',
        details: {
          holdsOn: summary.holdsOn,
          holdsOff: summary.holdsOff,
          newArchivesExtended: summary.newExtended,
          conversationsHeld: on.slice(0, 1000),
          conversationsReleased: off.slice(0, 1000),
          failed: summary.failed,
          ...(summary.errors.length ? { errors: summary.errors } : {}),
        },
      });
    }
    if (summary.failed)
      this.options.logger.warn(
        `voice-recording object lock sync: ${summary.failed} operations failed, retried by the next pass: ${summary.errors[0]}`,
      );
    return summary;
  }

  /** conversation id → the standing holds on it, for archives in the store */
  private async heldBatch(after: string): Promise<Array<ArchiveRow & { sig: string }>> {
    const { db } = this.options;
    const rows = await inStore(db(C))
      .whereRaw(HELD_SQL)
      .where(`${C}.id`, '>', after)
      .orderBy(`${C}.id`)
      .limit(this.batchSize)
      .select(`${C}.id`, `${C}.storage_key`, `${C}.compress_to`);
    if (!rows.length) return [];
    const holds = await db('vr_conversation_labels as cl')
      .join('vr_legal_holds as h', 'h.label_id', 'cl.label_id')
      .whereIn(
        'cl.conversation_id',
        rows.map((r: any) => r.id),
      )
      .whereNot('h.state', 'released')
      .select('cl.conversation_id', 'h.id');
    const by = new Map<string, string[]>();
    for (const h of holds)
      by.set(h.conversation_id, [...(by.get(h.conversation_id) ?? []), h.id]);
    return rows.map((r: any) => ({
      id: r.id,
      keys: keysOf(r),
      sig: `on:${(by.get(r.id) ?? []).sort().join(',')}`,
    }));
  }

  /**
   * Not held now, but carrying the label of a released hold, or kept by the disposal job
   * because of an S3 legal hold (`locked`): their S3 legal hold must be off.
   */
  private async releasedBatch(
    after: string,
  ): Promise<Array<ArchiveRow & { sig: string }>> {
    const { db } = this.options;
    const rows = await inStore(db(C))
      .whereRaw(`NOT ${HELD_SQL}`)
      .where(b =>
        b
          .whereExists(
            db('vr_conversation_labels as rcl')
              .join('vr_legal_holds as rh', 'rh.label_id', 'rcl.label_id')
              .whereRaw(`rcl.conversation_id = ${C}.id`)
              .where('rh.state', 'released'),
          )
          .orWhere(`${C}.disposal_state`, 'locked'),
      )
      .where(`${C}.id`, '>', after)
      .orderBy(`${C}.id`)
      .limit(this.batchSize)
      .select(
        `${C}.id`,
        `${C}.storage_key`,
        `${C}.compress_to`,
        `${C}.disposal_state`,
        `${C}.disposal_attempts`,
      );
    return rows.map((r: any) => ({
      id: r.id,
      keys: keysOf(r),
      // a disposal kept by a lock asks again after each attempt
      sig:
        r.disposal_state === 'locked'
          ? `off:locked:${r.disposal_attempts ?? 0}`
          : 'off',
    }));
  }

  private async syncHolds(
    summary: ObjectLockSyncSummary,
    fail: (what: string, e: unknown) => void,
    on: string[],
    off: string[],
  ) {
    const { s3 } = this.options;
    const apply = async (
      batch: Array<ArchiveRow & { sig: string }>,
      hold: boolean,
    ) => {
      await this.each(batch, async row => {
        if (this.applied.get(row.id) === row.sig) return;
        let changed = 0;
        try {
          for (const key of row.keys) {
            try {
              const now = await s3.protection(key);
              if (now.legalHold === hold) continue;
              await s3.setLegalHold(key, hold);
              changed++;
            } catch (e) {
              if (
                e instanceof BlobNotFoundError ||
                (e as Error)?.name === 'BlobNotFoundError'
              )
                continue; // a replaced interim WAV already deleted
              throw e;
            }
          }
          this.applied.set(row.id, row.sig);
          if (changed) {
            if (hold) {
              summary.holdsOn += changed;
              on.push(row.id);
            } else {
              summary.holdsOff += changed;
              off.push(row.id);
            }
          }
        } catch (e) {
          fail(
            `${hold ? 'legal hold on' : 'legal hold release of'} conversation ${row.id}`,
            e,
          );
        }
      });
    };
    for (let after = ''; ; ) {
      const batch = await this.heldBatch(after);
      if (!batch.length) break;
      await apply(batch, true);
      after = batch[batch.length - 1].id;
    }
    for (let after = ''; ; ) {
      const batch = await this.releasedBatch(after);
      if (!batch.length) break;
      await apply(batch, false);
      after = batch[batch.length - 1].id;
    }
  }

  /**
   * New archives: a recording stored before its conversation's retention end was known
   * (the recorder's upload: `retentionDays` from the upload) gets its lock lengthened to
   * that end. Looks at the conversations updated (finished, uploaded, re-pointed at
   * their compressed archive) since the last complete pass, a minute of overlap for the
   * clocks of other instances; a pass with failures looks again next time.
   */
  private async extendNew(
    summary: ObjectLockSyncSummary,
    fail: (what: string, e: unknown) => void,
  ) {
    const { db, s3 } = this.options;
    const passStart = new Date();
    const failedBefore = summary.failed;
    for (let after = ''; ; ) {
      const rows = await inStore(db(C))
        .whereNull(`${C}.disposal_state`)
        .whereNull(`${C}.compress_to`)
        .where(`${C}.retention_until`, '>', passStart)
        .where(`${C}.updated_at`, '>=', this.newSince)
        .where(`${C}.id`, '>', after)
        .orderBy(`${C}.id`)
        .limit(this.batchSize)
        .select(`${C}.id`, `${C}.storage_key`, `${C}.retention_until`);
      if (!rows.length) break;
      await this.each(rows, async (r: any) => {
        try {
          const res = await s3.extendRetention(
            r.storage_key,
            new Date(toIso(r.retention_until)),
          );
          if (res.extended) summary.newExtended++;
        } catch (e) {
          if (
            e instanceof BlobNotFoundError ||
            (e as Error)?.name === 'BlobNotFoundError'
          )
            return;
          fail(`retention of the new archive of conversation ${r.id}`, e);
        }
      });
      after = rows[rows.length - 1].id;
    }
    if (summary.failed === failedBefore)
      this.newSince = new Date(passStart.getTime() - 60_000);
  }

  /** When the last retention policy change is newer than the start of the last completed sweep. */
  async retentionSweepDue(): Promise<boolean> {
    const { db } = this.options;
    const change = await db('vr_audit_log')
      .whereIn('action', POLICY_ACTIONS)
      .max({ at: 'at' })
      .first();
    if (!change?.at) return false;
    const sweeps = await db('vr_audit_log')
      .where({ action: RETENTION_SWEEP_ACTION })
      .orderBy([
        { column: 'at', order: 'desc' },
        { column: 'id', order: 'desc' },
      ])
      .limit(20)
      .select('details');
    for (const s of sweeps) {
      let details: any;
      try {
        details = JSON.parse(s.details ?? '{}');
      } catch {
        continue;
      }
      if (details.outcome !== 'succeeded' || !details.startedAt) continue;
      return new Date(toIso(change.at)) >= new Date(details.startedAt);
    }
    return true;
  }

  private async sweepIfDue(
    summary: ObjectLockSyncSummary,
    fail: (what: string, e: unknown) => void,
  ) {
    if (!(await this.retentionSweepDue())) return;
    await this.sweepRetention(summary, fail);
  }

  /**
   * Lengthens each archive's Object Lock retention to its conversation's retention end
   * (never shortens). Audited (`object-lock-retention-sweep`) with its start: a sweep that
   * failed or was cut short is run again by a later pass.
   */
  async sweepRetention(
    summary: ObjectLockSyncSummary = {
      holdsOn: 0,
      holdsOff: 0,
      newExtended: 0,
      failed: 0,
      errors: [],
    },
    fail: (what: string, e: unknown) => void = (what, e) => {
      summary.failed++;
      summary.errors.push(`${what}: ${(e as Error)?.message ?? e}`);
    },
  ): Promise<ObjectLockSyncSummary> {
    const { db, s3 } = this.options;
    const startedAt = new Date();
    const failedBefore = summary.failed;
    summary.swept = 0;
    summary.extended = 0;
    const extendedIds: string[] = [];
    for (let after = ''; ; ) {
      const rows = await inStore(db(C))
        .whereNull(`${C}.disposal_state`)
        .whereNull(`${C}.compress_to`)
        .where(`${C}.retention_until`, '>', startedAt)
        .where(`${C}.id`, '>', after)
        .orderBy(`${C}.id`)
        .limit(this.batchSize)
        .select(`${C}.id`, `${C}.storage_key`, `${C}.retention_until`);
      if (!rows.length) break;
      await this.each(rows, async (r: any) => {
        summary.swept! += 1;
        const until = new Date(toIso(r.retention_until));
        try {
          const res = await s3.extendRetention(r.storage_key, until);
          if (res.extended) {
            summary.extended! += 1;
            if (extendedIds.length < 1000) extendedIds.push(r.id);
          }
        } catch (e) {
          if (
            e instanceof BlobNotFoundError ||
            (e as Error)?.name === 'BlobNotFoundError'
          )
            return;
          fail(`retention of conversation ${r.id}`, e);
        }
      });
      after = rows[rows.length - 1].id;
    }
    const failed = summary.failed - failedBefore;
    await this.options.audit.record({
      actor: SYSTEM,
      action: RETENTION_SWEEP_ACTION,
      targetType: 'object-storage',
      targetId: s3.location(),
      severity: failed ? 'high' : 'medium',
      details: {
        startedAt: startedAt.toISOString(),
        swept: summary.swept,
        extended: summary.extended,
        conversationIds: extendedIds,
        failed,
      },
      ...(failed
        ? {
            error: new Error(
              `${failed} archives not extended (retried by the next sweep): ${summary.errors[0] ?? ''}`,
            ),
          }
        : {}),
    });
    this.options.logger.info(
      `voice-recording object lock: retention sweep looked at ${summary.swept} archives, lengthened ${summary.extended}, ${failed} failed`,
    );
    return summary;
  }
}
