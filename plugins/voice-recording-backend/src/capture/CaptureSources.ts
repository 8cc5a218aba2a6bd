import { LoggerService } from '@backstage/backend-plugin-api';
import {
  CaptureContext,
  CaptureSource,
} from '@mvr/plugin-voice-recording-node';
import { AuditRecorder } from '../service/AuditRecorder';
import { captureActorRef } from './createCaptureContext';

/**
 * Starts and stops the capture sources that modules added. A source that fails to start
 * is logged and audited and the others still start (the portal stays up); stopping waits
 * for every started source so that calls in progress are finalized.
 */
export class CaptureSources {
  private readonly started: CaptureSource[] = [];

  constructor(
    private readonly sources: CaptureSource[],
    private readonly options: {
      logger: LoggerService;
      audit: Pick<AuditRecorder, 'record'>;
      contextFor(sourceId: string): CaptureContext;
    },
  ) {
    const ids = sources.map(s => s.id);
    const bad = ids.filter(
      id => !id || !/^[a-z0-9][a-z0-9._-]{0,63}$/i.test(id),
    );
    if (bad.length) {
      throw new Error(
        `voice-recording capture sources: invalid id(s) ${bad
          .map(id => JSON.stringify(id))
          .join(', ')} (letters, digits, . _ -, at most 64)`,
      );
    }
    const dup = ids.filter((id, i) => ids.indexOf(id) !== i);
    if (dup.length) {
      throw new Error(
        `voice-recording capture sources: id(s) ${[...new Set(dup)].join(
          ', ',
        )} added more than once`,
      );
    }
  }

  get ids(): string[] {
    return this.sources.map(s => s.id);
  }

  /** Starts every source in turn; returns the ids of those that started. */
  async startAll(): Promise<string[]> {
    const { logger, audit } = this.options;
    if (!this.sources.length) {
      logger.info('voice-recording: no capture source registered');
      return [];
    }
    for (const source of this.sources) {
      const actor = { ref: captureActorRef(source.id) };
      try {
        await source.start(this.options.contextFor(source.id));
        this.started.push(source);
        logger.info(`voice-recording capture source ${source.id} started`);
        await audit.record({
          actor,
          action: 'capture-source-start',
          targetType: 'capture-source',
          targetId: source.id,
          severity: 'low',
        });
      } catch (e) {
        const error = e instanceof Error ? e : new Error(String(e));
        logger.error(
          `voice-recording capture source ${source.id} failed to start: ${error.message}`,
        );
        await audit.record({
          actor,
          action: 'capture-source-start',
          targetType: 'capture-source',
          targetId: source.id,
          severity: 'critical',
          error,
        });
      }
    }
    return this.started.map(s => s.id);
  }

  /** Stops every started source (in parallel) and waits for all of them. */
  async stopAll(): Promise<void> {
    const { logger, audit } = this.options;
    const stopping = this.started.splice(0);
    await Promise.all(
      stopping.map(async source => {
        const actor = { ref: captureActorRef(source.id) };
        logger.info(`voice-recording capture source ${source.id} stopping`);
        try {
          await source.stop();
          logger.info(`voice-recording capture source ${source.id} stopped`);
          await audit.record({
            actor,
            action: 'capture-source-stop',
            targetType: 'capture-source',
            targetId: source.id,
            severity: 'low',
          });
        } catch (e) {
          const error = e instanceof Error ? e : new Error(String(e));
          logger.error(
            `voice-recording capture source ${source.id} failed to stop cleanly: ${error.message}`,
          );
          await audit.record({
            actor,
            action: 'capture-source-stop',
            targetType: 'capture-source',
            targetId: source.id,
            severity: 'critical',
            error,
          });
        }
      }),
    );
  }
}
