import { LoggerService } from '@backstage/backend-plugin-api';
import { EventsService } from '@backstage/plugin-events-node';
import {
  NumbersChangedEventPayload,
  VOICE_RECORDING_NUMBERS_TOPIC,
} from '@mvr/plugin-voice-recording-node';

type Listener = (change: NumbersChangedEventPayload) => void;

/**
 * Hands the plugin's number-change events (VOICE_RECORDING_NUMBERS_TOPIC) to the capture
 * sources (`CaptureContext.onNumbersChanged`): one events subscription for the plugin,
 * fanned out to every source's listeners. A listener that throws is logged; the others
 * still hear the change.
 */
export class NumberChanges {
  private readonly listeners = new Set<Listener>();

  constructor(private readonly logger: LoggerService) {}

  /** Subscribes once to the events service (the plugin's init). */
  async subscribe(events: EventsService): Promise<void> {
    await events.subscribe({
      id: 'voice-recording-capture-sources',
      topics: [VOICE_RECORDING_NUMBERS_TOPIC],
      onEvent: async params => this.publish(params.eventPayload as NumbersChangedEventPayload),
    });
  }

  publish(change: NumbersChangedEventPayload): void {
    if (!change || !Array.isArray(change.numbers)) return;
    for (const listener of this.listeners) {
      try {
        listener(change);
      } catch (e) {
        this.logger.warn(`capture source number-change listener failed: ${e}`);
      }
    }
  }

  /** `CaptureContext.onNumbersChanged` */
  readonly listen = (listener: Listener): (() => void) => {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  };
}
