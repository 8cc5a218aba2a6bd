import { HttpAuthService } from '@backstage/backend-plugin-api';
import { NotAllowedError, serializeError } from '@backstage/errors';
import {
  csvRow,
  voiceRecordingAuditReadPermission,
  voiceRecordingBulkSchedulePermission,
  voiceRecordingNumberCreatePermission,
  voiceRecordingNumberDeletePermission,
  voiceRecordingNumberReadPermission,
  voiceRecordingNumberSelfManagePermission,
  voiceRecordingNumberUpdatePermission,
  voiceRecordingPlanningModelManagePermission,
  voiceRecordingPlanningModelReadPermission,
  voiceRecordingPolicyQueryPermission,
} from '@mvr/plugin-voice-recording-common';
import express, { NextFunction, Request, Response } from 'express';
import Router from 'express-promise-router';
import { AuditLogStore } from '../database';
import { AccessControl } from './AccessControl';
import { Actor, actorRefOf, AuditRecorder } from './AuditRecorder';
import { auditRefusedRequests } from './auditRefusedRequests';
import { BulkScheduleService } from './bulk/BulkScheduleService';
import { DetailedInputError, parseInput } from './errors';
import { NumbersService } from './NumbersService';
import { PlanningModelsService } from './PlanningModelsService';
import { PolicyService } from './PolicyService';
import { channelOf } from './ServicePrincipalPermissions';
import {
  addConversationRoutes,
  ConversationRoutesOptions,
} from './conversations/routes';
import { addCaseRoutes, CaseRoutesOptions } from './cases/routes';
import { addExportRoutes, ExportRoutesOptions } from './exports/routes';
import { addAuditChainRoutes } from './audit/auditRoutes';
import { AuditChainVerifier } from './audit/AuditChainVerifier';
import {
  addLegalHoldRoutes,
  LegalHoldRoutesOptions,
} from './legalHolds/routes';
import { FourEyesPermissions } from './fourEyes/FourEyesPermissions';
import { addFourEyesRoutes, FourEyesRoutesOptions } from './fourEyes/routes';
import { addAlarmRoutes, AlarmRoutesOptions } from './health/alarmRoutes';
import {
  addArchiveJobRoutes,
  ArchiveJobRoutesOptions,
} from './archiveJobs/archiveJobRoutes';
import {
  addIntegrityRoutes,
  IntegrityRoutesOptions,
} from './integrity/routes';
import {
  addRetentionRoutes,
  RetentionRoutesOptions,
} from './retention/routes';
import {
  addCoverageRoutes,
  CoverageRoutesOptions,
} from './health/coverageRoutes';
import { stringify as stringifyCsv } from 'csv-stringify/sync';
import {
  applyPlanningModelSchema,
  auditQuerySchema,
  bulkImportQuerySchema,
  createNumberSchema,
  featureCodeSchema,
  listNumbersQuerySchema,
  planningModelSchema,
  policyDecisionQuerySchema,
  professionalModeSchema,
  slotSchema,
  updateNumberSchema,
} from './schemas';

export interface RouterOptions {
  httpAuth: HttpAuthService;
  access: AccessControl;
  audit: AuditRecorder;
  auditLog: AuditLogStore;
  numbers: NumbersService;
  planningModels: PlanningModelsService;
  bulk: BulkScheduleService;
  policy: PolicyService;
  /** The conversation routes (docs/api.md "Conversations"). */
  conversations?: Omit<
    ConversationRoutesOptions,
    'httpAuth' | 'audit' | 'auditLog'
  >;
  /** Cases, labels and access requests (docs/api.md "Cases"). */
  cases?: Omit<CaseRoutesOptions, 'httpAuth' | 'audit'>;
  /**
   * Four-eyes access (docs/api.md "Four-eyes access"); when given, the conversation and
   * case routes check their permissions through its gate (FourEyesPermissions).
   */
  fourEyes?: Omit<FourEyesRoutesOptions, 'httpAuth' | 'audit'>;
  /** Legal holds on cases (docs/api.md "Legal holds"). */
  legalHolds?: Omit<LegalHoldRoutesOptions, 'httpAuth' | 'audit'>;
  /** Regulator and client exports (docs/api.md "Regulator exports"). */
  exports?: Omit<ExportRoutesOptions, 'httpAuth' | 'audit'>;
  /** The audit trail's hash chain verification (docs/audit-trail.md). */
  auditChain?: AuditChainVerifier;
  /** Signed recordings and the integrity sweep (docs/api.md "Integrity"). */
  integrity?: Omit<IntegrityRoutesOptions, 'httpAuth' | 'audit'>;
  /** Recording health: the alarms (docs/api.md "Recording health"). */
  alarms?: Omit<AlarmRoutesOptions, 'httpAuth' | 'audit' | 'access'>;
  /** Recording health: coverage and the assurance report (docs/api.md "Recording health"). */
  coverage?: Omit<CoverageRoutesOptions, 'httpAuth' | 'audit' | 'access'>;
  /** Retention policies and disposals (docs/api.md "Retention and disposal"). */
  retention?: Omit<RetentionRoutesOptions, 'httpAuth' | 'audit' | 'access'>;
  /** The archive work queue's figures, jobs and retries (docs/api.md "Archive work queue"). */
  archiveJobs?: Omit<ArchiveJobRoutesOptions, 'httpAuth' | 'audit' | 'access'>;
}

/**
 * The REST API of docs/api.md. Each handler: credentials, permission, input
 * validation, then the action in a service.
 */
export async function createRouter(
  options: RouterOptions,
): Promise<express.Router> {
  const {
    httpAuth,
    access,
    numbers,
    planningModels,
    bulk,
    policy,
    auditLog,
    audit,
  } = options;
  const router = Router();
  router.use(express.json({ limit: '1mb' }));

  const actorOf = async (req: Request): Promise<Actor> => {
    const credentials = await httpAuth.credentials(req, {
      allow: ['user', 'service'],
    });
    return { credentials, ref: actorRefOf(credentials), request: req };
  };

  // ---- recorded numbers
  router.get('/numbers', async (req, res) => {
    const actor = await actorOf(req);
    const { filter } = await access.numberFilter(
      actor,
      voiceRecordingNumberReadPermission,
    );
    const query = parseInput(listNumbersQuerySchema, req.query, 'query');
    res.json(await numbers.list(query, filter));
  });

  router.get('/numbers/by-number/:number', async (req, res) => {
    const actor = await actorOf(req);
    const { filter } = await access.numberFilter(
      actor,
      voiceRecordingNumberReadPermission,
    );
    res.json(await numbers.getByNumber(req.params.number, filter));
  });

  router.get('/numbers/:id', async (req, res) => {
    const actor = await actorOf(req);
    const { filter } = await access.numberFilter(
      actor,
      voiceRecordingNumberReadPermission,
    );
    res.json(await numbers.get(req.params.id, filter));
  });

  router.post('/numbers', async (req, res) => {
    const actor = await actorOf(req);
    await access.require(actor, voiceRecordingNumberCreatePermission);
    const input = parseInput(createNumberSchema, req.body);
    res.status(201).json(await numbers.create(actor, input));
  });

  router.patch('/numbers/:id', async (req, res) => {
    const actor = await actorOf(req);
    const existing = await access.requireOnNumber(
      actor,
      voiceRecordingNumberUpdatePermission,
      req.params.id,
    );
    const patch = parseInput(updateNumberSchema, req.body);
    res.json(await numbers.update(actor, existing, patch));
  });

  router.delete('/numbers/:id', async (req, res) => {
    const actor = await actorOf(req);
    const existing = await access.requireOnNumber(
      actor,
      voiceRecordingNumberDeletePermission,
      req.params.id,
    );
    await numbers.delete(actor, existing);
    res.status(204).end();
  });

  router.post('/numbers/:id/slots', async (req, res) => {
    const actor = await actorOf(req);
    const existing = await access.requireOnNumber(
      actor,
      voiceRecordingNumberUpdatePermission,
      req.params.id,
    );
    const slot = parseInput(slotSchema, req.body);
    res.status(201).json(await numbers.addSlot(actor, existing, slot));
  });

  router.delete('/numbers/:id/slots/:slotId', async (req, res) => {
    const actor = await actorOf(req);
    const existing = await access.requireOnNumber(
      actor,
      voiceRecordingNumberUpdatePermission,
      req.params.id,
    );
    res.json(await numbers.deleteSlot(actor, existing, req.params.slotId));
  });

  router.post('/numbers/:id/apply-planning-model', async (req, res) => {
    const actor = await actorOf(req);
    const existing = await access.requireOnNumber(
      actor,
      voiceRecordingNumberUpdatePermission,
      req.params.id,
    );
    const { planningModelId } = parseInput(applyPlanningModelSchema, req.body);
    res.json(
      await numbers.applyPlanningModel(actor, existing, planningModelId),
    );
  });

  router.post('/numbers/:id/professional-mode', async (req, res) => {
    const actor = await actorOf(req);
    const existing = await access.requireOnNumber(
      actor,
      voiceRecordingNumberSelfManagePermission,
      req.params.id,
    );
    const { enabled } = parseInput(professionalModeSchema, req.body);
    // via the caller's channel: `portal` for users, `network` for the network's token
    // (which may only do what the user's #135# may: ServicePrincipalPermissions)
    res.json(
      await numbers.setProfessionalMode(
        actor,
        existing,
        enabled,
        channelOf(actor.credentials),
      ),
    );
  });

  router.get('/me/numbers', async (req, res) => {
    const credentials = await httpAuth.credentials(req, { allow: ['user'] });
    const actor: Actor = {
      credentials,
      ref: actorRefOf(credentials),
      request: req,
    };
    const { filter } = await access.numberFilter(
      actor,
      voiceRecordingNumberReadPermission,
    );
    res.json(await numbers.listMine(actor, filter));
  });

  // ---- network integration
  router.post('/network/feature-code', async (req, res) => {
    const actor = await actorOf(req);
    if ((actor.credentials.principal as { type: string }).type !== 'service') {
      await audit.record({
        actor,
        action: 'permission-denied',
        details: {
          permission: voiceRecordingNumberSelfManagePermission.name,
          reason: 'service principals only',
        },
      });
      throw new NotAllowedError(
        'the feature-code endpoint is for service principals (the network) only',
      );
    }
    // refuses early when the policy denies outright; the number is checked below
    await access.numberFilter(actor, voiceRecordingNumberSelfManagePermission);
    const input = parseInput(featureCodeSchema, req.body);
    const found = await numbers.getByNumber(input.number);
    const existing = await access.requireOnNumber(
      actor,
      voiceRecordingNumberSelfManagePermission,
      found.id,
    );
    res.json(await numbers.featureCode(actor, existing));
  });

  router.get('/policy/decision', async (req, res) => {
    const actor = await actorOf(req);
    await access.require(actor, voiceRecordingPolicyQueryPermission);
    const query = parseInput(policyDecisionQuerySchema, req.query, 'query');
    res.json(await policy.decide(query));
  });

  // ---- planning models
  router.get('/planning-models', async (req, res) => {
    const actor = await actorOf(req);
    await access.require(actor, voiceRecordingPlanningModelReadPermission);
    res.json(await planningModels.list());
  });

  router.get('/planning-models/:id', async (req, res) => {
    const actor = await actorOf(req);
    await access.require(actor, voiceRecordingPlanningModelReadPermission);
    res.json(await planningModels.get(req.params.id));
  });

  router.post('/planning-models', async (req, res) => {
    const actor = await actorOf(req);
    await access.require(actor, voiceRecordingPlanningModelManagePermission);
    const input = parseInput(planningModelSchema, req.body);
    res.status(201).json(await planningModels.create(actor, input));
  });

  router.put('/planning-models/:id', async (req, res) => {
    const actor = await actorOf(req);
    await access.require(actor, voiceRecordingPlanningModelManagePermission);
    const input = parseInput(planningModelSchema, req.body);
    res.json(await planningModels.update(actor, req.params.id, input));
  });

  router.delete('/planning-models/:id', async (req, res) => {
    const actor = await actorOf(req);
    await access.require(actor, voiceRecordingPlanningModelManagePermission);
    await planningModels.delete(actor, req.params.id);
    res.status(204).end();
  });

  // ---- bulk scheduling
  router.get('/bulk/template', async (req, res) => {
    const actor = await actorOf(req);
    await access.require(actor, voiceRecordingBulkSchedulePermission);
    res
      .type('text/csv; charset=utf-8')
      .attachment('voice-recording-template.csv')
      .send(await bulk.template());
  });

  router.get('/bulk/export', async (req, res) => {
    const actor = await actorOf(req);
    await access.require(actor, voiceRecordingBulkSchedulePermission);
    const { csv, skipped } = await bulk.export();
    res
      .type('text/csv; charset=utf-8')
      .attachment('voice-recording-numbers.csv')
      .setHeader('X-Voice-Recording-Skipped', String(skipped));
    res.send(csv);
  });

  router.post(
    '/bulk/import',
    express.raw({ type: () => true, limit: '20mb' }),
    async (req, res) => {
      const actor = await actorOf(req);
      await access.require(actor, voiceRecordingBulkSchedulePermission);
      const { dryRun } = parseInput(bulkImportQuerySchema, req.query, 'query');
      const body: Buffer = Buffer.isBuffer(req.body)
        ? req.body
        : Buffer.from(String(req.body ?? ''));
      res.json(await bulk.import(actor, body, dryRun ?? false));
    },
  );

  // ---- audit
  router.get('/audit', async (req, res) => {
    const actor = await actorOf(req);
    await access.require(actor, voiceRecordingAuditReadPermission);
    const q = parseInput(auditQuerySchema, req.query, 'query');
    const { format, ...filters } = q;
    const query = {
      ...filters,
      from: q.from ? new Date(q.from) : undefined,
      to: q.to ? new Date(q.to) : undefined,
    };
    if (format !== 'csv') {
      res.json(await auditLog.list(query));
      return;
    }
    const { items } = await auditLog.list({
      ...query,
      limit: 100_000,
      offset: 0,
    });
    res
      .type('text/csv; charset=utf-8')
      .attachment('voice-recording-audit.csv')
      .send(
        stringifyCsv(
          // every cell neutralised against formula injection (targets, actors and
          // details carry values from outside: numbers, names, SIP metadata)
          items.map(i =>
            csvRow({
              at: i.at,
              actor: i.actorRef,
              action: i.action,
              targetType: i.targetType ?? '',
              targetId: i.targetId ?? '',
              outcome: String((i.details as any)?.outcome ?? ''),
              details: i.details ? JSON.stringify(i.details) : '',
              // the entry's place and hash in the chain (docs/audit-trail.md)
              seq: i.seq !== undefined ? String(i.seq) : '',
              hash: i.hash ?? '',
            }),
          ),
          {
            header: true,
            columns: [
              'at',
              'actor',
              'action',
              'targetType',
              'targetId',
              'outcome',
              'details',
              'seq',
              'hash',
            ],
          },
        ),
      );
  });

  // the four-eyes gate: one wrapper of the permission checks of every route that
  // reads conversations (a flagged user without a confirmed session sees none)
  const gated = <T extends { permissions: CaseRoutesOptions['permissions'] }>(
    o: T,
  ): T =>
    options.fourEyes
      ? {
          ...o,
          permissions: new FourEyesPermissions(
            o.permissions,
            options.fourEyes.fourEyes,
          ),
        }
      : o;

  if (options.conversations) {
    addConversationRoutes(router, {
      ...gated(options.conversations),
      fourEyes: options.fourEyes?.fourEyes,
      httpAuth,
      audit,
      auditLog,
    });
  }

  if (options.cases) {
    addCaseRoutes(router, { ...gated(options.cases), httpAuth, audit });
  }

  if (options.legalHolds) {
    addLegalHoldRoutes(router, { ...options.legalHolds, httpAuth, audit });
  }

  if (options.exports) {
    addExportRoutes(router, { ...gated(options.exports), httpAuth, audit });
  }

  if (options.fourEyes) {
    addFourEyesRoutes(router, { ...options.fourEyes, httpAuth, audit });
  }

  if (options.auditChain) {
    addAuditChainRoutes(router, {
      httpAuth,
      access,
      audit,
      verifier: options.auditChain,
      heads: options.auditChain.headsStore,
    });
  }

  if (options.integrity) {
    addIntegrityRoutes(router, {
      ...gated(options.integrity),
      httpAuth,
      audit,
    });
  }

  if (options.alarms) {
    addAlarmRoutes(router, { ...options.alarms, httpAuth, audit, access });
  }

  if (options.coverage) {
    addCoverageRoutes(router, { ...options.coverage, httpAuth, audit, access });
  }

  if (options.retention) {
    addRetentionRoutes(router, { ...options.retention, httpAuth, audit, access });
  }

  if (options.archiveJobs) {
    addArchiveJobRoutes(router, {
      ...options.archiveJobs,
      httpAuth,
      audit,
      access,
    });
  }

  // Refused writes (4xx on POST/PUT/PATCH/DELETE) are audited here, once.
  router.use(
    auditRefusedRequests({
      httpAuth,
      audit,
      numberOf: id =>
        numbers.get(id).then(
          n => n.number,
          () => undefined,
        ),
    }),
  );

  // Validation errors with several items: Backstage's error body plus `details`.
  router.use((err: Error, req: Request, res: Response, next: NextFunction) => {
    if (err instanceof DetailedInputError) {
      res.status(400).json({
        error: serializeError(err, { includeStack: false }),
        request: { method: req.method, url: req.originalUrl },
        response: { statusCode: 400 },
        details: err.details,
      });
      return;
    }
    next(err);
  });

  return router;
}
