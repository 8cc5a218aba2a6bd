import { Knex } from 'knex';
import { JsonObject } from '@backstage/types';
import { toIso } from './util';

export interface AuditLogEntry {
  id: string;
  at: string;
  actorRef: string;
  action: string;
  targetType?: string;
  targetId?: string;
  details?: JsonObject;
}

export interface AuditLogInput {
  actorRef: string;
  action: string;
  targetType?: string;
  targetId?: string;
  details?: JsonObject;
  at?: Date;
}

export interface AuditLogQuery {
  actor?: string;
  action?: string;
  /** Matches the target id (or `type:id`). */
  target?: string;
  targetType?: string;
  from?: Date;
  to?: Date;
  limit?: number;
  offset?: number;
}

/** Append-only audit trail of the plugin. */
export interface AuditLogStore {
  append(entry: AuditLogInput): Promise<void>;
  list(
    query: AuditLogQuery,
  ): Promise<{ items: AuditLogEntry[]; total: number }>;
}

const T = 'vr_audit_log';

export class KnexAuditLogStore implements AuditLogStore {
  constructor(private readonly db: Knex) {}

  async append(entry: AuditLogInput) {
    await this.db(T).insert({
      at: entry.at ?? new Date(),
      actor_ref: entry.actorRef,
      action: entry.action,
      target_type: entry.targetType ?? null,
      target_id: entry.targetId ?? null,
      details: entry.details ? JSON.stringify(entry.details) : null,
    });
  }

  async list(query: AuditLogQuery) {
    const qb = this.db(T);
    if (query.actor) qb.where('actor_ref', query.actor.toLowerCase());
    if (query.action) qb.where('action', query.action);
    if (query.target) {
      const [type, ...rest] = query.target.split(':');
      if (rest.length && !query.target.startsWith('+')) {
        qb.where(b =>
          b
            .where({ target_type: type, target_id: rest.join(':') })
            .orWhere('target_id', query.target!),
        );
      } else {
        qb.where('target_id', query.target);
      }
    }
    if (query.targetType) qb.where('target_type', query.targetType);
    if (query.from) qb.where('at', '>=', query.from);
    if (query.to) qb.where('at', '<', query.to);
    const [{ count }] = await qb.clone().count({ count: '*' });
    const rows = await qb
      .select('*')
      .orderBy([
        { column: 'at', order: 'desc' },
        { column: 'id', order: 'desc' },
      ])
      .limit(query.limit ?? 50)
      .offset(query.offset ?? 0);
    return {
      total: Number(count),
      items: rows.map(
        (r: any): AuditLogEntry => ({
          id: String(r.id),
          at: toIso(r.at),
          actorRef: r.actor_ref,
          action: r.action,
          ...(r.target_type ? { targetType: r.target_type } : {}),
          ...(r.target_id ? { targetId: r.target_id } : {}),
          ...(r.details ? { details: JSON.parse(r.details) } : {}),
        }),
      ),
    };
  }
}
