import {
  HttpAuthService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { NotAllowedError } from '@backstage/errors';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { voiceRecordingLegalHoldManagePermission } from '@mvr/plugin-voice-recording-common';
import express, { Request } from 'express';
import { Actor, actorRefOf, AuditRecorder } from '../AuditRecorder';
import { parseInput } from '../errors';
import { LegalHoldsService } from './LegalHoldsService';
import {
  legalHoldListSchema,
  legalHoldSchema,
  releaseCommentSchema,
  releaseReasonSchema,
} from './schemas';

export interface LegalHoldRoutesOptions {
  httpAuth: HttpAuthService;
  permissions: PermissionsService;
  audit: AuditRecorder;
  legalHolds: LegalHoldsService;
}

/**
 * The routes of docs/api.md "Legal holds": every one requires a user's credentials and
 * `voice-recording.legal-hold.manage` (admins); refusals are audited.
 */
export function addLegalHoldRoutes(
  router: express.Router,
  options: LegalHoldRoutesOptions,
) {
  const { httpAuth, permissions, audit, legalHolds } = options;

  const admin = async (req: Request): Promise<Actor> => {
    const credentials = await httpAuth.credentials(req, { allow: ['user'] });
    const actor: Actor = {
      credentials,
      ref: actorRefOf(credentials),
      request: req,
    };
    const [d] = await permissions.authorize(
      [{ permission: voiceRecordingLegalHoldManagePermission }],
      { credentials },
    );
    if (d.result !== AuthorizeResult.ALLOW) {
      const id = req.params.id;
      await audit.record({
        actor,
        action: 'permission-denied',
        ...(id ? { targetType: 'legal-hold', targetId: id } : {}),
        details: { permission: voiceRecordingLegalHoldManagePermission.name },
        severity: 'medium',
      });
      throw new NotAllowedError(
        `${actor.ref} is not allowed: ${voiceRecordingLegalHoldManagePermission.name}`,
      );
    }
    return actor;
  };

  router.get('/legal-holds', async (req, res) => {
    await admin(req);
    const q = parseInput(legalHoldListSchema, req.query, 'query');
    res.json({ items: await legalHolds.list(q) });
  });

  router.get('/legal-holds/:id', async (req, res) => {
    await admin(req);
    res.json(await legalHolds.get(req.params.id));
  });

  router.post('/legal-holds', async (req, res) => {
    const actor = await admin(req);
    const input = parseInput(legalHoldSchema, req.body ?? {});
    res.status(201).json(await legalHolds.place(actor, input));
  });

  router.post('/legal-holds/:id/release-request', async (req, res) => {
    const actor = await admin(req);
    const { reason } = parseInput(releaseReasonSchema, req.body ?? {});
    res.json(await legalHolds.requestRelease(actor, req.params.id, reason));
  });

  router.post('/legal-holds/:id/release-approve', async (req, res) => {
    const actor = await admin(req);
    const { comment } = parseInput(releaseCommentSchema, req.body ?? {});
    res.json(await legalHolds.approveRelease(actor, req.params.id, comment));
  });

  router.post('/legal-holds/:id/release-reject', async (req, res) => {
    const actor = await admin(req);
    const { reason } = parseInput(releaseReasonSchema, req.body ?? {});
    res.json(await legalHolds.rejectRelease(actor, req.params.id, reason));
  });

  router.post('/legal-holds/:id/release-cancel', async (req, res) => {
    const actor = await admin(req);
    const { comment } = parseInput(releaseCommentSchema, req.body ?? {});
    res.json(await legalHolds.cancelRelease(actor, req.params.id, comment));
  });
}
