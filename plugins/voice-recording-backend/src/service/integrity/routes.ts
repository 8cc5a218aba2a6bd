import {
  HttpAuthService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { PermissionCriteria } from '@backstage/plugin-permission-common';
import { ConditionTransformer } from '@backstage/plugin-permission-node';
import {
  voiceRecordingComplianceManagePermission,
  voiceRecordingConversationReadPermission,
} from '@mvr/plugin-voice-recording-common';
import { ConversationQuery } from '@mvr/plugin-voice-recording-node';
import express from 'express';
import { IntegrityService } from '../../integrity/IntegrityService';
import { Actor, AuditRecorder } from '../AuditRecorder';
import { ConversationsService } from '../conversations/ConversationsService';
import { routeGuards } from '../routeGuards';

export interface IntegrityRoutesOptions {
  httpAuth: HttpAuthService;
  /** With the four-eyes gate when on (router.ts `gated`). */
  permissions: PermissionsService;
  transform: ConditionTransformer<ConversationQuery>;
  audit: AuditRecorder;
  conversations: ConversationsService;
  integrity: IntegrityService;
}

type Visibility = PermissionCriteria<ConversationQuery> | undefined;

/**
 * The routes of docs/api.md "Integrity":
 * - `GET /signing/public-key`: the installation's public key (JSON, or the PEM file
 *   with `?format=pem`); any caller allowed `voice-recording.conversation.read` (all
 *   users of the suite: the key is public, recipients of exports need it);
 * - `GET /conversations/:id/signatures` and `POST /conversations/:id/verify`: on a
 *   conversation the caller may see (as `GET /conversations/:id`); the verification is
 *   audited;
 * - `GET /integrity` and `POST /integrity/sweep`: `voice-recording.compliance.manage`.
 */
export function addIntegrityRoutes(
  router: express.Router,
  options: IntegrityRoutesOptions,
) {
  const { transform, audit, conversations, integrity } = options;
  const { actorOf, require, criteria } = routeGuards(options);

  const readVisibility = (
    actor: Actor,
    targetId?: string,
  ): Promise<Visibility> =>
    criteria(
      actor,
      voiceRecordingConversationReadPermission,
      transform,
      targetId ? { type: 'conversation', id: targetId } : undefined,
    );

  const requireManage = (actor: Actor) =>
    require(actor, voiceRecordingComplianceManagePermission);

  router.get('/signing/public-key', async (req, res) => {
    const actor = await actorOf(req);
    await readVisibility(actor);
    if (req.query.format === 'pem') {
      res
        .type('application/x-pem-file')
        .attachment(`voice-recording-signing-key-${integrity.keyId}.pem`)
        .send(integrity.publicKeyPem);
      return;
    }
    res.json({
      keyId: integrity.keyId,
      algorithm: 'Ed25519',
      publicKeyPem: integrity.publicKeyPem,
    });
  });

  router.get('/conversations/:id/signatures', async (req, res) => {
    const actor = await actorOf(req);
    const vis = await readVisibility(actor, req.params.id);
    const c = await conversations.visible(
      actor,
      req.params.id,
      vis,
      'conversation-signatures',
    );
    res.json(await integrity.signaturesOf(c));
  });

  router.post('/conversations/:id/verify', async (req, res) => {
    const actor = await actorOf(req);
    const vis = await readVisibility(actor, req.params.id);
    const c = await conversations.visible(
      actor,
      req.params.id,
      vis,
      'conversation-verify',
    );
    res.json(await integrity.verifyOnRequest(actor, c));
  });

  router.get('/integrity', async (req, res) => {
    const actor = await actorOf(req);
    await requireManage(actor);
    res.json(await integrity.status());
  });

  router.post('/integrity/sweep', async (req, res) => {
    const actor = await actorOf(req);
    await requireManage(actor);
    await audit.record({
      actor,
      action: 'integrity-sweep-start',
      targetType: 'integrity-sweep',
      severity: 'low',
      details: {},
    });
    res.json(await integrity.sweep());
  });
}
