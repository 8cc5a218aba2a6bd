/*
 * Archive work as a queue (issue 20): uploads of finished recordings from a recorder's
 * disk to object storage, Opus compression of interim WAVs and derived files, as jobs in
 * the voice-recording database (table vr_archive_jobs). On PostgreSQL any number of
 * recorders, portals and dedicated archivers take jobs (`FOR UPDATE SKIP LOCKED`, leases
 * that expire when a worker dies); on SQLite the same queue runs in one process.
 *
 * The backend plugin implements the queue and hands it to capture modules as
 * `CaptureContext.archiveJobs`; workers (`ArchiveJobWorker`) run the handlers a process
 * registers for the kinds it takes.
 */

import type {
  ArchiveJob,
  ArchiveJobKind,
  ArchiveJobQueueStats,
} from '@mvr/plugin-voice-recording-common';

// the job, its kinds, states and the queue's figures are shared with the portal
// (the Recording health page's Archive queue section)
export { ARCHIVE_JOB_KINDS } from '@mvr/plugin-voice-recording-common';
export type {
  ArchiveJob,
  ArchiveJobKind,
  ArchiveJobQueueStats,
  ArchiveJobState,
} from '@mvr/plugin-voice-recording-common';

export interface EnqueueArchiveJob {
  kind: ArchiveJobKind;
  /** what the job works on (e.g. the blob key to upload); one open job per kind and subject */
  subject: string;
  conversationId?: string;
  /** kind-specific input, stored as JSON */
  payload?: Record<string, unknown>;
  /** only the worker of this instance may take the job (a file on its own disk) */
  affinity?: string | null;
  /** not before this instant (default now) */
  runAfter?: Date;
  /** default 8 */
  maxAttempts?: number;
}

export interface ClaimArchiveJobsRequest {
  /** the claiming worker: unique per process (e.g. `<instanceId>:<pid>`) */
  workerId: string;
  /** the instance ids whose affinity jobs this worker may take (its own) */
  instanceIds: string[];
  kinds: ArchiveJobKind[];
  limit: number;
  leaseMs: number;
}

/**
 * Thrown by a handler when trying again cannot help (e.g. the source no longer exists
 * and nothing refers to it): the job goes to `dead` at once.
 */
export class PermanentArchiveJobError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PermanentArchiveJobError';
  }
}

export interface ArchiveJobQueue {
  /**
   * Adds a job; a job of the same kind and subject that is still queued or running makes
   * this a no-op (returns that job's id).
   */
  enqueue(job: EnqueueArchiveJob): Promise<string>;
  /** Takes up to `limit` due jobs (oldest first), leased to the worker for `leaseMs`. */
  claim(request: ClaimArchiveJobsRequest): Promise<ArchiveJob[]>;
  /** Extends the lease; false when the worker no longer owns the job (it expired and another took it). */
  renew(jobId: string, workerId: string, leaseMs: number): Promise<boolean>;
  /** The job is done; false when the worker no longer owns it. */
  complete(jobId: string, workerId: string): Promise<boolean>;
  /**
   * The attempt failed: back to `queued` with `run_after = now + retryInMs`, or `dead`
   * when `permanent` or the attempts are used up. False when the worker no longer owns it.
   */
  fail(
    jobId: string,
    workerId: string,
    error: string,
    options: {
      retryInMs: number;
      permanent?: boolean;
      /**
       * false: the attempt failed for a reason outside the job (the storage is down), so it
       * is given back instead of spent and the job never goes dead for it (default true)
       */
      countAttempt?: boolean;
    },
  ): Promise<boolean>;
  /**
   * Gives a claimed job back without spending its attempt (the worker is stopping): queued
   * again and due now. False when the worker no longer owns it. Optional: a worker falls
   * back to `fail` with no back-off.
   */
  release?(jobId: string, workerId: string): Promise<boolean>;
  stats(): Promise<ArchiveJobQueueStats[]>;
  /** Open (queued or running) jobs of a conversation, e.g. "still being uploaded". */
  openJobsOf(conversationId: string): Promise<ArchiveJob[]>;
}

/** Runs one claimed job; throws to fail the attempt (PermanentArchiveJobError: no retry). */
export type ArchiveJobHandler = (
  job: ArchiveJob,
  signal: AbortSignal,
) => Promise<void>;

/**
 * Whether a failure is a storage outage (`StorageUnavailableError`: an object store that
 * does not answer, a full or read-only disk), by name so that it works across package
 * copies, looking through `cause`s. Such an attempt is retried without being spent.
 */
export function isStorageOutage(e: unknown): boolean {
  for (let cur: unknown = e, depth = 0; cur && depth < 5; depth++) {
    if ((cur as Error).name === 'StorageUnavailableError') return true;
    cur = (cur as { cause?: unknown }).cause;
  }
  return false;
}
