import { randomUUID } from 'node:crypto';
import { ConflictError, NotFoundError } from '@backstage/errors';
import { PlanningModel, TimeSlot } from '@mvr/plugin-voice-recording-common';
import { Knex } from 'knex';
import { slotFromRow, SlotRow, slotToColumns, toIso } from './util';

export interface PlanningModelInput {
  name: string;
  description?: string;
  slots: TimeSlot[];
}

/**
 * SQL (0 or 1) telling whether the number in table/alias `n` follows the planning model
 * it was last scheduled from: it has one (planning_model_id) and its slots are exactly
 * the model's current slots (same weekdays, start and end; slots of one schedule never
 * overlap, so neither list has duplicates and two-way inclusion is equality).
 * Planning models are copied on apply (see docs/planning-models.md): a model edited
 * after it was applied leaves the number's slots as they were, so it no longer follows.
 */
export function followsPlanningModelSql(n: string): string {
  const same = (a: string, b: string) =>
    `${a}.weekdays = ${b}.weekdays AND ${a}.start_minute = ${b}.start_minute AND ${a}.end_minute = ${b}.end_minute`;
  return `CASE WHEN ${n}.planning_model_id IS NOT NULL
    AND NOT EXISTS (SELECT 1 FROM vr_number_slots fns WHERE fns.number_id = ${n}.id
      AND NOT EXISTS (SELECT 1 FROM vr_planning_model_slots fms
        WHERE fms.planning_model_id = ${n}.planning_model_id AND ${same(
    'fms',
    'fns',
  )}))
    AND NOT EXISTS (SELECT 1 FROM vr_planning_model_slots fms WHERE fms.planning_model_id = ${n}.planning_model_id
      AND NOT EXISTS (SELECT 1 FROM vr_number_slots fns
        WHERE fns.number_id = ${n}.id AND ${same('fns', 'fms')}))
    THEN 1 ELSE 0 END`;
}

/** Storage of planning models and their slots. */
export interface PlanningModelsStore {
  /**
   * Every model with `usedBy` (numbers whose planning_model_id is the model) and
   * `followedBy` (those of them whose slots still equal the model's), counted in SQL.
   */
  list(): Promise<PlanningModel[]>;
  get(id: string): Promise<PlanningModel | undefined>;
  getByName(name: string): Promise<PlanningModel | undefined>;
  /** Throws ConflictError on a duplicate name. */
  create(input: PlanningModelInput): Promise<PlanningModel>;
  /** Throws NotFoundError / ConflictError. */
  update(id: string, input: PlanningModelInput): Promise<PlanningModel>;
  /** Throws ConflictError when numbers still use the model. */
  delete(id: string): Promise<boolean>;
}

const M = 'vr_planning_models';
const MS = 'vr_planning_model_slots';

interface ModelRow {
  id: string;
  name: string;
  description: string | null;
  created_at: unknown;
  updated_at: unknown;
  used_by?: unknown;
  followed_by?: unknown;
}

export class KnexPlanningModelsStore implements PlanningModelsStore {
  constructor(private readonly db: Knex) {}

  private query(db: Knex | Knex.Transaction = this.db) {
    return db(M)
      .select(
        `${M}.*`,
        db('vr_numbers')
          .count('*')
          .whereRaw(`vr_numbers.planning_model_id = ${M}.id`)
          .as('used_by'),
        db.raw(
          `(SELECT COUNT(*) FROM vr_numbers un WHERE un.planning_model_id = ${M}.id AND ${followsPlanningModelSql(
            'un',
          )} = 1) as followed_by`,
        ),
      )
      .orderBy(`${M}.name`);
  }

  private async hydrate(
    rows: ModelRow[],
    db: Knex | Knex.Transaction = this.db,
  ) {
    const slotRows: (SlotRow & { planning_model_id: string })[] = rows.length
      ? await db(MS)
          .whereIn(
            'planning_model_id',
            rows.map(r => r.id),
          )
          .orderBy([{ column: 'planning_model_id' }, { column: 'position' }])
      : [];
    return rows.map(
      (row): PlanningModel => ({
        id: row.id,
        name: row.name,
        ...(row.description ? { description: row.description } : {}),
        slots: slotRows
          .filter(s => s.planning_model_id === row.id)
          .map(slotFromRow),
        usedBy: Number(row.used_by ?? 0),
        followedBy: Number(row.followed_by ?? 0),
        createdAt: toIso(row.created_at),
        updatedAt: toIso(row.updated_at),
      }),
    );
  }

  async list() {
    return this.hydrate(await this.query());
  }

  async get(id: string) {
    return (await this.hydrate(await this.query().where(`${M}.id`, id)))[0];
  }

  async getByName(name: string) {
    return (await this.hydrate(await this.query().where(`${M}.name`, name)))[0];
  }

  private async assertUniqueName(
    trx: Knex.Transaction,
    name: string,
    exceptId?: string,
  ) {
    const qb = trx(M).whereRaw('lower(name) = ?', [name.toLowerCase()]);
    if (exceptId) qb.whereNot('id', exceptId);
    const other = await qb.first('id');
    if (other)
      throw new ConflictError(
        `a planning model named "${name}" already exists`,
      );
  }

  private async insertSlots(
    trx: Knex.Transaction,
    id: string,
    slots: TimeSlot[],
  ) {
    if (!slots.length) return;
    await trx(MS).insert(
      slots.map((s, position) => ({
        id: randomUUID(),
        planning_model_id: id,
        ...slotToColumns(s),
        position,
      })),
    );
  }

  async create(input: PlanningModelInput) {
    const id = randomUUID();
    const now = new Date();
    await this.db.transaction(async trx => {
      await this.assertUniqueName(trx, input.name);
      await trx(M).insert({
        id,
        name: input.name,
        description: input.description ?? null,
        created_at: now,
        updated_at: now,
      });
      await this.insertSlots(trx, id, input.slots);
    });
    return (await this.get(id))!;
  }

  async update(id: string, input: PlanningModelInput) {
    await this.db.transaction(async trx => {
      const existing = await trx(M).where('id', id).first('id');
      if (!existing) throw new NotFoundError(`planning model ${id} not found`);
      await this.assertUniqueName(trx, input.name, id);
      await trx(M)
        .where('id', id)
        .update({
          name: input.name,
          description: input.description ?? null,
          updated_at: new Date(),
        });
      await trx(MS).where('planning_model_id', id).delete();
      await this.insertSlots(trx, id, input.slots);
    });
    return (await this.get(id))!;
  }

  async delete(id: string) {
    return this.db.transaction(async trx => {
      const [{ count }] = await trx('vr_numbers')
        .where('planning_model_id', id)
        .count({ count: '*' });
      const used = Number(count);
      if (used > 0) {
        throw new ConflictError(
          `planning model is used by ${used} recorded number${
            used === 1 ? '' : 's'
          }: apply another model to ${used === 1 ? 'it' : 'them'} first`,
        );
      }
      await trx(MS).where('planning_model_id', id).delete();
      return (await trx(M).where('id', id).delete()) > 0;
    });
  }
}
