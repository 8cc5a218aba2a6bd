import { HttpAuthService } from '@backstage/backend-plugin-api';
import {
  csvRow,
  voiceRecordingComplianceManagePermission,
} from '@mvr/plugin-voice-recording-common';
import { stringify as stringifyCsv } from 'csv-stringify/sync';
import express, { Request } from 'express';
import { RetentionStore } from '../../database/RetentionStore';
import { AccessControl } from '../AccessControl';
import { Actor, actorRefOf, AuditRecorder } from '../AuditRecorder';
import { parseInput } from '../errors';
import { DisposalJob } from './DisposalJob';
import { RetentionService } from './RetentionService';
import {
  disposalsQuerySchema,
  dryRunSchema,
  retentionPolicyInputSchema,
  runsQuerySchema,
  upcomingQuerySchema,
} from './schemas';

export interface RetentionRoutesOptions {
  httpAuth: HttpAuthService;
  access: AccessControl;
  audit: AuditRecorder;
  retention: RetentionService;
  store: RetentionStore;
  disposal: DisposalJob;
}

const DAY_MS = 86_400_000;

/**
 * Retention policies and disposals (docs/api.md "Retention and disposal"); every route
 * needs `voice-recording.compliance.manage` (admins). Policy changes, runs, dry runs and
 * CSV downloads of the disposal log are audited.
 */
export function addRetentionRoutes(
  router: express.Router,
  options: RetentionRoutesOptions,
) {
  const { httpAuth, access, audit, retention, store, disposal } = options;

  const admin = async (req: Request): Promise<Actor> => {
    const credentials = await httpAuth.credentials(req, {
      allow: ['user', 'service'],
    });
    const actor = { credentials, ref: actorRefOf(credentials), request: req };
    await access.require(actor, voiceRecordingComplianceManagePermission);
    return actor;
  };

  router.get('/retention/policies', async (req, res) => {
    await admin(req);
    res.json(await retention.overview());
  });

  router.get('/retention/policies/:id', async (req, res) => {
    await admin(req);
    res.json(await retention.get(req.params.id));
  });

  router.post('/retention/policies', async (req, res) => {
    const actor = await admin(req);
    const input = parseInput(retentionPolicyInputSchema, req.body ?? {});
    res.status(201).json(await retention.create(actor, input));
  });

  router.put('/retention/policies/:id', async (req, res) => {
    const actor = await admin(req);
    const input = parseInput(retentionPolicyInputSchema, req.body ?? {});
    res.json(await retention.update(actor, req.params.id, input));
  });

  router.delete('/retention/policies/:id', async (req, res) => {
    const actor = await admin(req);
    await retention.delete(actor, req.params.id);
    res.status(204).end();
  });

  router.get('/retention/upcoming', async (req, res) => {
    await admin(req);
    const q = parseInput(upcomingQuerySchema, req.query, 'query');
    const until = new Date(Date.now() + q.days * DAY_MS);
    const page = await store.upcoming(until, {
      limit: q.limit,
      offset: q.offset,
    });
    res.json({ until: until.toISOString(), ...page });
  });

  router.get('/disposals', async (req, res) => {
    const actor = await admin(req);
    const q = parseInput(disposalsQuerySchema, req.query, 'query');
    if (q.format !== 'csv') {
      res.json(await store.listRecords(q));
      return;
    }
    const { items } = await store.listRecords({ ...q, offset: 0 });
    await audit.record({
      actor,
      action: 'disposal-log-export',
      targetType: 'disposal-log',
      severity: 'low',
      details: {
        rows: items.length,
        ...(q.from ? { from: q.from.toISOString() } : {}),
        ...(q.to ? { to: q.to.toISOString() } : {}),
        ...(q.number ? { number: q.number } : {}),
        ...(q.runId ? { runId: q.runId } : {}),
      },
    });
    res
      .type('text/csv; charset=utf-8')
      .attachment('voice-recording-disposals.csv')
      .send(
        stringifyCsv(
          // numbers, parties and policy names come from outside: every cell neutralised
          items.map(i =>
            csvRow({
              conversationId: i.conversationId,
              number: i.number,
              userRef: i.userRef,
              participants: i.participants.join(' '),
              direction: i.direction ?? '',
              startedAt: i.startedAt,
              endedAt: i.endedAt ?? '',
              sha256: i.sha256 ?? '',
              policy: i.policyName ?? 'regulatory minimum',
              retentionUntil: i.retentionUntil,
              disposedAt: i.disposedAt,
              jobRunId: i.jobRunId,
            }),
          ),
          {
            header: true,
            columns: [
              'conversationId',
              'number',
              'userRef',
              'participants',
              'direction',
              'startedAt',
              'endedAt',
              'sha256',
              'policy',
              'retentionUntil',
              'disposedAt',
              'jobRunId',
            ],
          },
        ),
      );
  });

  router.get('/disposals/runs', async (req, res) => {
    await admin(req);
    const q = parseInput(runsQuerySchema, req.query, 'query');
    res.json(await store.listRuns(q));
  });

  router.get('/disposals/problems', async (req, res) => {
    await admin(req);
    res.json({ items: await store.problems() });
  });

  router.post('/disposals/dry-run', async (req, res) => {
    const actor = await admin(req);
    const q = parseInput(dryRunSchema, req.body ?? {});
    const result = await disposal.dryRun(new Date(), q.limit);
    await audit.record({
      actor,
      action: 'disposal-dry-run',
      targetType: 'disposal-run',
      severity: 'low',
      details: { due: result.total, held: result.held },
    });
    res.json(result);
  });

  router.post('/disposals/run', async (req, res) => {
    const actor = await admin(req);
    parseInput(dryRunSchema.pick({}), req.body ?? {});
    res.json(await disposal.run('manual', actor));
  });
}
