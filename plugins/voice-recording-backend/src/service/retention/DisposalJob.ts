import { LoggerService } from '@backstage/backend-plugin-api';
import { ConflictError } from '@backstage/errors';
import {
  DisposalDryRunResult,
  DisposalRunSummary,
} from '@mvr/plugin-voice-recording-common';
import {
  BlobLockedError,
  BlobNotFoundError,
  BlobStore,
  s3StoreOf,
  S3ObjectProtection,
} from '@mvr/plugin-voice-recording-node';
import { randomUUID } from 'node:crypto';
import {
  ClaimedConversation,
  RetentionStore,
} from '../../database/RetentionStore';
import { Actor, AuditRecorder } from '../AuditRecorder';
import { RetentionService } from './RetentionService';

/** A run that has not written its heartbeat for this long is taken as dead. */
export const DISPOSAL_RUN_STALE_MS = 10 * 60_000;

export type { DisposalRunSummary } from '@mvr/plugin-voice-recording-common';
export type DisposalDryRun = DisposalDryRunResult;

export interface DisposalJobOptions {
  store: RetentionStore;
  retention: RetentionService;
  blobs: Pick<BlobStore, 'delete' | 'list'>;
  audit: Pick<AuditRecorder, 'record'>;
  logger: LoggerService;
  batchSize: number;
  maxPerRun: number;
  deleteConcurrency?: number;
  staleMs?: number;
  /**
   * Test seam: called after a batch's files are deleted and before its transaction
   * (a throw here is a crash between the two steps).
   */
  afterFilesDeleted?: (ids: string[]) => Promise<void> | void;
}

interface DeletedBatch {
  done: Array<{ conversation: ClaimedConversation; deletedFiles: string[] }>;
  failures: Array<{ id: string; error: string }>;
  locked: Array<{ id: string; error: string }>;
  heldNow: Set<string>;
}

/** A file of a conversation under S3 Object Lock: nothing of the conversation is deleted. */
class ConversationLockedError extends Error {
  constructor(
    readonly key: string,
    readonly protection: S3ObjectProtection,
  ) {
    const parts: string[] = [];
    if (protection.retention)
      parts.push(
        `until ${protection.retention.retainUntil.toISOString()} (S3 Object Lock ${protection.retention.mode} retention of ${key}); disposal is tried again after that date`,
      );
    if (protection.legalHold)
      parts.push(
        `by an S3 legal hold on ${key} (no legal hold stands in the portal: the object lock sync releases it, then a later run disposes of the conversation)`,
      );
    super(`locked in object storage ${parts.join(' and ')}`);
    this.name = 'ConversationLockedError';
  }

  /** when a retry can succeed: the retention's end (none: the next run) */
  get until(): Date | undefined {
    return this.protection.retention?.retainUntil;
  }
}

function isBlobLocked(e: unknown): e is BlobLockedError {
  // by name too: the class may come from another copy of the node package
  return (
    e instanceof BlobLockedError ||
    (e as Error | undefined)?.name === 'BlobLockedError'
  );
}

/**
 * Refuses (ConversationLockedError) before anything is deleted when one of the keys is
 * under S3 Object Lock: a conversation is never half disposed of (the archive gone, its
 * locked interim WAV left). Stores without Object Lock: no check.
 */
async function assertUnlocked(
  blobs: Pick<BlobStore, 'delete' | 'list'>,
  keys: string[],
): Promise<void> {
  const s3 = s3StoreOf(blobs as BlobStore);
  if (!s3) return;
  for (const key of keys) {
    const protection = await s3.protection(key).catch(e => {
      if (e instanceof BlobNotFoundError || (e as Error)?.name === 'BlobNotFoundError')
        return undefined;
      throw e;
    });
    if (protection && (protection.retention || protection.legalHold))
      throw new ConversationLockedError(key, protection);
  }
}

/** The storage keys a conversation has: archive, replaced archive, peaks, derived files. */
async function keysOf(
  blobs: Pick<BlobStore, 'list'>,
  c: ClaimedConversation,
): Promise<string[]> {
  const keys = new Set<string>();
  for (const k of [c.storageKey, c.supersededStorageKey])
    if (k) {
      keys.add(k);
      keys.add(`${k}.peaks`);
    }
  // MP3, WAV and waveforms cached by ConversationsService (derived/<id>/<hash>/...)
  for (const k of await blobs.list(`derived/${c.id}/`)) keys.add(k);
  return [...keys];
}

/**
 * The disposal job (docs/retention.md "Disposal"): conversations past their retention
 * end and under no legal hold lose their files, get a disposal record and leave the
 * database, in batches. Crash-safe in three steps per batch:
 *
 *  1. claim: the batch's rows are marked `disposing` with the run id (one UPDATE);
 *  2. files: each one's files are deleted (deleting a missing file is a no-op, so a
 *     rerun repeats this step harmlessly); a failure marks the row `delete-failed`
 *     with the error, and the next run tries again;
 *  3. one transaction: the hold is checked again, the record is inserted (the
 *     conversation id is its key: never twice) and the conversation row deleted.
 *
 * A run killed between 1 and 3 leaves rows marked by a run without heartbeat: the next
 * run claims them first. Batches overlap: a batch's files are deleted while the previous
 * batch's transaction runs (claims exclude what this run holds already). Audit: one `disposal-batch` entry per batch (count and ids)
 * and one `disposal-run` per run, not one per conversation (the records are per
 * conversation).
 */
export class DisposalJob {
  private running?: Promise<DisposalRunSummary>;

  constructor(private readonly options: DisposalJobOptions) {}

  /** Runs now; a second call while one runs in this process is refused (409). */
  run(
    trigger: 'scheduled' | 'manual',
    actor: Actor | { ref: string },
    now = new Date(),
  ) {
    if (this.running)
      throw new ConflictError('a disposal run is under way in this instance');
    const p = this.doRun(trigger, actor, now).finally(() => {
      this.running = undefined;
    });
    this.running = p;
    return p;
  }

  /** What a run now would dispose of (held ones flagged: they stay). Audited by the route. */
  async dryRun(now = new Date(), limit = 500): Promise<DisposalDryRun> {
    const page = await this.options.store.upcoming(now, { limit, offset: 0 });
    return {
      at: now.toISOString(),
      total: page.total,
      held: page.held,
      items: page.items,
    };
  }

  private async doRun(
    trigger: 'scheduled' | 'manual',
    actor: Actor | { ref: string },
    now: Date,
  ): Promise<DisposalRunSummary> {
    const { store, retention, logger, audit } = this.options;
    const runId = randomUUID();
    const counts = { disposed: 0, held: 0, failed: 0, locked: 0 };
    await store.startRun(
      { id: runId, trigger, requestedBy: actor.ref },
      // the clock of the runs' heartbeats is the real one (`now` decides what is due)
      new Date(),
      this.options.staleMs ?? DISPOSAL_RUN_STALE_MS,
    );
    try {
      // retention from the current policies first: none missing, none early
      const rules = await retention.rules(true);
      await store.recompute(rules, retention.minimum, { onlyMissing: true });
      await store.lengthenDue(rules, retention.minimum, now);
      counts.held = await store.countHeldDue(now);
      let claimedTotal = 0;
      let previous: Promise<void> = Promise.resolve();
      while (claimedTotal < this.options.maxPerRun) {
        const batch = await store.claim(
          runId,
          now,
          Math.min(
            this.options.batchSize,
            this.options.maxPerRun - claimedTotal,
          ),
        );
        if (!batch.length) break;
        claimedTotal += batch.length;
        // pipelined: this batch's files go while the previous batch's transaction runs
        const [before, files] = await Promise.allSettled([
          previous,
          this.deleteFiles(runId, batch),
        ]);
        if (before.status === 'rejected') throw before.reason;
        if (files.status === 'rejected') throw files.reason;
        previous = this.finishBatch(
          runId,
          files.value,
          counts,
          now,
          actor,
        ).then(() => store.heartbeat(runId, counts));
        // an unawaited rejection is taken up by the next round or below
        previous.catch(() => {});
      }
      await previous;
      await store.finishRun(runId, 'done', counts);
      await audit.record({
        actor,
        action: 'disposal-run',
        targetType: 'disposal-run',
        targetId: runId,
        severity: counts.failed || counts.locked ? 'high' : 'medium',
        details: { trigger, ...counts },
      });
      logger.info(
        `disposal run ${runId}: ${counts.disposed} disposed of, ${counts.held} held, ${counts.failed} failed, ${counts.locked} locked in object storage`,
      );
      return { runId, state: 'done', ...counts };
    } catch (e) {
      const error = (e as Error).message ?? String(e);
      await store
        .finishRun(runId, 'failed', counts, error)
        .catch(err => logger.error(`disposal run ${runId} not closed: ${err}`));
      await audit.record({
        actor,
        action: 'disposal-run',
        targetType: 'disposal-run',
        targetId: runId,
        severity: 'high',
        details: { trigger, ...counts },
        error: e as Error,
      });
      logger.error(`disposal run ${runId} failed: ${error}`);
      return { runId, state: 'failed', ...counts, error };
    }
  }

  /** Step 2 of a batch: the files of each conversation not held (failures explained on the row). */
  private async deleteFiles(
    runId: string,
    batch: ClaimedConversation[],
  ): Promise<DeletedBatch> {
    const { store, blobs } = this.options;
    // a hold placed since the claim: nothing of it is touched
    const heldNow = await store.heldAmong(batch.map(c => c.id));
    const done: Array<{
      conversation: ClaimedConversation;
      deletedFiles: string[];
    }> = [];
    const failures: Array<{ id: string; error: string }> = [];
    const locked: Array<{ id: string; error: string }> = [];
    const todo = batch.filter(c => !heldNow.has(c.id));
    let next = 0;
    const worker = async () => {
      while (next < todo.length) {
        const c = todo[next++];
        try {
          const keys = await keysOf(blobs, c);
          await assertUnlocked(blobs, keys);
          for (const k of keys) await blobs.delete(k);
          done.push({ conversation: c, deletedFiles: keys });
        } catch (e) {
          let lockedBy: ConversationLockedError | undefined;
          if (e instanceof ConversationLockedError) lockedBy = e;
          else if (isBlobLocked(e))
            lockedBy = new ConversationLockedError(e.key, e.protection);
          if (lockedBy) {
            const error = `${lockedBy.message} (attempt ${c.attempts + 1})`;
            locked.push({ id: c.id, error });
            await store.markLocked(
              c.id,
              runId,
              error,
              c.attempts + 1,
              lockedBy.until,
            );
            continue;
          }
          const error = `file deletion failed (attempt ${c.attempts + 1}): ${
            (e as Error).message ?? e
          }`;
          failures.push({ id: c.id, error });
          await store.markFailed(c.id, runId, error, c.attempts + 1);
        }
      }
    };
    await Promise.all(
      Array.from(
        { length: Math.max(1, this.options.deleteConcurrency ?? 8) },
        worker,
      ),
    );
    if (heldNow.size) await store.release([...heldNow], runId);
    return { done, failures, locked, heldNow };
  }

  /** Step 3 of a batch: one transaction (records in, rows out), then its audit entry. */
  private async finishBatch(
    runId: string,
    { done, failures, locked, heldNow }: DeletedBatch,
    counts: { disposed: number; held: number; failed: number; locked: number },
    now: Date,
    actor: Actor | { ref: string },
  ) {
    const { store } = this.options;
    await this.options.afterFilesDeleted?.(done.map(d => d.conversation.id));
    const result = await store.complete(runId, done, now);
    counts.disposed += result.disposed.length;
    counts.failed += failures.length;
    counts.locked += locked.length;
    counts.held += heldNow.size + result.held.length;
    await this.options.audit.record({
      actor,
      action: 'disposal-batch',
      targetType: 'disposal-run',
      targetId: runId,
      severity:
        failures.length || locked.length || result.held.length
          ? 'high'
          : 'medium',
      details: {
        disposed: result.disposed.length,
        conversationIds: result.disposed,
        ...(failures.length
          ? { failed: failures.length, failedIds: failures.map(f => f.id) }
          : {}),
        ...(locked.length
          ? {
              locked: locked.length,
              lockedIds: locked.map(f => f.id),
              lockedBy: locked.map(f => f.error),
            }
          : {}),
        ...(result.held.length || heldNow.size
          ? { heldIds: [...heldNow, ...result.held] }
          : {}),
      },
    });
  }
}
