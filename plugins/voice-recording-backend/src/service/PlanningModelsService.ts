import { NotFoundError } from '@backstage/errors';
import { z } from 'zod';
import { Actor } from './AuditRecorder';
import { publishNumbersChanged, ServiceContext } from './context';
import { assertValidSlots } from './NumbersService';
import { planningModelSchema } from './schemas';

type Input = z.infer<typeof planningModelSchema>;

/**
 * Planning models: unique names, slots without overlaps, no delete while in use.
 * Copy-on-apply: applying a model copies its slots to the number (and records which
 * model it was); editing the model later changes no number.
 */
export class PlanningModelsService {
  constructor(private readonly ctx: ServiceContext) {}

  list() {
    return this.ctx.planningModels.list().then(items => ({ items }));
  }

  async get(id: string) {
    const m = await this.ctx.planningModels.get(id);
    if (!m) throw new NotFoundError(`planning model ${id} not found`);
    return m;
  }

  async create(actor: Actor, input: Input) {
    const slots = assertValidSlots(input.slots);
    const model = await this.ctx.planningModels.create({ ...input, slots });
    await this.ctx.audit.record({
      actor,
      action: 'planning-model-create',
      targetType: 'planning-model',
      targetId: model.id,
      details: { name: model.name, slots: slots.length },
    });
    return model;
  }

  /**
   * Copy-on-apply: numbers got a copy of the model's slots when it was applied, so an
   * edit never changes a recording schedule. The audit says how many numbers used the
   * model and how many followed it before and after the edit (those whose slots no
   * longer equal the model's are listed by the portal as "no longer follow it").
   */
  async update(actor: Actor, id: string, input: Input) {
    const slots = assertValidSlots(input.slots);
    const before = await this.get(id);
    const model = await this.ctx.planningModels.update(id, { ...input, slots });
    const plain = (m: typeof model) => ({
      name: m.name,
      description: m.description ?? null,
      slots: m.slots.map(({ weekdays, start, end }) => ({
        weekdays,
        start,
        end,
      })),
    });
    await this.ctx.audit.record({
      actor,
      action: 'planning-model-update',
      targetType: 'planning-model',
      targetId: model.id,
      details: {
        name: model.name,
        slots: slots.length,
        before: plain(before),
        after: plain(model),
        usedBy: model.usedBy ?? 0,
        followedByBefore: before.followedBy ?? 0,
        followedByAfter: model.followedBy ?? 0,
        numbersChanged: 0,
      },
    });
    return model;
  }

  async delete(actor: Actor, id: string) {
    const model = await this.get(id);
    await this.ctx.planningModels.delete(id);
    await this.ctx.audit.record({
      actor,
      action: 'planning-model-delete',
      targetType: 'planning-model',
      targetId: id,
      details: { name: model.name },
      severity: 'high',
    });
    await publishNumbersChanged(this.ctx, { action: 'bulk', numbers: [] });
  }
}
