import { createExtensionPoint } from '@backstage/backend-plugin-api';
import { NumberSettings } from '@mvr/plugin-voice-recording-common';

/**
 * Sent when someone other than its user (an admin, the mobile network) changes the
 * status of a number whose "SMS on status change" is on.
 */
export interface StatusChangeNotification {
  /** E.164 number whose status changed; also where an SMS goes. */
  number: string;
  /** Catalog ref of the number's user. */
  userRef: string;
  /** Who made the change: an entity ref, or `service:<subject>` (e.g. the network). */
  changedBy: string;
  previous: Pick<NumberSettings, 'statusMode' | 'activeStatus'> & { mvrActive: boolean };
  current: Pick<NumberSettings, 'statusMode' | 'activeStatus'> & { mvrActive: boolean };
  /** Short text suitable for an SMS (at most 160 GSM characters); ends with who changed it. */
  text: string;
}

/** Delivers status-change notifications (SMS gateway, Backstage notifications, ...). */
export interface StatusChangeNotifier {
  /** Stable id used in logs and configuration, e.g. `sms-http`. */
  readonly id: string;
  notify(notification: StatusChangeNotification): Promise<void>;
}

export interface VoiceRecordingNotifierExtensionPoint {
  addNotifier(...notifiers: StatusChangeNotifier[]): void;
}

/** Modules add status-change notifiers (SMS transports) through this extension point. */
export const voiceRecordingNotifierExtensionPoint =
  createExtensionPoint<VoiceRecordingNotifierExtensionPoint>({
    id: 'voice-recording.notifiers',
  });
