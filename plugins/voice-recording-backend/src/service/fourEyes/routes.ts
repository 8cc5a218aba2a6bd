import {
  HttpAuthService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { NotAllowedError } from '@backstage/errors';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { voiceRecordingFourEyesManagePermission } from '@mvr/plugin-voice-recording-common';
import express, { Request } from 'express';
import { Actor, actorRefOf, AuditRecorder } from '../AuditRecorder';
import { parseInput } from '../errors';
import { FourEyesService } from './FourEyesService';
import { fourEyesFlagSchema, userRefSchema } from './schemas';

export interface FourEyesRoutesOptions {
  httpAuth: HttpAuthService;
  /** Backstage's decisions (the flag management permission). */
  permissions: PermissionsService;
  audit: AuditRecorder;
  fourEyes: FourEyesService;
}

/**
 * The routes of docs/api.md "Four-eyes access". Users only (signed in); the flags need
 * `voice-recording.four-eyes.manage`; asking, the status and the decisions are checked
 * against the caller (the flagged user; the observer or a member of the observer group).
 */
export function addFourEyesRoutes(
  router: express.Router,
  options: FourEyesRoutesOptions,
) {
  const { httpAuth, permissions, audit, fourEyes } = options;

  const actorOf = async (req: Request): Promise<Actor> => {
    const credentials = await httpAuth.credentials(req, { allow: ['user'] });
    return { credentials, ref: actorRefOf(credentials), request: req };
  };

  const requireManage = async (actor: Actor) => {
    const [d] = await permissions.authorize(
      [{ permission: voiceRecordingFourEyesManagePermission }],
      { credentials: actor.credentials },
    );
    if (d.result === AuthorizeResult.ALLOW) return;
    await audit.record({
      actor,
      action: 'permission-denied',
      details: { permission: voiceRecordingFourEyesManagePermission.name },
      severity: 'medium',
    });
    throw new NotAllowedError(
      `${actor.ref} is not allowed: ${voiceRecordingFourEyesManagePermission.name}`,
    );
  };

  // ---- flags (admins)
  router.get('/four-eyes/users', async (req, res) => {
    const actor = await actorOf(req);
    await requireManage(actor);
    res.json({ items: await fourEyes.listFlags() });
  });

  router.put('/four-eyes/users', async (req, res) => {
    const actor = await actorOf(req);
    await requireManage(actor);
    const { userRef, observerRef } = parseInput(fourEyesFlagSchema, req.body);
    res.json(await fourEyes.setFlag(actor, userRef, observerRef));
  });

  router.delete('/four-eyes/users/:userRef', async (req, res) => {
    const actor = await actorOf(req);
    await requireManage(actor);
    const userRef = parseInput(userRefSchema, req.params.userRef, 'userRef');
    await fourEyes.clearFlag(actor, userRef);
    res.status(204).end();
  });

  // ---- the flagged user
  router.get('/me/four-eyes', async (req, res) => {
    const actor = await actorOf(req);
    res.json(await fourEyes.status(actor));
  });

  router.post('/me/four-eyes/sessions', async (req, res) => {
    const actor = await actorOf(req);
    res.status(201).json(await fourEyes.ask(actor));
  });

  // ---- observers
  router.get('/four-eyes/sessions', async (req, res) => {
    const actor = await actorOf(req);
    res.json({ items: await fourEyes.pendingForMe(actor) });
  });

  router.get('/four-eyes/sessions/:id', async (req, res) => {
    const actor = await actorOf(req);
    res.json(await fourEyes.getSession(actor, req.params.id));
  });

  router.post('/four-eyes/sessions/:id/confirm', async (req, res) => {
    const actor = await actorOf(req);
    res.json(await fourEyes.decide(actor, req.params.id, true));
  });

  router.post('/four-eyes/sessions/:id/reject', async (req, res) => {
    const actor = await actorOf(req);
    res.json(await fourEyes.decide(actor, req.params.id, false));
  });
}
