import {
  AuthService,
  DiscoveryService,
  LoggerService,
  SchedulerServiceTaskRunner,
} from '@backstage/backend-plugin-api';
import { ResponseError } from '@backstage/errors';
import {
  EntityProvider,
  EntityProviderConnection,
} from '@backstage/plugin-catalog-node';
import { EventsService } from '@backstage/plugin-events-node';
import {
  RecordedNumber,
  RecordingAlarmList,
} from '@mvr/plugin-voice-recording-common';
import {
  VOICE_RECORDING_HEALTH_TOPIC,
  VOICE_RECORDING_NUMBERS_TOPIC,
} from '@mvr/plugin-voice-recording-node';
import { recordedNumberToEntity } from './entityMapping';

/** Page size used to read the numbers (the API's maximum). */
export const NUMBERS_PAGE_SIZE = 500;

const VOICE_RECORDING_PLUGIN_ID = 'voice-recording';

export interface VoiceRecordingEntityProviderOptions {
  auth: AuthService;
  discovery: DiscoveryService;
  logger: LoggerService;
  /** Runs the periodic full refresh; when omitted, only `refresh()` and events refresh. */
  taskRunner?: SchedulerServiceTaskRunner;
  /** When given, changes announced on VOICE_RECORDING_NUMBERS_TOPIC trigger a refresh. */
  events?: EventsService;
  /** Frontend base URL, for the link back to the number's page. */
  appBaseUrl: string;
  /** `spec.system` of the emitted resources. */
  system?: string;
  /** Delay that groups bursts of change events into one refresh (default 2 s). */
  eventDebounceMs?: number;
  /** Injectable fetch, defaults to the global one. */
  fetch?: typeof fetch;
}

/**
 * Emits one catalog entity of kind `RecordedNumber` (`spec.type: mobile-number`) per
 * recorded number of the voice-recording backend, owned by the number's user.
 *
 * A full refresh runs on the scheduler and, debounced, whenever the voice-recording
 * backend publishes a change on the events topic `voice-recording.numbers`.
 */
export class VoiceRecordingEntityProvider implements EntityProvider {
  private connection?: EntityProviderConnection;
  private running?: Promise<void>;
  private rerunRequested = false;
  private debounceTimer?: NodeJS.Timeout;
  private readonly fetchFn: typeof fetch;

  constructor(private readonly options: VoiceRecordingEntityProviderOptions) {
    this.fetchFn = options.fetch ?? fetch;
  }

  getProviderName(): string {
    return 'voice-recording-numbers';
  }

  async connect(connection: EntityProviderConnection): Promise<void> {
    this.connection = connection;
    const { taskRunner, events, logger } = this.options;

    if (taskRunner) {
      await taskRunner.run({
        id: `${this.getProviderName()}:refresh`,
        fn: async () => {
          try {
            await this.refresh();
          } catch (error) {
            // Logged here so a failing run does not look like a scheduler crash.
            logger.error(
              `Voice-recording catalog refresh failed: ${
                (error as Error).message
              }`,
            );
          }
        },
      });
    }

    if (events) {
      await events.subscribe({
        id: 'catalog-voice-recording-numbers',
        // number changes, and recording alarms raised, resolved or acknowledged
        topics: [VOICE_RECORDING_NUMBERS_TOPIC, VOICE_RECORDING_HEALTH_TOPIC],
        onEvent: async () => this.scheduleRefreshFromEvent(),
      });
    }
  }

  /** Stops a pending debounced refresh (used on shutdown and in tests). */
  close(): void {
    if (this.debounceTimer) {
      clearTimeout(this.debounceTimer);
      this.debounceTimer = undefined;
    }
  }

  /**
   * Reads every recorded number and replaces this provider's entities in the catalog.
   * Concurrent calls are coalesced: a call made while a refresh runs triggers exactly
   * one more refresh after it, so the last change is never missed.
   */
  async refresh(): Promise<void> {
    if (this.running) {
      this.rerunRequested = true;
      return this.running;
    }
    this.running = (async () => {
      try {
        do {
          this.rerunRequested = false;
          await this.fullRefresh();
        } while (this.rerunRequested);
      } finally {
        this.running = undefined;
      }
    })();
    return this.running;
  }

  private scheduleRefreshFromEvent() {
    if (this.debounceTimer) {
      clearTimeout(this.debounceTimer);
    }
    this.debounceTimer = setTimeout(() => {
      this.debounceTimer = undefined;
      this.refresh().catch(error =>
        this.options.logger.error(
          `Voice-recording catalog refresh after change event failed: ${
            (error as Error).message
          }`,
        ),
      );
    }, this.options.eventDebounceMs ?? 2000);
  }

  private async fullRefresh(): Promise<void> {
    if (!this.connection) {
      throw new Error(
        'VoiceRecordingEntityProvider is not connected to the catalog yet',
      );
    }
    const apiBaseUrl = await this.options.discovery.getBaseUrl(
      VOICE_RECORDING_PLUGIN_ID,
    );
    const numbers = await this.fetchAllNumbers(apiBaseUrl);
    const health = await this.fetchRecordingHealth(apiBaseUrl);
    const entities = numbers.map(number => ({
      entity: recordedNumberToEntity(
        number,
        {
          apiBaseUrl,
          appBaseUrl: this.options.appBaseUrl,
          system: this.options.system,
        },
        health ? health.get(number.id) ?? 'ok' : undefined,
      ),
      locationKey: `voice-recording-provider:${this.getProviderName()}`,
    }));
    await this.connection.applyMutation({ type: 'full', entities });
    this.options.logger.info(
      `Voice-recording catalog refresh: ${entities.length} recorded number(s)`,
    );
  }

  private async token(): Promise<string> {
    const { auth } = this.options;
    const { token } = await auth.getPluginRequestToken({
      onBehalfOf: await auth.getOwnServiceCredentials(),
      targetPluginId: VOICE_RECORDING_PLUGIN_ID,
    });
    return token;
  }

  /**
   * The worst severity of each number's unresolved recording alarms (numbers without
   * any are absent), from `GET /health/alarms`; undefined when they cannot be read (an
   * older backend, a refusal): the entities are then emitted without their health.
   */
  private async fetchRecordingHealth(
    apiBaseUrl: string,
  ): Promise<Map<string, 'warning' | 'failed'> | undefined> {
    const token = await this.token();
    const out = new Map<string, 'warning' | 'failed'>();
    for (let offset = 0; ; ) {
      const url = `${apiBaseUrl}/health/alarms?state=open,acknowledged&limit=${NUMBERS_PAGE_SIZE}&offset=${offset}`;
      const response = await this.fetchFn(url, {
        headers: {
          Authorization: `Bearer ${token}`,
          Accept: 'application/json',
        },
      });
      if (!response.ok) {
        this.options.logger.warn(
          `Voice-recording catalog refresh: recording health not read (GET ${url}: HTTP ${response.status}); entities without it`,
        );
        return undefined;
      }
      const body = (await response.json()) as Partial<RecordingAlarmList>;
      if (!Array.isArray(body.items) || typeof body.totalCount !== 'number') {
        this.options.logger.warn(
          `Voice-recording catalog refresh: unexpected answer from GET ${url}; entities without recording health`,
        );
        return undefined;
      }
      for (const a of body.items) {
        if (!a.numberId) continue;
        if (a.severity === 'failed' || !out.has(a.numberId))
          out.set(a.numberId, a.severity === 'failed' ? 'failed' : 'warning');
      }
      offset += body.items.length;
      if (body.items.length === 0 || offset >= body.totalCount) return out;
    }
  }

  private async fetchAllNumbers(apiBaseUrl: string): Promise<RecordedNumber[]> {
    const token = await this.token();

    const all: RecordedNumber[] = [];
    for (let offset = 0; ; ) {
      const url = `${apiBaseUrl}/numbers?limit=${NUMBERS_PAGE_SIZE}&offset=${offset}`;
      const response = await this.fetchFn(url, {
        headers: {
          Authorization: `Bearer ${token}`,
          Accept: 'application/json',
        },
      });
      if (!response.ok) {
        throw await ResponseError.fromResponse(response);
      }
      const body = (await response.json()) as {
        items?: RecordedNumber[];
        total?: number;
      };
      if (!Array.isArray(body.items) || typeof body.total !== 'number') {
        throw new Error(
          `Unexpected answer from GET ${url}: expected { items: [], total: number }`,
        );
      }
      all.push(...body.items);
      offset += body.items.length;
      if (body.items.length === 0 || offset >= body.total) {
        return all;
      }
    }
  }
}
