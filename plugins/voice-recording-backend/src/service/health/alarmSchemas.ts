import {
  RECORDING_ALARM_KINDS,
  RECORDING_ALARM_STATES,
  RecordingAlarmKind,
  RecordingAlarmState,
} from '@mvr/plugin-voice-recording-common';
import { z } from 'zod';

/** One value or several (`?state=open&state=acknowledged` or `?state=open,acknowledged`). */
function oneOrMany<T extends string>(values: readonly T[]) {
  return z
    .union([z.string(), z.array(z.string())])
    .transform(v => (Array.isArray(v) ? v : [v]).flatMap(x => x.split(',')))
    .pipe(z.array(z.enum(values as [T, ...T[]])).min(1));
}

/** `GET /health/alarms`: filters and page. */
export const alarmListQuerySchema = z
  .object({
    state: oneOrMany<RecordingAlarmState>(RECORDING_ALARM_STATES).optional(),
    kind: oneOrMany<RecordingAlarmKind>(RECORDING_ALARM_KINDS).optional(),
    numberId: z.string().trim().min(1).max(36).optional(),
    limit: z.coerce.number().int().min(1).max(500).default(50),
    offset: z.coerce.number().int().min(0).default(0),
  })
  .strict();

/** `POST /health/alarms/:id/acknowledge`: what the admin does about it. */
export const acknowledgeAlarmSchema = z
  .object({
    comment: z
      .string({
        required_error: 'required',
        invalid_type_error: 'must be text',
      })
      .trim()
      .min(1, 'required: say what is being done about the alarm')
      .max(2000),
  })
  .strict();
