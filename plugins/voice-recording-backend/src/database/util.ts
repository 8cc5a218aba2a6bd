import { resolvePackagePath } from '@backstage/backend-plugin-api';
import { Knex } from 'knex';
import {
  formatTimeOfDay,
  parseTimeOfDay,
  TimeSlot,
  Weekday,
} from '@mvr/plugin-voice-recording-common';

const migrationsDir = resolvePackagePath(
  '@mvr/plugin-voice-recording-backend',
  'migrations',
);

/** Runs the plugin's knex migrations up to the latest. */
export async function applyDatabaseMigrations(knex: Knex): Promise<void> {
  await knex.migrate.latest({
    directory: migrationsDir,
    tableName: 'vr_knex_migrations',
  });
}

/** The knex migration config of this plugin (for tests that walk up and down). */
export const migrationConfig = {
  directory: migrationsDir,
  tableName: 'vr_knex_migrations',
};

/**
 * SQLite has a limit on bound variables per statement (999 on old builds);
 * keep every statement's variable count under it.
 */
export const SQL_VARIABLE_LIMIT = 900;

export function chunk<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size)
    out.push(items.slice(i, i + size));
  return out;
}

/** Timestamps come back as Date (pg), epoch millis or strings (SQLite). */
export function toIso(value: unknown): string {
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'number') return new Date(value).toISOString();
  if (typeof value === 'string') {
    if (/^\d+$/.test(value)) return new Date(Number(value)).toISOString();
    const d = new Date(
      value.includes('T') ? value : `${value.replace(' ', 'T')}Z`,
    );
    return Number.isNaN(d.getTime()) ? value : d.toISOString();
  }
  return new Date(0).toISOString();
}

export function toBool(value: unknown): boolean {
  return (
    value === true ||
    value === 1 ||
    value === '1' ||
    value === 't' ||
    value === 'true'
  );
}

export function weekdaysToMask(weekdays: Weekday[]): number {
  return weekdays.reduce((m, d) => m | (1 << (d - 1)), 0);
}

export function maskToWeekdays(mask: number): Weekday[] {
  const out: Weekday[] = [];
  for (let d = 1; d <= 7; d++)
    if (Number(mask) & (1 << (d - 1))) out.push(d as Weekday);
  return out;
}

export interface SlotRow {
  id: string;
  weekdays: number;
  start_minute: number;
  end_minute: number;
  position: number;
}

export function slotFromRow(row: SlotRow): TimeSlot {
  return {
    id: row.id,
    weekdays: maskToWeekdays(row.weekdays),
    start: formatTimeOfDay(Number(row.start_minute)),
    end: formatTimeOfDay(Number(row.end_minute)),
  };
}

/** Slot to its stored columns; the slot must have been validated (validateSlots). */
export function slotToColumns(slot: TimeSlot) {
  return {
    weekdays: weekdaysToMask(slot.weekdays),
    start_minute: parseTimeOfDay(slot.start)!,
    end_minute: parseTimeOfDay(slot.end)!,
  };
}

/** A comparable key of a schedule, independent of slot ids and order. */
export function scheduleKey(slots: TimeSlot[]): string {
  return slots
    .map(s => {
      const c = slotToColumns(s);
      return `${c.weekdays}:${c.start_minute}:${c.end_minute}`;
    })
    .sort()
    .join('|');
}
