import { HttpAuthService } from '@backstage/backend-plugin-api';
import {
  voiceRecordingHealthAcknowledgePermission,
  voiceRecordingHealthReadPermission,
} from '@mvr/plugin-voice-recording-common';
import express, { Request } from 'express';
import { AccessControl } from '../AccessControl';
import { Actor, actorRefOf, AuditRecorder } from '../AuditRecorder';
import { parseInput } from '../errors';
import { acknowledgeAlarmSchema, alarmListQuerySchema } from './alarmSchemas';
import { RecordingAlarmsService } from './RecordingAlarmsService';

export interface AlarmRoutesOptions {
  httpAuth: HttpAuthService;
  access: AccessControl;
  audit: AuditRecorder;
  alarms: RecordingAlarmsService;
}

/**
 * The alarm routes of docs/api.md "Recording health": the list (needs
 * `voice-recording.health.read`) and the acknowledgement with a comment (needs
 * `voice-recording.health.acknowledge`). Refusals are audited (AccessControl).
 */
export function addAlarmRoutes(
  router: express.Router,
  options: AlarmRoutesOptions,
) {
  const { httpAuth, access, alarms } = options;

  const actorOf = async (
    req: Request,
    allow: Array<'user' | 'service'>,
  ): Promise<Actor> => {
    const credentials = await httpAuth.credentials(req, { allow });
    return { credentials, ref: actorRefOf(credentials), request: req };
  };

  router.get('/health/alarms', async (req, res) => {
    // the catalog module reads the open alarms for the numbers' entities
    const actor = await actorOf(req, ['user', 'service']);
    await access.require(actor, voiceRecordingHealthReadPermission);
    const q = parseInput(alarmListQuerySchema, req.query, 'query');
    res.json(await alarms.list(q));
  });

  router.post('/health/alarms/:id/acknowledge', async (req, res) => {
    // a person acknowledges, with their name on it
    const actor = await actorOf(req, ['user']);
    await access.require(actor, voiceRecordingHealthAcknowledgePermission);
    const { comment } = parseInput(acknowledgeAlarmSchema, req.body ?? {});
    res.json(await alarms.acknowledge(req.params.id, comment, actor));
  });
}
