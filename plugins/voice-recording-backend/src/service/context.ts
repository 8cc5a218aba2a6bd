import { LoggerService } from '@backstage/backend-plugin-api';
import { EventsService } from '@backstage/plugin-events-node';
import { CatalogService } from '@backstage/plugin-catalog-node';
import {
  numberStatusAt,
  RecordedNumberWithStatus,
} from '@mvr/plugin-voice-recording-common';
import {
  NumbersChangedEventPayload,
  VOICE_RECORDING_NUMBERS_TOPIC,
} from '@mvr/plugin-voice-recording-node';
import { VoiceRecordingConfig } from '../config';
import { NumberRecord, NumbersStore, PlanningModelsStore } from '../database';
import { NotificationDispatcher } from '../notifiers/NotificationDispatcher';
import { AuditRecorder } from './AuditRecorder';

export interface ServiceContext {
  logger: LoggerService;
  config: VoiceRecordingConfig;
  numbers: NumbersStore;
  planningModels: PlanningModelsStore;
  audit: AuditRecorder;
  events: EventsService;
  catalog: CatalogService;
  notifications: NotificationDispatcher;
  /** The clock (tests pin it). */
  now?: () => Date;
}

export function withStatus(
  n: NumberRecord,
  at: Date,
): RecordedNumberWithStatus {
  return { ...n, status: numberStatusAt(n, at) };
}

/** Publishes a change so that the catalog module refreshes promptly; never throws. */
export async function publishNumbersChanged(
  ctx: ServiceContext,
  payload: NumbersChangedEventPayload,
): Promise<void> {
  try {
    await ctx.events.publish({
      topic: VOICE_RECORDING_NUMBERS_TOPIC,
      eventPayload: payload,
    });
  } catch (e) {
    ctx.logger.warn(
      `could not publish ${VOICE_RECORDING_NUMBERS_TOPIC} event: ${e}`,
    );
  }
}
