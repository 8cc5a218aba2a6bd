import { LoggerService } from '@backstage/backend-plugin-api';
import { ConflictError, InputError, NotFoundError } from '@backstage/errors';
import { JsonObject } from '@backstage/types';
import {
  formatRetentionPeriod,
  parseRetentionPeriod,
  RetentionOverview,
  RetentionPeriod,
  RetentionPolicy,
  RetentionPolicyInput,
  RetentionScope,
} from '@mvr/plugin-voice-recording-common';
import { randomUUID } from 'node:crypto';
import { NumberRecord } from '../../database/NumbersStore';
import {
  RetentionRule,
  RetentionStore,
  RetentionTarget,
  ruleOf,
  StoredRetentionPolicy,
} from '../../database/RetentionStore';
import { Actor, AuditRecorder } from '../AuditRecorder';
import { RetentionGroupResolver } from './RetentionGroups';
import { ConfiguredRetentionPolicy, RetentionConfig } from './retentionConfig';

/** How long the recorder's finish path reuses the policies (docs/retention.md). */
export const RETENTION_RULES_TTL_MS = 30_000;

export type {
  RetentionOverview,
  RetentionPolicyInput,
  RetentionPolicyView,
} from '@mvr/plugin-voice-recording-common';

const SYSTEM = { ref: 'plugin:voice-recording' };

export interface RetentionServiceOptions {
  store: RetentionStore;
  numbers: { get(id: string): Promise<NumberRecord | undefined> };
  groups: RetentionGroupResolver;
  audit: Pick<AuditRecorder, 'record'>;
  logger: LoggerService;
  config: Pick<
    RetentionConfig,
    'minimumPeriod' | 'minimumPeriodText' | 'policies'
  >;
  now?: () => number;
}

function policyJson(p: RetentionPolicy): JsonObject {
  return {
    name: p.name,
    period: p.period,
    scope: p.scope as unknown as JsonObject,
  };
}

/**
 * Retention policies (portal and config), the conversations' retention ends computed
 * from them, and the audit of every change with before/after (docs/retention.md).
 */
export class RetentionService {
  private cached?: { at: number; rules: Promise<RetentionRule[]> };
  private readonly now: () => number;

  constructor(private readonly options: RetentionServiceOptions) {
    this.now = options.now ?? Date.now;
  }

  get minimum(): RetentionPeriod {
    return this.options.config.minimumPeriod;
  }

  /** The policies as rules, cached for RETENTION_RULES_TTL_MS unless `fresh`. */
  rules(fresh = false): Promise<RetentionRule[]> {
    const now = this.now();
    if (!fresh && this.cached && now - this.cached.at < RETENTION_RULES_TTL_MS)
      return this.cached.rules;
    const rules = this.options.store.listPolicies().then(ps => ps.map(ruleOf));
    const entry = { at: now, rules };
    this.cached = entry;
    rules.catch(() => {
      if (this.cached === entry) this.cached = undefined;
    });
    return rules;
  }

  /**
   * The recorder's finish: one UPDATE by primary key with the cached policies (the
   * group membership is in vr_retention_targets). Never throws: a conversation left
   * without retention gets it from the next disposal run.
   */
  async assign(conversationId: string): Promise<void> {
    try {
      await this.options.store.assignOne(
        conversationId,
        await this.rules(),
        this.minimum,
      );
    } catch (e) {
      this.options.logger.warn(
        `retention of conversation ${conversationId} not set (the next disposal run sets it): ${e}`,
      );
    }
  }

  /** Every archived conversation without a retention end gets one (first start, repairs). */
  async assignMissing(): Promise<number> {
    return this.options.store.recompute(await this.rules(true), this.minimum, {
      onlyMissing: true,
    });
  }

  async overview(): Promise<RetentionOverview> {
    const [policies, counts] = await Promise.all([
      this.options.store.listPolicies(),
      this.options.store.countsByPolicy(),
    ]);
    const minDays = parseRetentionPeriod(this.options.config.minimumPeriodText);
    const min = minDays.ok ? minDays.period : this.minimum;
    return {
      minimumPeriod: formatRetentionPeriod(min),
      minimumCount: counts.get(null) ?? 0,
      policies: policies.map(p => ({
        ...p,
        conversationCount: counts.get(p.id) ?? 0,
        belowMinimum: belowMinimum(p.period, min),
      })),
    };
  }

  async get(id: string): Promise<StoredRetentionPolicy> {
    const p = await this.options.store.getPolicy(id);
    if (!p) throw new NotFoundError(`retention policy ${id} not found`);
    return p;
  }

  /** The users and numbers a scope stands for; 400 naming the field when one is unknown. */
  private async targetsOf(
    scope: RetentionScope,
    previous: RetentionTarget[] = [],
  ): Promise<RetentionTarget[]> {
    if (scope.kind === 'groups') {
      const { members, missing } = await this.options.groups.members(
        scope.groupRefs,
      );
      if (missing.length)
        throw new InputError(
          `scope.groupRefs: the catalog has no group ${missing.join(', ')}`,
        );
      return [...members].flatMap(([group, users]) =>
        users.map(u => ({ kind: 'user' as const, ref: u, source: group })),
      );
    }
    if (scope.kind === 'numbers') {
      const out: RetentionTarget[] = [];
      const unknown: string[] = [];
      for (const id of scope.numberIds) {
        const n = await this.options.numbers.get(id);
        if (n) out.push({ kind: 'number', ref: n.number, source: id });
        else {
          // a number deleted since: its calls keep the policy
          const kept = previous.filter(t => t.source === id);
          if (kept.length) out.push(...kept);
          else unknown.push(id);
        }
      }
      if (unknown.length)
        throw new InputError(
          `scope.numberIds: no recorded number ${unknown.join(', ')}`,
        );
      return out;
    }
    return [];
  }

  private async recomputeAll(): Promise<number> {
    return this.options.store.recompute(await this.rules(true), this.minimum);
  }

  async create(
    actor: Actor,
    input: RetentionPolicyInput,
  ): Promise<StoredRetentionPolicy> {
    await this.assertNameFree(input.name);
    const targets = await this.targetsOf(input.scope);
    const at = new Date(this.now()).toISOString();
    const policy: StoredRetentionPolicy = {
      id: randomUUID(),
      name: input.name,
      period: input.period,
      scope: input.scope,
      source: 'portal',
      createdAt: at,
      updatedAt: at,
      createdBy: actor.ref,
      updatedBy: actor.ref,
    };
    await this.options.store.savePolicy(policy, targets);
    const recomputed = await this.recomputeAll();
    await this.options.audit.record({
      actor,
      action: 'retention-policy-create',
      targetType: 'retention-policy',
      targetId: policy.id,
      severity: 'high',
      details: {
        after: policyJson(policy),
        recomputed,
        targets: targets.length,
      },
    });
    return policy;
  }

  private async assertNameFree(name: string, except?: string) {
    const other = await this.options.store.getPolicyByName(name);
    if (other && other.id !== except)
      throw new ConflictError(
        `name: a retention policy "${name}" exists already`,
      );
  }

  private async editable(id: string): Promise<StoredRetentionPolicy> {
    const p = await this.get(id);
    if (p.source === 'config')
      throw new ConflictError(
        `retention policy "${p.name}" is declared in the configuration (voiceRecording.retention.policies): change it there`,
      );
    return p;
  }

  async update(
    actor: Actor,
    id: string,
    input: RetentionPolicyInput,
  ): Promise<StoredRetentionPolicy> {
    const before = await this.editable(id);
    await this.assertNameFree(input.name, id);
    const targets = await this.targetsOf(
      input.scope,
      await this.options.store.targetsOf(id),
    );
    const after: StoredRetentionPolicy = {
      ...before,
      name: input.name,
      period: input.period,
      scope: input.scope,
      updatedAt: new Date(this.now()).toISOString(),
      updatedBy: actor.ref,
    };
    await this.options.store.savePolicy(after, targets);
    const recomputed = await this.recomputeAll();
    await this.options.audit.record({
      actor,
      action: 'retention-policy-update',
      targetType: 'retention-policy',
      targetId: id,
      severity: 'high',
      details: {
        before: policyJson(before),
        after: policyJson(after),
        recomputed,
        targets: targets.length,
      },
    });
    return after;
  }

  async delete(actor: Actor, id: string): Promise<void> {
    const before = await this.editable(id);
    await this.options.store.deletePolicy(id);
    const recomputed = await this.recomputeAll();
    await this.options.audit.record({
      actor,
      action: 'retention-policy-delete',
      targetType: 'retention-policy',
      targetId: id,
      severity: 'high',
      details: { before: policyJson(before), recomputed },
    });
  }

  /**
   * At start: the configured policies become rows (source `config`), changed ones are
   * replaced, removed ones deleted, each audited (actor plugin:voice-recording); when
   * anything changed every open conversation is re-computed; then every archived
   * conversation without a retention end gets one.
   */
  async syncConfig(): Promise<{ changed: number; assigned: number }> {
    const configured = this.options.config.policies;
    const existing = (await this.options.store.listPolicies()).filter(
      p => p.source === 'config',
    );
    let changed = 0;
    const at = new Date(this.now()).toISOString();
    for (const c of configured) {
      const scope = scopeOf(c);
      const before = existing.find(p => p.id === c.id);
      const same =
        before &&
        before.period === c.period &&
        JSON.stringify(before.scope) === JSON.stringify(scope);
      // group membership is read again at every start
      let targets: RetentionTarget[];
      if (scope.kind === 'numbers')
        targets = (c.numbers ?? []).map(n => ({
          kind: 'number',
          ref: n,
          source: n,
        }));
      else if (scope.kind === 'groups') {
        try {
          targets = await this.targetsOf(scope);
        } catch (e) {
          this.options.logger.error(
            `retention policy "${c.name}" (config): ${e}; its previous members are kept`,
          );
          targets = before ? await this.options.store.targetsOf(c.id) : [];
        }
      } else targets = [];
      const conflicting = await this.options.store.getPolicyByName(c.name);
      if (conflicting && conflicting.id !== c.id) {
        throw new Error(
          `voiceRecording.retention.policies: "${c.name}" is also the name of a policy made in the portal; rename one of them`,
        );
      }
      const policy: StoredRetentionPolicy = {
        id: c.id,
        name: c.name,
        period: c.period,
        scope,
        source: 'config',
        createdAt: before?.createdAt ?? at,
        updatedAt: same ? before!.updatedAt : at,
        createdBy: before?.createdBy ?? 'config',
        updatedBy: same ? before!.updatedBy : 'config',
      };
      await this.options.store.savePolicy(policy, targets);
      if (!same) {
        changed++;
        await this.options.audit.record({
          actor: SYSTEM,
          action: before
            ? 'retention-policy-update'
            : 'retention-policy-create',
          targetType: 'retention-policy',
          targetId: c.id,
          severity: 'high',
          details: {
            source: 'config',
            ...(before ? { before: policyJson(before) } : {}),
            after: policyJson(policy),
          },
        });
      }
    }
    for (const gone of existing.filter(
      p => !configured.some(c => c.id === p.id),
    )) {
      await this.options.store.deletePolicy(gone.id);
      changed++;
      await this.options.audit.record({
        actor: SYSTEM,
        action: 'retention-policy-delete',
        targetType: 'retention-policy',
        targetId: gone.id,
        severity: 'high',
        details: { source: 'config', before: policyJson(gone) },
      });
    }
    if (changed) {
      const recomputed = await this.recomputeAll();
      this.options.logger.info(
        `retention: ${changed} configured policies changed, ${recomputed} conversations re-computed`,
      );
    }
    const assigned = await this.assignMissing();
    if (assigned)
      this.options.logger.info(
        `retention: ${assigned} archived conversations got their retention end`,
      );
    return { changed, assigned };
  }

  /**
   * Reads the groups' members again (people join and leave): conversations archived
   * from now on follow the new membership; existing retention ends are kept.
   */
  async refreshGroupTargets(): Promise<void> {
    for (const p of await this.options.store.listPolicies()) {
      if (p.scope.kind !== 'groups') continue;
      try {
        await this.options.store.replaceTargets(
          p.id,
          await this.targetsOf(p.scope),
        );
      } catch (e) {
        this.options.logger.warn(
          `retention policy "${p.name}": group members not refreshed: ${e}`,
        );
      }
    }
  }
}

function belowMinimum(period: string, min: RetentionPeriod): boolean {
  const p = parseRetentionPeriod(period);
  if (!p.ok) return false;
  const days = (x: RetentionPeriod) =>
    x.years * 365.2425 + x.months * (365.2425 / 12) + x.days;
  return days(p.period) < days(min);
}

function scopeOf(c: ConfiguredRetentionPolicy): RetentionScope {
  if (c.groups?.length) return { kind: 'groups', groupRefs: c.groups };
  // configured numbers are E.164 (their ids differ per installation)
  if (c.numbers?.length) return { kind: 'numbers', numberIds: c.numbers };
  return { kind: 'default' };
}
