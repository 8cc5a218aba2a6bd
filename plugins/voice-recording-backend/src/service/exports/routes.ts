import {
  HttpAuthService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { ConflictError, InputError, NotFoundError } from '@backstage/errors';
import { PermissionCriteria } from '@backstage/plugin-permission-common';
import { ConditionTransformer } from '@backstage/plugin-permission-node';
import {
  ExportScope,
  voiceRecordingComplianceManagePermission,
  voiceRecordingConversationExportPermission,
  voiceRecordingConversationPlayPermission,
} from '@mvr/plugin-voice-recording-common';
import {
  BlobStore,
  ConversationQuery,
  s3StoreOf,
} from '@mvr/plugin-voice-recording-node';
import express from 'express';
import { NumbersStore } from '../../database';
import { CasesStore } from '../../database/CasesStore';
import { ConversationSearchFilters } from '../../database/ConversationSearchStore';
import {
  ExportJobRecord,
  ExportJobsStore,
  publicExportJob,
} from '../../database/ExportJobsStore';
import { Actor, AuditRecorder } from '../AuditRecorder';
import { PeopleResolver } from '../conversations/PeopleResolver';
import { resolveSearchFilters } from '../conversations/searchFilters';
import { parseInput } from '../errors';
import { routeGuards } from '../routeGuards';
import { exportBlobKey, exportBlobPrefix } from './ExportWorker';
import { exportCreateSchema, exportListQuerySchema } from './schemas';

type Visibility = PermissionCriteria<ConversationQuery> | undefined;

export interface ExportRoutesOptions {
  httpAuth: HttpAuthService;
  permissions: PermissionsService;
  transform: ConditionTransformer<ConversationQuery>;
  audit: AuditRecorder;
  jobs: ExportJobsStore;
  blobs: BlobStore;
  cases: Pick<CasesStore, 'getCase'>;
  numbers: Pick<NumbersStore, 'get'>;
  people: Pick<PeopleResolver, 'users' | 'groupMembers'>;
  defaultCountry: string;
  /** Tells the worker that a job waits (it also polls). */
  onCreated?: (job: ExportJobRecord) => void;
}

/** `voice-recording-export_2026-12-06_1a2b3c4d.zip`: letters, digits, `_ . -` only. */
export function exportFileName(job: { id: string; requestedAt: string }) {
  const day = job.requestedAt.slice(0, 10).replace(/[^0-9-]/g, '');
  const id = job.id.replace(/[^0-9a-f]/gi, '').slice(0, 8);
  return `voice-recording-export_${day}_${id}.zip`;
}

/** A short description of a search's filters, e.g. `number=+32470…, from=2026-01-01`. */
function filtersTitle(filters: Record<string, unknown>): string {
  const parts = Object.entries(filters)
    .filter(([, v]) => v !== undefined && v !== '')
    .map(([k, v]) => `${k}=${String(v)}`);
  return parts.length ? parts.join(', ') : 'all conversations';
}

/**
 * The routes of docs/api.md "Regulator exports". Each checks
 * `voice-recording.conversation.export` and the caller's playback visibility (the
 * package holds only conversations the requester may play, filtered in SQL when it is
 * built); a job is seen, downloaded and deleted by its requester, and by compliance
 * managers (`voice-recording.compliance.manage`) for every job.
 */
export function addExportRoutes(
  router: express.Router,
  options: ExportRoutesOptions,
) {
  const { audit, jobs } = options;
  const { actorOf, deny, allowed, require, criteria } = routeGuards(options);

  /** Export permission, then the playback visibility (conditions as SQL criteria). */
  const requireExport = async (
    actor: Actor,
    targetId?: string,
  ): Promise<Visibility> => {
    const target = { type: 'export', id: targetId };
    await require(actor, voiceRecordingConversationExportPermission, target);
    return criteria(
      actor,
      voiceRecordingConversationPlayPermission,
      options.transform,
      target,
    );
  };

  /** The job when the caller requested it or manages compliance; else 404. */
  const jobFor = async (actor: Actor, id: string): Promise<ExportJobRecord> => {
    const job = await jobs.get(id);
    if (
      job &&
      (job.requestedBy === actor.ref ||
        (await allowed(actor, voiceRecordingComplianceManagePermission)))
    )
      return job;
    throw new NotFoundError(`export ${id} not found`);
  };

  router.post('/exports', async (req, res) => {
    const actor = await actorOf(req);
    const visibility = await requireExport(actor);
    const body = parseInput(exportCreateSchema, req.body ?? {});
    const scope = body.scope as ExportScope;
    let filters: ConversationSearchFilters;
    let scopeTitle: string;
    if (body.scope.kind === 'case') {
      const c = await options.cases.getCase(body.scope.caseId);
      if (!c)
        throw new InputError(`scope.caseId: no case ${body.scope.caseId}`);
      filters = { caseId: c.id };
      scopeTitle = `Case: ${c.title}`;
    } else if (body.scope.kind === 'number') {
      const { numberId, from, to } = body.scope;
      if (new Date(from) >= new Date(to))
        throw new InputError('scope.to: must be after scope.from');
      const n = await options.numbers.get(numberId).catch(() => undefined);
      if (!n)
        throw new InputError(`scope.numberId: no recorded number ${numberId}`);
      filters = { number: n.number, from: new Date(from), to: new Date(to) };
      scopeTitle = `Number ${n.number}, ${from} to ${to}`;
    } else {
      try {
        filters = await resolveSearchFilters(body.scope.filters, {
          people: options.people,
          defaultCountry: options.defaultCountry,
          credentials: actor.credentials,
        });
      } catch (e) {
        if (e instanceof InputError)
          throw new InputError(`scope.filters.${e.message}`);
        throw e;
      }
      scopeTitle = `Search: ${filtersTitle(body.scope.filters)}`;
    }
    const job = await jobs.create({
      scope,
      scopeTitle,
      filters,
      visibility,
      includeMp3: body.includeMp3,
      requestedBy: actor.ref,
    });
    await audit.record({
      actor,
      action: 'export-create',
      targetType: 'export',
      targetId: job.id,
      details: {
        scope: JSON.parse(JSON.stringify(scope)),
        scopeTitle,
        includeMp3: body.includeMp3,
        ...(filters.userRefs
          ? { resolvedUserCount: filters.userRefs.length }
          : {}),
      },
      severity: 'medium',
    });
    options.onCreated?.(job);
    res.status(202).json(publicExportJob(job));
  });

  router.get('/exports', async (req, res) => {
    const actor = await actorOf(req);
    await requireExport(actor);
    const q = parseInput(exportListQuerySchema, req.query, 'query');
    const all =
      q.requestedBy === 'all' &&
      (await allowed(actor, voiceRecordingComplianceManagePermission));
    if (q.requestedBy === 'all' && !all)
      await deny(actor, voiceRecordingComplianceManagePermission.name, {
        type: 'export',
      });
    const items = await jobs.list(all ? {} : { requestedBy: actor.ref });
    res.json({ items: items.map(publicExportJob) });
  });

  router.get('/exports/:id', async (req, res) => {
    const actor = await actorOf(req);
    await requireExport(actor, req.params.id);
    res.json(publicExportJob(await jobFor(actor, req.params.id)));
  });

  router.get('/exports/:id/download', async (req, res) => {
    const actor = await actorOf(req);
    await requireExport(actor, req.params.id);
    const job = await jobFor(actor, req.params.id);
    if (job.state !== 'done')
      throw new ConflictError(
        `export ${job.id} is ${job.state}${
          job.state === 'expired' ? ' (its package was deleted)' : ', not done'
        }`,
      );
    const key = job.blobKey ?? exportBlobKey(job.id);
    const stream = await options.blobs.get(key);
    await audit.record({
      actor,
      action: 'export-download',
      targetType: 'export',
      targetId: job.id,
      details: {
        scopeTitle: job.scopeTitle,
        sha256: job.sha256 ?? '',
        bytes: job.bytes ?? 0,
        count: job.done,
      },
      severity: 'medium',
    });
    res.setHeader('Content-Type', 'application/zip');
    res.setHeader(
      'Content-Disposition',
      `attachment; filename="${exportFileName(job)}"`,
    );
    if (job.bytes !== undefined)
      res.setHeader('Content-Length', String(job.bytes));
    if (job.sha256) res.setHeader('X-Voice-Recording-Sha256', job.sha256);
    stream.on('error', e => res.destroy(e));
    stream.pipe(res);
  });

  // Deleting a job: a queued or running one stops (at its next progress update), a
  // done one's package is deleted; the row goes (the audit trail keeps its history).
  router.delete('/exports/:id', async (req, res) => {
    const actor = await actorOf(req);
    await requireExport(actor, req.params.id);
    const job = await jobFor(actor, req.params.id);
    const keys = await options.blobs
      .list(exportBlobPrefix(job.id))
      .catch(() => [] as string[]);
    // a package under S3 Object Lock (a bucket's default retention) cannot go: refused
    // before anything is deleted, naming the lock and its date
    const s3 = s3StoreOf(options.blobs);
    for (const key of s3 ? keys : []) {
      const lock = await s3!.protection(key).catch(() => undefined);
      if (lock?.retention || lock?.legalHold) {
        const why = [
          lock.retention
            ? `S3 Object Lock ${lock.retention.mode} retention until ${lock.retention.retainUntil.toISOString()}`
            : '',
          lock.legalHold ? 'an S3 legal hold' : '',
        ]
          .filter(Boolean)
          .join(' and ');
        const error = new ConflictError(
          `export ${job.id}: its package is write-once in object storage (${why}); it cannot be deleted ${
            lock.retention
              ? `before ${lock.retention.retainUntil.toISOString()}`
              : 'while the legal hold is on'
          }`,
        );
        await audit.record({
          actor,
          action: 'export-delete',
          targetType: 'export',
          targetId: job.id,
          severity: 'medium',
          error,
          outcome: 'refused',
        });
        throw error;
      }
    }
    await jobs.delete(job.id);
    // the package, and what a build in progress or a taken-over one wrote
    for (const key of [
      ...new Set([
        ...keys,
        ...(await options.blobs
          .list(exportBlobPrefix(job.id))
          .catch(() => [] as string[])),
      ]),
    ])
      await options.blobs.delete(key).catch(() => false);
    await audit.record({
      actor,
      action: 'export-delete',
      targetType: 'export',
      targetId: job.id,
      details: {
        scopeTitle: job.scopeTitle,
        state: job.state,
        requestedBy: job.requestedBy,
      },
      severity: 'medium',
    });
    res.status(204).end();
  });
}
