/*
 * The audit trail's verification (docs/api.md "Audit trail", docs/audit-trail.md):
 *
 *   GET /audit/verify   walks the hash chain and the signed daily heads; answers an
 *                       AuditChainVerification (ok, count, head hash, or the first
 *                       broken link). Permission voice-recording.audit.read; audited
 *                       as audit-verify with the result.
 *   GET /audit/heads    the signed daily heads, oldest first (for a copy kept outside
 *                       the database and the offline check of `mvr audit-verify
 *                       --public-key`). Permission voice-recording.audit.read.
 */
import { HttpAuthService } from '@backstage/backend-plugin-api';
import { voiceRecordingAuditReadPermission } from '@mvr/plugin-voice-recording-common';
import express from 'express';
import { AuditHeadsStore } from '../../database/AuditHeadsStore';
import { AccessControl } from '../AccessControl';
import { actorRefOf, AuditRecorder } from '../AuditRecorder';
import { AuditChainVerifier, verificationDetails } from './AuditChainVerifier';

export interface AuditChainRoutesOptions {
  httpAuth: HttpAuthService;
  access: AccessControl;
  audit: AuditRecorder;
  verifier: AuditChainVerifier;
  heads: AuditHeadsStore;
}

export function addAuditChainRoutes(
  router: express.Router,
  options: AuditChainRoutesOptions,
) {
  const { httpAuth, access, audit, verifier, heads } = options;
  const actorOf = async (req: express.Request) => {
    const credentials = await httpAuth.credentials(req, {
      allow: ['user', 'service'],
    });
    return { credentials, ref: actorRefOf(credentials), request: req };
  };
  router.get('/audit/heads', async (req, res) => {
    const actor = await actorOf(req);
    await access.require(actor, voiceRecordingAuditReadPermission);
    res.json({ items: await heads.list() });
  });
  router.get('/audit/verify', async (req, res) => {
    const actor = await actorOf(req);
    await access.require(actor, voiceRecordingAuditReadPermission);
    const result = await verifier.verify();
    // recorded after the walk: the next verification covers this entry too
    await audit.record({
      actor,
      action: 'audit-verify',
      targetType: 'audit-trail',
      severity: result.ok ? 'medium' : 'high',
      details: verificationDetails(result),
    });
    res.json(result);
  });
}
