import { randomUUID } from 'node:crypto';
import { ConflictError, NotFoundError } from '@backstage/errors';
import { PermissionCriteria } from '@backstage/plugin-permission-common';
import {
  isAndCriteria,
  isNotCriteria,
  isOrCriteria,
} from '@backstage/plugin-permission-node';
import {
  ActiveStatus,
  NumberSettings,
  NumberStatus,
  RecordedNumber,
  StatusMode,
  TimeSlot,
} from '@mvr/plugin-voice-recording-common';
import { Knex } from 'knex';
import { DateTime } from 'luxon';
import { NumberQuery } from '../permissions';
import { followsPlanningModelSql } from './PlanningModelsStore';
import {
  chunk,
  scheduleKey,
  slotFromRow,
  SlotRow,
  slotToColumns,
  SQL_VARIABLE_LIMIT,
  toBool,
  toIso,
} from './util';

/** A recorded number as stored, with the id of the planning model last applied. */
export interface NumberRecord extends RecordedNumber {
  planningModelId?: string;
}

export interface NumberCreateInput {
  number: string;
  userRef: string;
  mvrActive: boolean;
  fmu: boolean;
  settings: NumberSettings;
  slots: TimeSlot[];
  planningModelId?: string;
}

export interface NumberUpdateInput {
  userRef?: string;
  mvrActive?: boolean;
  fmu?: boolean;
  settings?: NumberSettings;
}

export interface NumberListOptions {
  /** Conditions of a conditional permission decision, applied in SQL. */
  filter?: PermissionCriteria<NumberQuery>;
  /** Substring of the number or the user ref. */
  q?: string;
  userRef?: string;
  mvrActive?: boolean;
  status?: NumberStatus;
  /** The instant `status` is evaluated at. */
  now?: Date;
  limit?: number;
  offset?: number;
}

/** The state of a number that bulk scheduling compares and changes. */
export interface BulkNumberState {
  id: string;
  number: string;
  mvrActive: boolean;
  planningModelId?: string;
  planningModel?: string;
  settings: Pick<
    NumberSettings,
    'beep' | 'smsOnStatusChange' | 'statusMode' | 'activeStatus' | 'selfManaged'
  >;
  /** See scheduleKey. */
  scheduleKey: string;
}

export interface BulkNumberChange {
  id: string;
  planningModelId: string;
  slots: TimeSlot[];
  settings: BulkNumberState['settings'];
}

/** Storage of recorded numbers and their slots. */
export interface NumbersStore {
  list(
    options: NumberListOptions,
  ): Promise<{ items: NumberRecord[]; total: number }>;
  get(
    id: string,
    filter?: PermissionCriteria<NumberQuery>,
  ): Promise<NumberRecord | undefined>;
  getByNumber(
    e164: string,
    filter?: PermissionCriteria<NumberQuery>,
  ): Promise<NumberRecord | undefined>;
  /** the recorded numbers among `e164s` (E.164), in no particular order */
  getByNumbers(e164s: readonly string[]): Promise<NumberRecord[]>;
  listByUser(userRef: string): Promise<NumberRecord[]>;
  /** Throws ConflictError when the number exists. */
  create(input: NumberCreateInput): Promise<NumberRecord>;
  /** Throws NotFoundError when the number is missing. */
  update(id: string, patch: NumberUpdateInput): Promise<NumberRecord>;
  delete(id: string): Promise<boolean>;
  addSlot(id: string, slot: TimeSlot): Promise<TimeSlot>;
  deleteSlot(id: string, slotId: string): Promise<boolean>;
  replaceSlots(
    id: string,
    slots: TimeSlot[],
    planningModelId: string | null,
  ): Promise<void>;
  countByPlanningModel(planningModelId: string): Promise<number>;
  countAll(): Promise<number>;
  listBulkState(): Promise<BulkNumberState[]>;
  /** Applies every change in one transaction. */
  applyBulk(changes: BulkNumberChange[]): Promise<void>;
}

const N = 'vr_numbers';
const S = 'vr_number_slots';

interface NumberRow {
  id: string;
  number: string;
  user_ref: string;
  mvr_active: unknown;
  fmu: unknown;
  beep: unknown;
  sms_on_status_change: unknown;
  status_mode: string;
  active_status: string;
  self_managed: unknown;
  simultaneous_calls: unknown;
  time_zone: string;
  planning_model_id: string | null;
  planning_model_name?: string | null;
  follows_planning_model?: unknown;
  created_at: unknown;
  updated_at: unknown;
}

/** Adds a permission criteria tree to a query builder as a WHERE clause. */
export function applyNumberCriteria(
  qb: Knex.QueryBuilder,
  criteria: PermissionCriteria<NumberQuery>,
  table: string = N,
): void {
  if (isAndCriteria(criteria)) {
    qb.where(b => {
      for (const sub of criteria.allOf)
        b.andWhere(bb => applyNumberCriteria(bb, sub, table));
    });
  } else if (isOrCriteria(criteria)) {
    qb.where(b => {
      for (const sub of criteria.anyOf)
        b.orWhere(bb => applyNumberCriteria(bb, sub, table));
    });
  } else if (isNotCriteria(criteria)) {
    qb.whereNot(b => applyNumberCriteria(b, criteria.not, table));
  } else if (criteria.property === 'userRef') {
    if (criteria.values.length === 0) qb.whereRaw('1 = 0');
    else
      qb.whereIn(
        `${table}.user_ref`,
        criteria.values.map(v => v.toLowerCase()),
      );
  } else if (criteria.property === 'selfManaged') {
    qb.where(`${table}.self_managed`, criteria.value);
  } else {
    throw new Error(
      `unsupported number permission query ${JSON.stringify(criteria)}`,
    );
  }
}

function settingsToColumns(settings: NumberSettings) {
  return {
    beep: settings.beep,
    sms_on_status_change: settings.smsOnStatusChange,
    status_mode: settings.statusMode,
    active_status: settings.activeStatus,
    self_managed: settings.selfManaged,
    simultaneous_calls: settings.simultaneousCalls,
    time_zone: settings.timeZone,
  };
}

function rowSettings(row: NumberRow): NumberSettings {
  return {
    beep: toBool(row.beep),
    smsOnStatusChange: toBool(row.sms_on_status_change),
    statusMode: row.status_mode as StatusMode,
    activeStatus: row.active_status as ActiveStatus,
    selfManaged: toBool(row.self_managed),
    simultaneousCalls: toBool(row.simultaneous_calls),
    timeZone: row.time_zone,
  };
}

type SlotRowOf = SlotRow & { number_id: string };

/** Number rows and their slot rows (ordered by number, position, start) as records. */
function assemble(rows: NumberRow[], slotRows: SlotRowOf[]): NumberRecord[] {
  const slotsBy = new Map<string, TimeSlot[]>();
  for (const s of slotRows) {
    const list = slotsBy.get(s.number_id) ?? [];
    list.push(slotFromRow(s));
    slotsBy.set(s.number_id, list);
  }
  return rows.map(row => ({
    id: row.id,
    number: row.number,
    userRef: row.user_ref,
    mvrActive: toBool(row.mvr_active),
    fmu: toBool(row.fmu),
    settings: rowSettings(row),
    slots: slotsBy.get(row.id) ?? [],
    ...(row.planning_model_id
      ? {
          planningModelId: row.planning_model_id,
          planningModel: row.planning_model_name ?? undefined,
          followsPlanningModel: toBool(row.follows_planning_model),
        }
      : {}),
    createdAt: toIso(row.created_at),
    updatedAt: toIso(row.updated_at),
  }));
}

export class KnexNumbersStore implements NumbersStore {
  constructor(private readonly db: Knex) {}

  private base(db: Knex | Knex.Transaction = this.db) {
    return db(N)
      .leftJoin('vr_planning_models as pm', `${N}.planning_model_id`, 'pm.id')
      .select(
        `${N}.*`,
        'pm.name as planning_model_name',
        db.raw(`${followsPlanningModelSql(N)} as follows_planning_model`),
      );
  }

  private async hydrate(
    rows: NumberRow[],
    db: Knex | Knex.Transaction = this.db,
  ): Promise<NumberRecord[]> {
    const slotRows: SlotRowOf[] = [];
    for (const ids of chunk(
      rows.map(r => r.id),
      SQL_VARIABLE_LIMIT,
    )) {
      slotRows.push(...(await this.slotsQuery(db).whereIn('number_id', ids)));
    }
    return assemble(rows, slotRows);
  }

  private slotsQuery(db: Knex | Knex.Transaction = this.db) {
    return db(S).orderBy([
      { column: 'number_id' },
      { column: 'position' },
      { column: 'start_minute' },
    ]);
  }

  /** WHERE clause for a computed status at an instant (schedules are per time zone). */
  private async applyStatus(
    qb: Knex.QueryBuilder,
    status: NumberStatus,
    now: Date,
  ) {
    if (status === 'inactive') {
      qb.where(`${N}.mvr_active`, false);
      return;
    }
    qb.where(`${N}.mvr_active`, true);
    if (status === 'private') {
      qb.where({
        [`${N}.status_mode`]: 'manual',
        [`${N}.active_status`]: 'private',
      });
      return;
    }
    const zones: { time_zone: string }[] = await this.db(N).distinct(
      'time_zone',
    );
    const inSchedule = (b: Knex.QueryBuilder) => {
      b.whereRaw('1 = 0');
      for (const { time_zone } of zones) {
        const local = DateTime.fromJSDate(now).setZone(time_zone);
        if (!local.isValid) continue;
        const bit = 1 << (local.weekday - 1);
        const minute = local.hour * 60 + local.minute;
        b.orWhere(z =>
          z
            .where(`${N}.time_zone`, time_zone)
            .whereExists(e =>
              e
                .select(this.db.raw('1'))
                .from(`${S} as s`)
                .whereRaw(`s.number_id = ${N}.id`)
                .whereRaw('(s.weekdays & ?) <> 0', [bit])
                .where('s.start_minute', '<=', minute)
                .where('s.end_minute', '>', minute),
            ),
        );
      }
    };
    if (status === 'recording') {
      qb.where(b =>
        b
          .where(m =>
            m
              .where(`${N}.status_mode`, 'manual')
              .where(`${N}.active_status`, 'professional'),
          )
          .orWhere(a => a.where(`${N}.status_mode`, 'auto').where(inSchedule)),
      );
    } else {
      qb.where(`${N}.status_mode`, 'auto').whereNot(inSchedule);
    }
  }

  async list(options: NumberListOptions) {
    const qb = this.db(N);
    if (options.filter) applyNumberCriteria(qb, options.filter);
    if (options.userRef)
      qb.where(`${N}.user_ref`, options.userRef.toLowerCase());
    if (options.mvrActive !== undefined)
      qb.where(`${N}.mvr_active`, options.mvrActive);
    if (options.q) {
      const like = `%${options.q
        .toLowerCase()
        .replace(/[\\%_]/g, c => `\\${c}`)}%`;
      qb.where(b =>
        b
          .whereRaw(`lower(${N}.number) like ? escape '\\'`, [like])
          .orWhereRaw(`lower(${N}.user_ref) like ? escape '\\'`, [like]),
      );
    }
    if (options.status)
      await this.applyStatus(qb, options.status, options.now ?? new Date());
    const [{ count }] = await qb.clone().count({ count: '*' });
    const rows: NumberRow[] = await qb
      .leftJoin('vr_planning_models as pm', `${N}.planning_model_id`, 'pm.id')
      .select(
        `${N}.*`,
        'pm.name as planning_model_name',
        this.db.raw(`${followsPlanningModelSql(N)} as follows_planning_model`),
      )
      .orderBy(`${N}.number`)
      .limit(options.limit ?? 50)
      .offset(options.offset ?? 0);
    return { items: await this.hydrate(rows), total: Number(count) };
  }

  async get(id: string, filter?: PermissionCriteria<NumberQuery>) {
    const qb = this.base().where(`${N}.id`, id);
    if (filter) applyNumberCriteria(qb, filter);
    const rows: NumberRow[] = await qb;
    return (await this.hydrate(rows))[0];
  }

  async getByNumber(e164: string, filter?: PermissionCriteria<NumberQuery>) {
    const qb = this.base().where(`${N}.number`, e164);
    if (filter) applyNumberCriteria(qb, filter);
    const rows: NumberRow[] = await qb;
    return (await this.hydrate(rows))[0];
  }

  /** The numbers among `e164s` that are recorded numbers (one query for them, one for their slots). */
  async getByNumbers(e164s: readonly string[]): Promise<NumberRecord[]> {
    const wanted = [...new Set(e164s)];
    if (!wanted.length) return [];
    if (wanted.length <= SQL_VARIABLE_LIMIT) {
      // a call's participants (the recorder's set-up path): the numbers and their
      // slots in two queries that run at the same time, one database round trip
      const [rows, slotRows] = await Promise.all([
        this.base().whereIn(`${N}.number`, wanted) as Promise<NumberRow[]>,
        this.slotsQuery().whereIn(
          'number_id',
          this.db(N).whereIn('number', wanted).select('id'),
        ) as Promise<SlotRowOf[]>,
      ]);
      return assemble(rows, slotRows);
    }
    const rows: NumberRow[] = [];
    for (const part of chunk(wanted, SQL_VARIABLE_LIMIT)) {
      rows.push(...(await this.base().whereIn(`${N}.number`, part)));
    }
    return this.hydrate(rows);
  }

  async listByUser(userRef: string) {
    const rows: NumberRow[] = await this.base()
      .where(`${N}.user_ref`, userRef.toLowerCase())
      .orderBy(`${N}.number`);
    return this.hydrate(rows);
  }

  async create(input: NumberCreateInput) {
    const id = randomUUID();
    const now = new Date();
    await this.db.transaction(async trx => {
      const existing = await trx(N).where('number', input.number).first('id');
      if (existing)
        throw new ConflictError(`number ${input.number} already exists`);
      await trx(N).insert({
        id,
        number: input.number,
        user_ref: input.userRef.toLowerCase(),
        mvr_active: input.mvrActive,
        fmu: input.fmu,
        ...settingsToColumns(input.settings),
        planning_model_id: input.planningModelId ?? null,
        created_at: now,
        updated_at: now,
      });
      await this.insertSlots(trx, id, input.slots);
    });
    return (await this.get(id))!;
  }

  private async insertSlots(
    trx: Knex | Knex.Transaction,
    numberId: string,
    slots: TimeSlot[],
  ) {
    if (!slots.length) return;
    await trx(S).insert(
      slots.map((s, position) => ({
        id: randomUUID(),
        number_id: numberId,
        ...slotToColumns(s),
        position,
      })),
    );
  }

  async update(id: string, patch: NumberUpdateInput) {
    const columns: Record<string, unknown> = { updated_at: new Date() };
    if (patch.userRef !== undefined)
      columns.user_ref = patch.userRef.toLowerCase();
    if (patch.mvrActive !== undefined) columns.mvr_active = patch.mvrActive;
    if (patch.fmu !== undefined) columns.fmu = patch.fmu;
    if (patch.settings)
      Object.assign(columns, settingsToColumns(patch.settings));
    const count = await this.db(N).where('id', id).update(columns);
    if (!count) throw new NotFoundError(`recorded number ${id} not found`);
    return (await this.get(id))!;
  }

  async delete(id: string) {
    return this.db.transaction(async trx => {
      await trx(S).where('number_id', id).delete();
      return (await trx(N).where('id', id).delete()) > 0;
    });
  }

  async addSlot(id: string, slot: TimeSlot) {
    const slotId = randomUUID();
    await this.db.transaction(async trx => {
      const [{ max }] = await trx(S)
        .where('number_id', id)
        .max({ max: 'position' });
      await trx(S).insert({
        id: slotId,
        number_id: id,
        ...slotToColumns(slot),
        position: max === null || max === undefined ? 0 : Number(max) + 1,
      });
      // a hand-edited schedule no longer follows a planning model
      await trx(N)
        .where('id', id)
        .update({ planning_model_id: null, updated_at: new Date() });
    });
    return { ...slot, id: slotId };
  }

  async deleteSlot(id: string, slotId: string) {
    return this.db.transaction(async trx => {
      const deleted = await trx(S)
        .where({ id: slotId, number_id: id })
        .delete();
      if (deleted) {
        await trx(N)
          .where('id', id)
          .update({ planning_model_id: null, updated_at: new Date() });
      }
      return deleted > 0;
    });
  }

  async replaceSlots(
    id: string,
    slots: TimeSlot[],
    planningModelId: string | null,
  ) {
    await this.db.transaction(async trx => {
      await trx(S).where('number_id', id).delete();
      await this.insertSlots(trx, id, slots);
      await trx(N)
        .where('id', id)
        .update({ planning_model_id: planningModelId, updated_at: new Date() });
    });
  }

  async countByPlanningModel(planningModelId: string) {
    const [{ count }] = await this.db(N)
      .where('planning_model_id', planningModelId)
      .count({ count: '*' });
    return Number(count);
  }

  async countAll() {
    const [{ count }] = await this.db(N).count({ count: '*' });
    return Number(count);
  }

  async listBulkState(): Promise<BulkNumberState[]> {
    const rows: NumberRow[] = await this.base().orderBy(`${N}.number`);
    const slotRows: (SlotRow & { number_id: string })[] = await this.db(
      S,
    ).select('number_id', 'weekdays', 'start_minute', 'end_minute');
    const slotsBy = new Map<string, TimeSlot[]>();
    for (const s of slotRows) {
      const list = slotsBy.get(s.number_id) ?? [];
      list.push(slotFromRow(s));
      slotsBy.set(s.number_id, list);
    }
    return rows.map(row => {
      const settings = rowSettings(row);
      return {
        id: row.id,
        number: row.number,
        mvrActive: toBool(row.mvr_active),
        planningModelId: row.planning_model_id ?? undefined,
        planningModel: row.planning_model_name ?? undefined,
        settings: {
          beep: settings.beep,
          smsOnStatusChange: settings.smsOnStatusChange,
          statusMode: settings.statusMode,
          activeStatus: settings.activeStatus,
          selfManaged: settings.selfManaged,
        },
        scheduleKey: scheduleKey(slotsBy.get(row.id) ?? []),
      };
    });
  }

  async applyBulk(changes: BulkNumberChange[]) {
    if (!changes.length) return;
    const now = new Date();
    await this.db.transaction(async trx => {
      for (const ids of chunk(
        changes.map(c => c.id),
        SQL_VARIABLE_LIMIT,
      )) {
        await trx(S).whereIn('number_id', ids).delete();
      }
      const slotRows = changes.flatMap(c =>
        c.slots.map((s, position) => ({
          id: randomUUID(),
          number_id: c.id,
          ...slotToColumns(s),
          position,
        })),
      );
      // 6 bound variables per row
      for (const rows of chunk(slotRows, Math.floor(SQL_VARIABLE_LIMIT / 6))) {
        await trx(S).insert(rows);
      }
      // few distinct setting combinations: one UPDATE ... WHERE id IN (...) per group
      const groups = new Map<
        string,
        { change: BulkNumberChange; ids: string[] }
      >();
      for (const c of changes) {
        const key = JSON.stringify([c.planningModelId, c.settings]);
        const g = groups.get(key) ?? { change: c, ids: [] };
        g.ids.push(c.id);
        groups.set(key, g);
      }
      for (const { change, ids } of groups.values()) {
        const s = change.settings;
        for (const part of chunk(ids, SQL_VARIABLE_LIMIT)) {
          await trx(N).whereIn('id', part).update({
            planning_model_id: change.planningModelId,
            beep: s.beep,
            sms_on_status_change: s.smsOnStatusChange,
            status_mode: s.statusMode,
            active_status: s.activeStatus,
            self_managed: s.selfManaged,
            updated_at: now,
          });
        }
      }
    });
  }
}
