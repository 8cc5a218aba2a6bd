import {
  AuditorService,
  AuditorServiceEventSeverityLevel,
  BackstageCredentials,
  LoggerService,
} from '@backstage/backend-plugin-api';
import { JsonObject } from '@backstage/types';
import { Request } from 'express';
import { AuditLogStore } from '../database';

/** Who did something, and through which request. */
export interface Actor {
  credentials: BackstageCredentials;
  /** user:default/alice, or service:<subject> for service principals. */
  ref: string;
  request?: Request;
}

export function actorRefOf(credentials: BackstageCredentials): string {
  const p = credentials.principal as any;
  if (p?.type === 'user') return String(p.userEntityRef).toLowerCase();
  if (p?.type === 'service') return `service:${p.subject}`;
  return 'anonymous';
}

export interface AuditRecord {
  actor: Actor | { ref: string; request?: undefined };
  /** kebab-case, e.g. number-update, permission-denied. */
  action: string;
  targetType?: string;
  targetId?: string;
  details?: JsonObject;
  severity?: AuditorServiceEventSeverityLevel;
  /** When set the event is recorded as failed. */
  error?: Error;
  /** `details.outcome` of a failed event (default `failed`), e.g. `refused`. */
  outcome?: string;
}

/**
 * Records every change and denial twice: as a Backstage auditor event and as a row
 * in vr_audit_log (served by GET /audit). Failing to audit is logged, never thrown.
 */
export class AuditRecorder {
  /** Requests whose refusal is audited already (a `permission-denied` entry). */
  private readonly refusals = new WeakSet<Request>();

  constructor(
    private readonly auditor: AuditorService,
    private readonly store: AuditLogStore,
    private readonly logger: LoggerService,
  ) {}

  /**
   * Whether a refusal of this request is in the trail already (a `permission-denied`
   * entry recorded during it), so that the refused-request audit does not repeat it.
   */
  refusalAudited(request: Request): boolean {
    return this.refusals.has(request);
  }

  async record(r: AuditRecord): Promise<void> {
    if (r.action === 'permission-denied' && r.actor.request)
      this.refusals.add(r.actor.request);
    const meta: JsonObject = {
      actorRef: r.actor.ref,
      ...(r.targetType ? { targetType: r.targetType } : {}),
      ...(r.targetId ? { targetId: r.targetId } : {}),
      ...(r.details ? { details: r.details } : {}),
    };
    try {
      const event = await this.auditor.createEvent({
        eventId: r.action,
        severityLevel: r.severity ?? 'medium',
        request: r.actor.request,
        meta,
      });
      if (r.error) await event.fail({ error: r.error });
      else await event.success();
    } catch (e) {
      this.logger.error(
        `auditor event ${r.action} could not be recorded: ${e}`,
      );
    }
    try {
      await this.store.append({
        actorRef: r.actor.ref,
        action: r.action,
        targetType: r.targetType,
        targetId: r.targetId,
        details: r.error
          ? {
              ...(r.details ?? {}),
              outcome: r.outcome ?? 'failed',
              error: r.error.message,
            }
          : {
              ...(r.details ?? {}),
              outcome:
                r.action === 'permission-denied' ? 'denied' : 'succeeded',
            },
      });
    } catch (e) {
      this.logger.error(`audit log row ${r.action} could not be written: ${e}`);
    }
  }
}
