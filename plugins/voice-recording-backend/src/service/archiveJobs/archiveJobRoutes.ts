import { HttpAuthService } from '@backstage/backend-plugin-api';
import { ConflictError, NotFoundError } from '@backstage/errors';
import {
  ARCHIVE_JOB_KINDS,
  ARCHIVE_JOB_STATES,
  ArchiveJob,
  ArchiveJobKind,
  ArchiveJobList,
  ArchiveJobState,
  ArchiveJobView,
  ArchiveQueueSummary,
  voiceRecordingHealthAcknowledgePermission,
  voiceRecordingHealthReadPermission,
} from '@mvr/plugin-voice-recording-common';
import express, { Request } from 'express';
import { z } from 'zod';
import { ArchiveJobsStore } from '../../database/ArchiveJobsStore';
import { AccessControl } from '../AccessControl';
import { Actor, actorRefOf, AuditRecorder } from '../AuditRecorder';
import { parseInput } from '../errors';

export interface ArchiveJobRoutesOptions {
  httpAuth: HttpAuthService;
  access: AccessControl;
  audit: AuditRecorder;
  jobs: ArchiveJobsStore;
}

/** `GET /archive-jobs`: filters and page. */
export const archiveJobListQuerySchema = z
  .object({
    state: z
      .enum(ARCHIVE_JOB_STATES as [ArchiveJobState, ...ArchiveJobState[]])
      .optional(),
    kind: z
      .enum(ARCHIVE_JOB_KINDS as [ArchiveJobKind, ...ArchiveJobKind[]])
      .optional(),
    limit: z.coerce.number().int().min(1).max(500).default(50),
    cursor: z
      .string()
      .regex(/^[1-9][0-9]{0,17}$/, 'not a cursor this API gave')
      .optional(),
  })
  .strict();

const jobIdSchema = z.object({
  id: z.string().regex(/^[1-9][0-9]{0,17}$/, 'not an archive job id'),
});

/** The admin view of a job: everything but its kind-specific payload. */
export function archiveJobView(job: ArchiveJob): ArchiveJobView {
  const { payload: _payload, ...view } = job;
  return view;
}

/**
 * The archive queue's admin routes (docs/api.md "Archive work queue"): its figures per
 * kind and its jobs (need `voice-recording.health.read`, like the rest of the Recording
 * health page), and the retry of a dead job (needs `voice-recording.health.acknowledge`,
 * audited `archive-job-retry`). Refusals are audited (AccessControl).
 */
export function addArchiveJobRoutes(
  router: express.Router,
  options: ArchiveJobRoutesOptions,
) {
  const { httpAuth, access, audit, jobs } = options;

  const actorOf = async (
    req: Request,
    allow: Array<'user' | 'service'>,
  ): Promise<Actor> => {
    const credentials = await httpAuth.credentials(req, { allow });
    return { credentials, ref: actorRefOf(credentials), request: req };
  };

  router.get('/archive-jobs/summary', async (req, res) => {
    // monitoring may read the queue's depth with a service token
    const actor = await actorOf(req, ['user', 'service']);
    await access.require(actor, voiceRecordingHealthReadPermission);
    const at = new Date();
    const body: ArchiveQueueSummary = {
      kinds: await jobs.stats(at),
      at: at.toISOString(),
    };
    res.json(body);
  });

  router.get('/archive-jobs', async (req, res) => {
    const actor = await actorOf(req, ['user', 'service']);
    await access.require(actor, voiceRecordingHealthReadPermission);
    const q = parseInput(archiveJobListQuerySchema, req.query, 'query');
    const page = await jobs.listJobs(q);
    const body: ArchiveJobList = {
      items: page.jobs.map(archiveJobView),
      ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}),
    };
    res.json(body);
  });

  router.post('/archive-jobs/:id/retry', async (req, res) => {
    // a person decides to try again, with their name on it
    const actor = await actorOf(req, ['user']);
    await access.require(actor, voiceRecordingHealthAcknowledgePermission);
    const { id } = parseInput(jobIdSchema, req.params, 'path');
    const r = await jobs.retry(id);
    if (r.outcome === 'not-found')
      throw new NotFoundError(`archive job ${id} not found`);
    if (r.outcome === 'not-dead')
      throw new ConflictError(
        `archive job ${id} is ${r.job.state}, not dead: only dead jobs are retried by hand`,
      );
    if (r.outcome === 'duplicate')
      throw new ConflictError(
        `archive job ${id}: job ${r.openJobId} of the same kind and subject is already queued or running`,
      );
    await audit.record({
      actor,
      action: 'archive-job-retry',
      targetType: 'archive-job',
      targetId: id,
      details: {
        kind: r.job.kind,
        subject: r.job.subject,
        ...(r.job.conversationId
          ? { conversationId: r.job.conversationId }
          : {}),
        ...(r.previous.lastError ? { lastError: r.previous.lastError } : {}),
        previousAttempts: r.previous.attempts,
      },
    });
    res.json(archiveJobView(r.job));
  });
}
