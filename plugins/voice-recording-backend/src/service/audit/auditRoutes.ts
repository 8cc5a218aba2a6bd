/*
 * The audit trail's verification (docs/api.md "Audit trail", docs/audit-trail.md):
 *
 *   GET /audit/verify   walks the hash chain and the signed daily heads; answers an
 *                       AuditChainVerification (ok, count, head hash, or the first
 *                       broken link). Permission voice-recording.audit.read; audited
 *                       as audit-verify with the result.
 */
import { HttpAuthService } from '@backstage/backend-plugin-api';
import { voiceRecordingAuditReadPermission } from '@mvr/plugin-voice-recording-common';
import express from 'express';
import { AccessControl } from '../AccessControl';
import { actorRefOf, AuditRecorder } from '../AuditRecorder';
import { AuditChainVerifier, verificationDetails } from './AuditChainVerifier';

export interface AuditChainRoutesOptions {
  httpAuth: HttpAuthService;
  access: AccessControl;
  audit: AuditRecorder;
  verifier: AuditChainVerifier;
}

export function addAuditChainRoutes(
  router: express.Router,
  options: AuditChainRoutesOptions,
) {
  const { httpAuth, access, audit, verifier } = options;
  router.get('/audit/verify', async (req, res) => {
    const credentials = await httpAuth.credentials(req, {
      allow: ['user', 'service'],
    });
    const actor = { credentials, ref: actorRefOf(credentials), request: req };
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
