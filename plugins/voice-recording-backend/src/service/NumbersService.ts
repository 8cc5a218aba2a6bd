import { InputError, NotAllowedError, NotFoundError } from '@backstage/errors';
import type { JsonObject } from '@backstage/types';
import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import {
  normalizePhoneNumber,
  normalizeSlot,
  NumberSettings,
  RecordedNumberWithStatus,
  TimeSlot,
  validateNumberSettings,
  validateSlots,
} from '@mvr/plugin-voice-recording-common';
import { z } from 'zod';
import { NumberRecord, NumberUpdateInput } from '../database';
import { Actor } from './AuditRecorder';
import { publishNumbersChanged, ServiceContext, withStatus } from './context';
import { DetailedInputError } from './errors';
import {
  createNumberSchema,
  listNumbersQuerySchema,
  updateNumberSchema,
} from './schemas';
import { PermissionCriteria } from '@backstage/plugin-permission-common';
import { NumberQuery } from '../permissions';
import {
  changedByText,
  statusChangeText,
} from '../notifiers/NotificationDispatcher';

type StatusSnapshot = Pick<NumberSettings, 'statusMode' | 'activeStatus'> & {
  mvrActive: boolean;
};

function snapshot(
  n: Pick<NumberRecord, 'mvrActive' | 'settings'>,
): StatusSnapshot {
  return {
    mvrActive: n.mvrActive,
    statusMode: n.settings.statusMode,
    activeStatus: n.settings.activeStatus,
  };
}

/** Throws an InputError that names the slot(s) at fault. */
export function assertValidSlots(
  slots: TimeSlot[],
  field: string = 'slots',
): TimeSlot[] {
  const errors = validateSlots(slots);
  if (errors.length) {
    throw new DetailedInputError(
      errors.map(e => `${field}[${e.index}]: ${e.message}`).join('; '),
      { slotErrors: errors.map(e => ({ ...e })) },
    );
  }
  return slots.map(normalizeSlot);
}

/** The values of `existing` at the keys of `patch` (settings key by key). */
function numberValuesBefore(
  existing: NumberRecord,
  patch: z.infer<typeof updateNumberSchema>,
): JsonObject {
  const before: Record<string, unknown> = {};
  if (patch.mvrActive !== undefined) before.mvrActive = existing.mvrActive;
  if (patch.fmu !== undefined) before.fmu = existing.fmu;
  if (patch.userRef !== undefined) before.userRef = existing.userRef;
  if (patch.settings) {
    const settings: Record<string, unknown> = {};
    const old = existing.settings as unknown as Record<string, unknown>;
    for (const key of Object.keys(patch.settings))
      settings[key] = old[key] ?? null;
    before.settings = settings;
  }
  return JSON.parse(JSON.stringify(before));
}

/** Recorded numbers: settings rules, schedules, self-management, notifications. */
export class NumbersService {
  constructor(private readonly ctx: ServiceContext) {}

  private now() {
    return this.ctx.now?.() ?? new Date();
  }

  private out(n: NumberRecord): RecordedNumberWithStatus {
    return withStatus(n, this.now());
  }

  normalizeNumber(input: string, field: string = 'number'): string {
    const r = normalizePhoneNumber(input, this.ctx.config.defaultCountry);
    if (!r.ok) throw new InputError(`${field}: ${r.error}`);
    return r.e164;
  }

  /** `bob` / `user:bob` / `user:default/bob` -> `user:default/bob`, checked in the catalog. */
  private async resolveUser(actor: Actor, userRef: string): Promise<string> {
    let ref: string;
    try {
      ref = stringifyEntityRef(
        parseEntityRef(userRef, {
          defaultKind: 'user',
          defaultNamespace: 'default',
        }),
      );
    } catch (e) {
      throw new InputError(
        `userRef: "${userRef}" is not an entity reference (${e})`,
      );
    }
    if (!ref.startsWith('user:'))
      throw new InputError(`userRef: ${ref} is not a User entity`);
    const entity = await this.ctx.catalog.getEntityByRef(ref, {
      credentials: actor.credentials,
    });
    if (!entity || entity.kind.toLowerCase() !== 'user') {
      throw new InputError(
        `userRef: there is no User entity ${ref} in the catalog`,
      );
    }
    return ref.toLowerCase();
  }

  private assertSettings(
    settings: NumberSettings,
    flags: { mvrActive: boolean; fmu: boolean },
  ) {
    const errors = validateNumberSettings(settings, flags);
    if (errors.length) {
      throw new InputError(
        errors
          .map(
            e =>
              `${
                e.field === 'mvrActive' ? 'mvrActive' : `settings.${e.field}`
              }: ${e.message}`,
          )
          .join('; '),
      );
    }
  }

  private assertActive(n: NumberRecord) {
    if (!n.mvrActive) throw new InputError(`MVR is not active for ${n.number}`);
  }

  async list(
    query: z.infer<typeof listNumbersQuerySchema>,
    filter?: PermissionCriteria<NumberQuery>,
  ) {
    const { items, total } = await this.ctx.numbers.list({
      ...query,
      filter,
      now: this.now(),
    });
    return { items: items.map(n => this.out(n)), total };
  }

  async get(id: string, filter?: PermissionCriteria<NumberQuery>) {
    const n = await this.ctx.numbers.get(id, filter);
    if (!n) throw new NotFoundError(`recorded number ${id} not found`);
    return this.out(n);
  }

  async getByNumber(input: string, filter?: PermissionCriteria<NumberQuery>) {
    const e164 = this.normalizeNumber(input);
    const n = await this.ctx.numbers.getByNumber(e164, filter);
    if (!n) throw new NotFoundError(`recorded number ${e164} not found`);
    return this.out(n);
  }

  async listMine(actor: Actor, filter?: PermissionCriteria<NumberQuery>) {
    const p = actor.credentials.principal as any;
    if (p?.type !== 'user')
      throw new NotAllowedError('only signed-in users have numbers');
    const { items } = await this.ctx.numbers.list({
      filter,
      userRef: p.userEntityRef,
      now: this.now(),
      limit: 500,
    });
    return { items: items.map(n => this.out(n)) };
  }

  async create(actor: Actor, input: z.infer<typeof createNumberSchema>) {
    const number = this.normalizeNumber(input.number);
    const userRef = await this.resolveUser(actor, input.userRef);
    const fmu = input.fmu ?? false;
    const mvrActive = input.mvrActive ?? !fmu;
    const settings: NumberSettings = {
      beep: false,
      smsOnStatusChange: false,
      statusMode: 'auto',
      activeStatus: 'professional',
      selfManaged: false,
      simultaneousCalls: false,
      timeZone: this.ctx.config.defaultTimeZone,
      ...input.settings,
    };
    this.assertSettings(settings, { mvrActive, fmu });
    let slots: TimeSlot[];
    let planningModelId: string | undefined;
    if (input.slots && input.planningModelId) {
      throw new InputError(
        'slots: give either slots or planningModelId, not both',
      );
    } else if (input.slots) {
      slots = assertValidSlots(input.slots);
    } else if (input.planningModelId) {
      const model = await this.ctx.planningModels.get(input.planningModelId);
      if (!model)
        throw new InputError(
          `planningModelId: planning model ${input.planningModelId} not found`,
        );
      slots = model.slots;
      planningModelId = model.id;
    } else {
      slots = this.ctx.config.defaultSlots;
    }
    const created = await this.ctx.numbers.create({
      number,
      userRef,
      mvrActive,
      fmu,
      settings,
      slots,
      planningModelId,
    });
    await this.ctx.audit.record({
      actor,
      action: 'number-create',
      targetType: 'number',
      targetId: number,
      details: {
        id: created.id,
        userRef,
        mvrActive,
        fmu,
        planningModelId: planningModelId ?? null,
      },
    });
    await publishNumbersChanged(this.ctx, {
      action: 'upsert',
      numbers: [number],
    });
    return this.out(created);
  }

  async update(
    actor: Actor,
    existing: NumberRecord,
    patch: z.infer<typeof updateNumberSchema>,
  ) {
    if (!existing.mvrActive && patch.mvrActive !== true)
      this.assertActive(existing);
    const mvrActive = patch.mvrActive ?? existing.mvrActive;
    const fmu = patch.fmu ?? existing.fmu;
    const settings: NumberSettings = {
      ...existing.settings,
      ...patch.settings,
    };
    this.assertSettings(settings, { mvrActive, fmu });
    const change: NumberUpdateInput = { mvrActive, fmu, settings };
    if (patch.userRef)
      change.userRef = await this.resolveUser(actor, patch.userRef);
    const updated = await this.ctx.numbers.update(existing.id, change);
    await this.ctx.audit.record({
      actor,
      action: 'number-update',
      targetType: 'number',
      targetId: existing.number,
      details: {
        id: existing.id,
        // the changed fields' values before (the audit page shows field / before / after)
        before: numberValuesBefore(existing, patch),
        change: JSON.parse(JSON.stringify(patch)),
      },
    });
    await publishNumbersChanged(this.ctx, {
      action: 'upsert',
      numbers: [existing.number],
    });
    await this.notifyStatusChange(actor, existing, updated);
    return this.out(updated);
  }

  /** Notifies the user when someone else changed the status of a number with SMS on. */
  private async notifyStatusChange(
    actor: Actor,
    before: NumberRecord,
    after: NumberRecord,
    via?: string,
  ) {
    const previous = snapshot(before);
    const current = snapshot(after);
    const changed =
      previous.mvrActive !== current.mvrActive ||
      previous.statusMode !== current.statusMode ||
      previous.activeStatus !== current.activeStatus;
    if (!changed || !after.settings.smsOnStatusChange) return;
    if (actor.ref === after.userRef.toLowerCase()) return;
    await this.ctx.notifications.dispatch(actor, {
      number: after.number,
      userRef: after.userRef,
      changedBy: actor.ref,
      previous,
      current,
      text: statusChangeText(after.number, current, changedByText(actor, via)),
    });
  }

  async delete(actor: Actor, existing: NumberRecord) {
    await this.ctx.numbers.delete(existing.id);
    await this.ctx.audit.record({
      actor,
      action: 'number-delete',
      targetType: 'number',
      targetId: existing.number,
      // Everything the number was, so the audit trail can say what was removed;
      // its conversations are kept (their recorded_number_id is cleared).
      details: {
        id: existing.id,
        userRef: existing.userRef,
        before: JSON.parse(
          JSON.stringify({
            userRef: existing.userRef,
            mvrActive: existing.mvrActive,
            fmu: existing.fmu,
            planningModel: existing.planningModel ?? null,
            settings: existing.settings,
            slots: existing.slots,
          }),
        ),
      },
      severity: 'high',
    });
    await publishNumbersChanged(this.ctx, {
      action: 'delete',
      numbers: [existing.number],
    });
  }

  async addSlot(actor: Actor, existing: NumberRecord, slot: TimeSlot) {
    this.assertActive(existing);
    const { id: _ignored, ...newSlot } = slot;
    const all = [...existing.slots, newSlot];
    const errors = validateSlots(all);
    if (errors.length) {
      throw new DetailedInputError(errors.map(e => e.message).join('; '), {
        slotErrors: errors.map(e => ({ ...e })),
      });
    }
    const added = await this.ctx.numbers.addSlot(
      existing.id,
      normalizeSlot(newSlot),
    );
    await this.ctx.audit.record({
      actor,
      action: 'number-slot-add',
      targetType: 'number',
      targetId: existing.number,
      details: { id: existing.id, slot: { ...added } },
    });
    await publishNumbersChanged(this.ctx, {
      action: 'upsert',
      numbers: [existing.number],
    });
    return this.get(existing.id);
  }

  async deleteSlot(actor: Actor, existing: NumberRecord, slotId: string) {
    this.assertActive(existing);
    const slot = existing.slots.find(s => s.id === slotId);
    if (!slot)
      throw new NotFoundError(`slot ${slotId} not found on ${existing.number}`);
    if (existing.slots.length <= 1) {
      throw new InputError(
        `cannot delete the last slot of ${existing.number}: a schedule needs at least one slot (add the new slot first)`,
      );
    }
    await this.ctx.numbers.deleteSlot(existing.id, slotId);
    await this.ctx.audit.record({
      actor,
      action: 'number-slot-delete',
      targetType: 'number',
      targetId: existing.number,
      details: { id: existing.id, slot: { ...slot } },
    });
    await publishNumbersChanged(this.ctx, {
      action: 'upsert',
      numbers: [existing.number],
    });
    return this.get(existing.id);
  }

  async applyPlanningModel(
    actor: Actor,
    existing: NumberRecord,
    planningModelId: string,
  ) {
    this.assertActive(existing);
    const model = await this.ctx.planningModels.get(planningModelId);
    if (!model)
      throw new InputError(
        `planningModelId: planning model ${planningModelId} not found`,
      );
    await this.ctx.numbers.replaceSlots(existing.id, model.slots, model.id);
    await this.ctx.audit.record({
      actor,
      action: 'number-apply-planning-model',
      targetType: 'number',
      targetId: existing.number,
      details: {
        id: existing.id,
        planningModelId: model.id,
        planningModel: model.name,
        // copy-on-apply: the slots the number had and the copy it got
        before: {
          planningModel: existing.planningModel ?? null,
          slots: existing.slots.map(({ weekdays, start, end }) => ({
            weekdays,
            start,
            end,
          })),
        },
        after: {
          planningModel: model.name,
          slots: model.slots.map(({ weekdays, start, end }) => ({
            weekdays,
            start,
            end,
          })),
        },
      },
    });
    await publishNumbersChanged(this.ctx, {
      action: 'upsert',
      numbers: [existing.number],
    });
    return this.get(existing.id);
  }

  /**
   * Professional mode on/off: Manual + Professional or Manual + Private. `via`: the
   * channel (`portal`, `network`) or `feature-code`, audited and told to the user.
   */
  async setProfessionalMode(
    actor: Actor,
    existing: NumberRecord,
    enabled: boolean,
    via: string,
  ) {
    this.assertActive(existing);
    const settings: NumberSettings = {
      ...existing.settings,
      statusMode: 'manual',
      activeStatus: enabled ? 'professional' : 'private',
    };
    const updated = await this.ctx.numbers.update(existing.id, { settings });
    await this.ctx.audit.record({
      actor,
      action: 'number-professional-mode',
      targetType: 'number',
      targetId: existing.number,
      details: { id: existing.id, enabled, via },
    });
    await publishNumbersChanged(this.ctx, {
      action: 'upsert',
      numbers: [existing.number],
    });
    await this.notifyStatusChange(actor, existing, updated, via);
    return this.out(updated);
  }

  /** `#135#` dialled on the phone, reported by the network (service principal). */
  async featureCode(actor: Actor, existing: NumberRecord) {
    if (!existing.settings.selfManaged) {
      const error = new NotAllowedError(
        `${existing.number} is not self-managed: the feature code #135# is refused`,
      );
      await this.ctx.audit.record({
        actor,
        action: 'permission-denied',
        targetType: 'number',
        targetId: existing.number,
        details: {
          permission: 'voice-recording.number.self-manage',
          reason: 'not self-managed',
        },
      });
      throw error;
    }
    const professional = !(
      existing.settings.statusMode === 'manual' &&
      existing.settings.activeStatus === 'professional'
    );
    await this.setProfessionalMode(
      actor,
      existing,
      professional,
      'feature-code',
    );
    return { number: existing.number, professional };
  }
}
