import {
  HttpAuthService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { NotFoundError } from '@backstage/errors';
import {
  AuthorizeResult,
  BasicPermission,
  PermissionCriteria,
} from '@backstage/plugin-permission-common';
import { ConditionTransformer } from '@backstage/plugin-permission-node';
import {
  Case,
  voiceRecordingAccessRequestCreatePermission,
  voiceRecordingAccessRequestDecidePermission,
  voiceRecordingCaseLabelPermission,
  voiceRecordingCaseManagePermission,
  voiceRecordingCaseReadPermission,
  voiceRecordingConversationReadPermission,
} from '@mvr/plugin-voice-recording-common';
import { CaseQuery, ConversationQuery } from '@mvr/plugin-voice-recording-node';
import express, { Request } from 'express';
import { caseClaimsOf, CasesStore } from '../../database/CasesStore';
import { Actor, AuditRecorder } from '../AuditRecorder';
import { parseInput } from '../errors';
import { ConversationsService } from '../conversations/ConversationsService';
import { routeGuards } from '../routeGuards';
import { AccessRequestsService } from './AccessRequestsService';
import { CasesService } from './CasesService';
import {
  accessRequestListSchema,
  accessRequestSchema,
  caseListQuerySchema,
  casePatchSchema,
  caseSchema,
  decisionSchema,
  labelPatchSchema,
  labelSchema,
  myAccessRequestListSchema,
  rejectionSchema,
} from './schemas';

export interface CaseRoutesOptions {
  httpAuth: HttpAuthService;
  permissions: PermissionsService;
  audit: AuditRecorder;
  cases: CasesService;
  casesStore: CasesStore;
  accessRequests: AccessRequestsService;
  conversations: ConversationsService;
  conversationTransform: ConditionTransformer<ConversationQuery>;
  caseTransform: ConditionTransformer<CaseQuery>;
}

/**
 * The routes of docs/api.md "Cases, labels and access requests". Each: credentials,
 * permission, input validation, then the action (audited in the services).
 */
export function addCaseRoutes(
  router: express.Router,
  options: CaseRoutesOptions,
) {
  const { permissions, audit, cases, casesStore, accessRequests } = options;

  const {
    actorOf,
    deny,
    allowed,
    require: requirePermission,
  } = routeGuards({ ...options, allow: ['user'] });

  /**
   * Requires `case.read`; which cases and labels the caller learns of, and how:
   * - those who manage cases (admins): every case and label, with the users and groups
   *   the settings name;
   * - others: the settings' modes only, and (`viewerClaims`) only the open cases that
   *   give them a right (list, play back or label: by the case settings, as owner or by
   *   an approved request), the claims of their `conversation.read` decision: an
   *   employee does not learn that a case (an investigation) exists, nor that their
   *   call is in it. Whoever reads every conversation (ALLOW) sees every label on them,
   *   so every case; a refused `conversation.read` sees none.
   */
  const caseView = async (
    actor: Actor,
  ): Promise<{ shown: (c: Case) => unknown; viewerClaims?: string[] }> => {
    const [read, manage] = await permissions.authorize(
      [
        { permission: voiceRecordingCaseReadPermission },
        { permission: voiceRecordingCaseManagePermission },
      ],
      { credentials: actor.credentials },
    );
    if (read.result !== AuthorizeResult.ALLOW)
      await deny(actor, voiceRecordingCaseReadPermission.name);
    if (manage.result === AuthorizeResult.ALLOW) return { shown: c => c };
    const shown = (c: Case) => ({
      ...c,
      access: {
        list: { mode: c.access.list.mode },
        playback: { mode: c.access.playback.mode },
        label: { mode: c.access.label.mode },
      },
    });
    const [rd] = await permissions.authorizeConditional(
      [{ permission: voiceRecordingConversationReadPermission }],
      { credentials: actor.credentials },
    );
    if (rd.result === AuthorizeResult.ALLOW) return { shown };
    if (rd.result === AuthorizeResult.DENY) return { shown, viewerClaims: [] };
    return {
      shown,
      viewerClaims: caseClaimsOf(
        options.conversationTransform((rd as any).conditions),
      ),
    };
  };

  // ---- labels
  router.get('/labels', async (req, res) => {
    const actor = await actorOf(req);
    const { viewerClaims } = await caseView(actor);
    res.json({ items: await cases.listLabels(viewerClaims) });
  });

  router.post('/labels', async (req, res) => {
    const actor = await actorOf(req);
    await requirePermission(actor, voiceRecordingCaseManagePermission);
    const input = parseInput(labelSchema, req.body);
    res.status(201).json(await cases.createLabel(actor, input));
  });

  router.patch('/labels/:id', async (req, res) => {
    const actor = await actorOf(req);
    await requirePermission(actor, voiceRecordingCaseManagePermission, {
      type: 'label',
      id: req.params.id,
    });
    const patch = parseInput(labelPatchSchema, req.body);
    res.json(await cases.updateLabel(actor, req.params.id, patch));
  });

  // ---- cases
  router.get('/cases', async (req, res) => {
    const actor = await actorOf(req);
    const { shown, viewerClaims } = await caseView(actor);
    const q = parseInput(caseListQuerySchema, req.query, 'query');
    res.json({
      items: (await cases.listCases({ ...q, viewerClaims })).map(shown),
    });
  });

  // The request form's choice: every open case's id and title, nothing else of it, for
  // every signed-in user who may request access; and the longest a request may run.
  router.get('/requestable-cases', async (req, res) => {
    const actor = await actorOf(req);
    await requirePermission(actor, voiceRecordingAccessRequestCreatePermission);
    res.json({
      items: await cases.listRequestableCases(),
      maxExpiryDays: accessRequests.maxExpiryDays,
    });
  });

  router.get('/cases/:id', async (req, res) => {
    const actor = await actorOf(req);
    const { shown, viewerClaims } = await caseView(actor);
    const id = req.params.id;
    const valid = /^[0-9a-f-]{36}$/i.test(id);
    const c = valid ? await cases.getCase(id, viewerClaims) : undefined;
    if (!c) {
      // a case that exists but gives the caller no right: as if it did not (audited)
      if (valid && viewerClaims && (await cases.getCase(id)))
        await audit.record({
          actor,
          action: 'permission-denied',
          targetType: 'case',
          targetId: id,
          details: { permission: voiceRecordingCaseReadPermission.name },
          severity: 'medium',
        });
      throw new NotFoundError(`case ${id} not found`);
    }
    res.json(shown(c));
  });

  router.post('/cases', async (req, res) => {
    const actor = await actorOf(req);
    await requirePermission(actor, voiceRecordingCaseManagePermission);
    const { label, labelId, ...input } = parseInput(caseSchema, req.body);
    res
      .status(201)
      .json(
        await cases.createCase(actor, { ...input, labelId, newLabel: label }),
      );
  });

  router.patch('/cases/:id', async (req, res) => {
    const actor = await actorOf(req);
    await requirePermission(actor, voiceRecordingCaseManagePermission, {
      type: 'case',
      id: req.params.id,
    });
    const patch = parseInput(casePatchSchema, req.body);
    res.json(await cases.updateCase(actor, req.params.id, patch));
  });

  // ---- labels on conversations (a case's label: its owner, the label right, admins)
  const changeLabel = async (req: Request, add: boolean) => {
    const actor = await actorOf(req);
    const { id, labelId } = req.params;
    const label = /^[0-9a-f-]{36}$/i.test(labelId)
      ? await casesStore.getLabel(labelId)
      : undefined;
    if (!label) throw new NotFoundError(`label ${labelId} not found`);
    if (label.caseId) {
      const [d] = await permissions.authorizeConditional(
        [{ permission: voiceRecordingCaseLabelPermission }],
        { credentials: actor.credentials },
      );
      const target = { type: 'case', id: label.caseId };
      if (d.result === AuthorizeResult.DENY)
        await deny(actor, voiceRecordingCaseLabelPermission.name, target);
      if (d.result === AuthorizeResult.CONDITIONAL) {
        const criteria = options.caseTransform(
          (d as any).conditions,
        ) as PermissionCriteria<CaseQuery>;
        if (!(await casesStore.getCase(label.caseId, criteria)))
          await deny(actor, voiceRecordingCaseLabelPermission.name, target);
      }
    } else {
      // a label of no case: the admins' (case.manage)
      await requirePermission(actor, voiceRecordingCaseManagePermission, {
        type: 'label',
        id: labelId,
      });
    }
    // the conversation must be one the caller sees (404 otherwise, as for details)
    const [rd] = await permissions.authorizeConditional(
      [{ permission: voiceRecordingConversationReadPermission }],
      { credentials: actor.credentials },
    );
    if (rd.result === AuthorizeResult.DENY)
      await deny(actor, voiceRecordingConversationReadPermission.name, {
        type: 'conversation',
        id,
      });
    const vis =
      rd.result === AuthorizeResult.CONDITIONAL
        ? options.conversationTransform((rd as any).conditions)
        : undefined;
    const action = add ? 'conversation-label-add' : 'conversation-label-remove';
    const c = await options.conversations.visible(actor, id, vis, action);
    const changed = add
      ? await casesStore.addConversationLabel(c.id, label.id, actor.ref)
      : await casesStore.removeConversationLabel(c.id, label.id);
    await audit.record({
      actor,
      action,
      targetType: 'conversation',
      targetId: c.id,
      details: {
        labelId: label.id,
        labelTitle: label.title,
        ...(label.caseId ? { caseId: label.caseId } : {}),
        changed,
        number: c.number,
        userRef: c.userRef,
      },
    });
    const labels =
      (
        await casesStore.labelsOf([c.id], vis ? caseClaimsOf(vis) : undefined)
      ).get(c.id) ?? [];
    return { labels, changed };
  };

  router.put('/conversations/:id/labels/:labelId', async (req, res) => {
    res.json(await changeLabel(req, true));
  });

  router.delete('/conversations/:id/labels/:labelId', async (req, res) => {
    res.json(await changeLabel(req, false));
  });

  // ---- access requests
  router.post('/access-requests', async (req, res) => {
    const actor = await actorOf(req);
    await requirePermission(actor, voiceRecordingAccessRequestCreatePermission);
    const input = parseInput(accessRequestSchema, req.body);
    res.status(201).json(await accessRequests.create(actor, input));
  });

  router.get('/me/access-requests', async (req, res) => {
    const actor = await actorOf(req);
    await requirePermission(actor, voiceRecordingAccessRequestCreatePermission);
    const { as, ...q } = parseInput(
      myAccessRequestListSchema,
      req.query,
      'query',
    );
    res.json(
      await accessRequests.list(
        as === 'manager'
          ? { ...q, managerRef: actor.ref }
          : { ...q, requesterRef: actor.ref },
      ),
    );
  });

  router.get('/access-requests', async (req, res) => {
    const actor = await actorOf(req);
    await requirePermission(actor, voiceRecordingAccessRequestDecidePermission);
    const { requester, ...q } = parseInput(
      accessRequestListSchema,
      req.query,
      'query',
    );
    res.json(await accessRequests.list({ ...q, requesterRef: requester }));
  });

  router.get('/access-requests/:id', async (req, res) => {
    const actor = await actorOf(req);
    const r = await accessRequests.get(req.params.id);
    // the requester and their approving manager see it; admins see all (others: as if
    // it did not exist)
    const me = actor.ref.toLowerCase();
    if (r.requesterRef !== me && r.managerRef !== me) {
      if (
        !(await allowed(actor, voiceRecordingAccessRequestDecidePermission))
      ) {
        await audit.record({
          actor,
          action: 'permission-denied',
          targetType: 'access-request',
          targetId: r.id,
          details: {
            permission: voiceRecordingAccessRequestDecidePermission.name,
          },
          severity: 'medium',
        });
        throw new NotFoundError(`access request ${req.params.id} not found`);
      }
    }
    res.json(r);
  });

  // ---- decisions: the admins' (access-request.decide) and, when the portal requires
  // the manager's approval, the requester's manager's (access-request.create; the
  // service checks that the caller is that manager)
  const decisions: {
    path: string;
    permission: BasicPermission;
    /** whether a refusal names the request (the admins' decisions) */
    targeted: boolean;
    /** a rejection requires its comment */
    schema: typeof decisionSchema | typeof rejectionSchema;
    act: (actor: Actor, id: string, comment?: string) => Promise<unknown>;
  }[] = [
    {
      path: 'approve',
      permission: voiceRecordingAccessRequestDecidePermission,
      targeted: true,
      schema: decisionSchema,
      act: (actor, id, comment) =>
        accessRequests.decide(actor, id, 'approved', comment),
    },
    {
      path: 'reject',
      permission: voiceRecordingAccessRequestDecidePermission,
      targeted: true,
      schema: rejectionSchema,
      act: (actor, id, comment) =>
        accessRequests.decide(actor, id, 'rejected', comment),
    },
    {
      path: 'manager-approve',
      permission: voiceRecordingAccessRequestCreatePermission,
      targeted: false,
      schema: decisionSchema,
      act: (actor, id, comment) =>
        accessRequests.managerDecide(actor, id, true, comment),
    },
    {
      path: 'manager-reject',
      permission: voiceRecordingAccessRequestCreatePermission,
      targeted: false,
      schema: rejectionSchema,
      act: (actor, id, comment) =>
        accessRequests.managerDecide(actor, id, false, comment),
    },
    {
      path: 'revoke',
      permission: voiceRecordingAccessRequestDecidePermission,
      targeted: true,
      schema: decisionSchema,
      act: (actor, id, comment) => accessRequests.revoke(actor, id, comment),
    },
  ];

  for (const d of decisions) {
    router.post(`/access-requests/:id/${d.path}`, async (req, res) => {
      const actor = await actorOf(req);
      await requirePermission(
        actor,
        d.permission,
        d.targeted ? { type: 'access-request', id: req.params.id } : undefined,
      );
      const { comment } = parseInput(d.schema, req.body ?? {});
      res.json(await d.act(actor, req.params.id, comment));
    });
  }
}
