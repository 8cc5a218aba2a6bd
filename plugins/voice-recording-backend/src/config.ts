import { Config } from '@backstage/config';
import {
  DEFAULT_EMERGENCY_NUMBERS,
  parseWeekdays,
  TimeSlot,
  validateSlots,
  Weekday,
} from '@mvr/plugin-voice-recording-common';
import { IANAZone } from 'luxon';
import nodePath from 'node:path';

export interface SmsHttpConfig {
  url: string;
  token?: string;
  from?: string;
  timeoutMs: number;
  retries: number;
}

export interface VoiceRecordingConfig {
  defaultCountry: string;
  defaultTimeZone: string;
  emergencyNumbers: string[];
  adminGroups: string[];
  defaultSlots: TimeSlot[];
  smsHttp?: SmsHttpConfig;
  demoDataFile?: string;
  /** voiceRecording.accessRequests.managerApproval (default false). */
  managerApproval: boolean;
  /** voiceRecording.accessRequests.maxExpiryDays (default 90). */
  accessRequestMaxExpiryDays: number;
  /** voiceRecording.fourEyes.sessionMinutes (default 60). */
  fourEyesSessionMinutes: number;
  /** Absolute directory of the local-file recording storage. */
  storageDirectory: string;
}

/**
 * Default local recording storage, relative to the backend's working directory
 * (`packages/backend` under `yarn start`): `<repo>/.data/recordings`.
 */
export const DEFAULT_STORAGE_DIRECTORY = '../../.data/recordings';

export const DEFAULT_SLOTS: TimeSlot[] = [
  { weekdays: [1, 2, 3, 4, 5], start: '08:00', end: '18:00' },
];

/** Reads and checks `voiceRecording.*`; throws an error naming the key. */
export function readVoiceRecordingConfig(root: Config): VoiceRecordingConfig {
  const c = root.getOptionalConfig('voiceRecording');
  const defaultTimeZone =
    c?.getOptionalString('defaultTimeZone') ?? 'Europe/Brussels';
  if (!IANAZone.isValidZone(defaultTimeZone)) {
    throw new Error(
      `voiceRecording.defaultTimeZone: "${defaultTimeZone}" is not an IANA time zone (e.g. Europe/Brussels)`,
    );
  }
  let defaultSlots = DEFAULT_SLOTS;
  const slotConfigs = c?.getOptionalConfigArray('defaultSlots');
  if (slotConfigs) {
    defaultSlots = slotConfigs.map((s, i) => {
      const raw = s.get('weekdays');
      const weekdays = Array.isArray(raw)
        ? (raw.map(Number) as Weekday[])
        : parseWeekdays(String(raw));
      if (!weekdays) {
        throw new Error(
          `voiceRecording.defaultSlots[${i}].weekdays: cannot read "${raw}"`,
        );
      }
      return { weekdays, start: s.getString('start'), end: s.getString('end') };
    });
    const errors = validateSlots(defaultSlots);
    if (errors.length || defaultSlots.length === 0) {
      throw new Error(
        `voiceRecording.defaultSlots: ${
          errors.map(e => `[${e.index}] ${e.message}`).join('; ') ||
          'at least one slot is required'
        }`,
      );
    }
  }
  const fourEyesSessionMinutes =
    c?.getOptionalNumber('fourEyes.sessionMinutes') ?? 60;
  if (
    !Number.isInteger(fourEyesSessionMinutes) ||
    fourEyesSessionMinutes < 1 ||
    fourEyesSessionMinutes > 1440
  ) {
    throw new Error(
      `voiceRecording.fourEyes.sessionMinutes: ${fourEyesSessionMinutes} is not a whole number of minutes from 1 to 1440`,
    );
  }
  const accessRequestMaxExpiryDays =
    c?.getOptionalNumber('accessRequests.maxExpiryDays') ?? 90;
  if (
    !Number.isInteger(accessRequestMaxExpiryDays) ||
    accessRequestMaxExpiryDays < 1 ||
    accessRequestMaxExpiryDays > 3650
  ) {
    throw new Error(
      `voiceRecording.accessRequests.maxExpiryDays: ${accessRequestMaxExpiryDays} is not a whole number of days from 1 to 3650`,
    );
  }
  const http = c?.getOptionalConfig('sms.http');
  return {
    defaultCountry: (
      c?.getOptionalString('defaultCountry') ?? 'BE'
    ).toUpperCase(),
    defaultTimeZone,
    emergencyNumbers:
      c?.getOptionalStringArray('emergencyNumbers') ??
      DEFAULT_EMERGENCY_NUMBERS,
    adminGroups: c?.getOptionalStringArray('adminGroups') ?? [
      'group:default/compliance',
    ],
    defaultSlots,
    smsHttp: http
      ? {
          url: http.getString('url'),
          token: http.getOptionalString('token'),
          from: http.getOptionalString('from'),
          timeoutMs: http.getOptionalNumber('timeoutMs') ?? 5000,
          retries: http.getOptionalNumber('retries') ?? 2,
        }
      : undefined,
    demoDataFile: c?.getOptionalString('demoData.file'),
    managerApproval:
      c?.getOptionalBoolean('accessRequests.managerApproval') ?? false,
    accessRequestMaxExpiryDays,
    fourEyesSessionMinutes,
    storageDirectory: nodePath.resolve(
      c?.getOptionalString('storage.local.directory') ??
        DEFAULT_STORAGE_DIRECTORY,
    ),
  };
}
