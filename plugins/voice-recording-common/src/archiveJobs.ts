/**
 * The archive work queue (issue 20, docs/deployment.md "Archive work queue"): uploads of
 * finished recordings to object storage, Opus compression and derived files as jobs in
 * the voice-recording database. The types the backend, its workers and the portal's
 * Recording health page share; the queue itself (`ArchiveJobQueue`) and its worker are in
 * `@mvr/plugin-voice-recording-node`.
 *
 * Endpoints (plugin `voice-recording`, admins: reading needs `voice-recording.health.read`,
 * a retry `voice-recording.health.acknowledge`):
 * - `GET /archive-jobs/summary` → {@link ArchiveQueueSummary}
 * - `GET /archive-jobs?state&kind&limit&cursor` → {@link ArchiveJobList} (newest first)
 * - `POST /archive-jobs/:id/retry` → {@link ArchiveJobView} (a dead job queued again, audited)
 *
 * @packageDocumentation
 */

/** What a job does. */
export type ArchiveJobKind =
  /** copy a blob from a recorder's local staging directory into the configured store, verify, delete the local copy */
  | 'upload'
  /** replace a conversation's interim WAV by its Opus archive */
  | 'compress'
  /** build a derived file (MP3, waveform) of a conversation's archive */
  | 'derive';

export const ARCHIVE_JOB_KINDS: readonly ArchiveJobKind[] = [
  'upload',
  'compress',
  'derive',
];

/** queued (due or backing off), running (leased to a worker), done, dead (attempts used up or a permanent error: an admin retries it) */
export type ArchiveJobState = 'queued' | 'running' | 'done' | 'dead';

export const ARCHIVE_JOB_STATES: readonly ArchiveJobState[] = [
  'queued',
  'running',
  'done',
  'dead',
];

/** A job as the queue holds it. */
export interface ArchiveJob {
  id: string;
  kind: ArchiveJobKind;
  subject: string;
  conversationId?: string;
  payload?: Record<string, unknown>;
  affinity?: string;
  state: ArchiveJobState;
  /** attempts started so far, this one included once claimed */
  attempts: number;
  maxAttempts: number;
  runAfter: string;
  leaseOwner?: string;
  leaseUntil?: string;
  lastError?: string;
  createdAt: string;
  updatedAt: string;
  finishedAt?: string;
}

/** A job as the admin API shows it (without its kind-specific payload). */
export type ArchiveJobView = Omit<ArchiveJob, 'payload'>;

/** Depth and age of the queue, per kind (for the status endpoint, metrics and the admin page). */
export interface ArchiveJobQueueStats {
  kind: ArchiveJobKind;
  /** due or waiting for their back-off */
  queued: number;
  running: number;
  dead: number;
  /** age in seconds of the oldest queued or running job, 0 when none */
  oldestAgeSeconds: number;
}

/** `GET /archive-jobs/summary` */
export interface ArchiveQueueSummary {
  /** one entry per kind, every kind */
  kinds: ArchiveJobQueueStats[];
  /** when the figures were read (ISO) */
  at: string;
}

/** `GET /archive-jobs` */
export interface ArchiveJobList {
  /** newest first */
  items: ArchiveJobView[];
  /** pass as `cursor` for the next page; absent on the last one */
  nextCursor?: string;
}
