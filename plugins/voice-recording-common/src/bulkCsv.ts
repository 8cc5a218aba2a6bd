import { csvCell, readCsvCell } from './csvCell';
import { ActiveStatus, NumberSettings, StatusMode } from './types';

/**
 * Bulk scheduling CSV: one row per recorded number.
 * Header (required, in any order): number, planning_model, status_mode,
 * active_status, beep, sms, self_management. Separator `,` or `;`.
 * Cells that start like a formula (`+32470123456`, `=...`) are written with a leading
 * `'` (see csvCell) and read back without it.
 */
export const BULK_CSV_COLUMNS = [
  'number',
  'planning_model',
  'status_mode',
  'active_status',
  'beep',
  'sms',
  'self_management',
] as const;

export type BulkCsvColumn = (typeof BULK_CSV_COLUMNS)[number];

export const BULK_CSV_COLUMN_HELP: Record<BulkCsvColumn, string> = {
  number: 'Recorded number, E.164 (+32470123456) or national (0470 12 34 56)',
  planning_model: 'Name of an existing planning model',
  status_mode: 'auto (follow the schedule) or manual',
  active_status: 'professional or private (used when status_mode is manual)',
  beep: 'yes or no: play a tone that announces recording',
  sms: 'yes or no: send an SMS to the user when an admin changes the status',
  self_management: 'yes or no: the user may switch professional mode; requires manual + professional',
};

export interface BulkScheduleRow {
  /** 1-based line number in the file (header is line 1). */
  line: number;
  number: string;
  planningModel: string;
  statusMode: StatusMode;
  activeStatus: ActiveStatus;
  beep: boolean;
  sms: boolean;
  selfManagement: boolean;
}

export interface BulkRowError {
  line: number;
  /** The raw number cell, when there is one. */
  number?: string;
  column?: BulkCsvColumn;
  message: string;
}

export interface BulkValidationContext {
  defaultCountry: string;
  /** Planning model names that exist (exact match). */
  planningModelExists(name: string): boolean;
  /** Looks up a recorded number by E.164. */
  findNumber(e164: string):
    | {
        mvrActive: boolean;
        /** Its current settings (a self-managed number its user switched to private). */
        settings?: Pick<NumberSettings, 'selfManaged' | 'statusMode' | 'activeStatus'>;
      }
    | undefined;
  /** Normalises a number, see normalizePhoneNumber. */
  normalize(input: string, defaultCountry: string): { ok: true; e164: string } | { ok: false; error: string };
}

const TRUE = new Set(['yes', 'y', 'true', '1', 'on', 'oui', 'ja']);
const FALSE = new Set(['no', 'n', 'false', '0', 'off', 'non', 'nee']);

export function parseYesNo(value: string): boolean | undefined {
  const v = String(value ?? '').trim().toLowerCase();
  if (TRUE.has(v)) return true;
  if (FALSE.has(v)) return false;
  return undefined;
}

export function formatYesNo(value: boolean): string {
  return value ? 'yes' : 'no';
}

/**
 * Validates records (already split into cells, header first) and returns rows or
 * every error found. Nothing is applied here.
 */
export function validateBulkRecords(
  records: { line: number; cells: string[] }[],
  ctx: BulkValidationContext,
): { rows: BulkScheduleRow[]; errors: BulkRowError[] } {
  const errors: BulkRowError[] = [];
  const rows: BulkScheduleRow[] = [];
  if (records.length === 0) {
    return { rows, errors: [{ line: 1, message: 'the file is empty: expected a header line' }] };
  }
  const header = records[0].cells.map(c => c.trim().toLowerCase().replace(/^\ufeff/, ''));
  const index = new Map<string, number>();
  header.forEach((h, i) => index.set(h, i));
  const missing = BULK_CSV_COLUMNS.filter(c => !index.has(c));
  const unknown = header.filter(h => h && !(BULK_CSV_COLUMNS as readonly string[]).includes(h));
  if (missing.length || unknown.length) {
    const parts = [];
    if (missing.length) parts.push(`missing column(s): ${missing.join(', ')}`);
    if (unknown.length) parts.push(`unknown column(s): ${unknown.join(', ')}`);
    return {
      rows,
      errors: [{ line: records[0].line, message: `invalid header: ${parts.join('; ')}. Expected: ${BULK_CSV_COLUMNS.join(',')}` }],
    };
  }
  const seen = new Map<string, number>();
  for (const rec of records.slice(1)) {
    const { line, cells } = rec;
    if (cells.every(c => c.trim() === '')) continue; // blank line
    // the quote csvCell put before a formula-like cell (an exported E.164 number) goes
    const cell = (c: BulkCsvColumn) =>
      readCsvCell(String(cells[index.get(c)!] ?? '').trim());
    const rawNumber = cell('number');
    const err = (message: string, column?: BulkCsvColumn) =>
      errors.push({ line, number: rawNumber || undefined, column, message });
    if (cells.length !== header.length) {
      err(`expected ${header.length} values, found ${cells.length}`);
      continue;
    }
    if (cells.some(c => c.includes('\ufffd'))) {
      err('invalid characters (the file is not UTF-8; save it as CSV UTF-8)');
      continue;
    }
    const before = errors.length;
    let e164: string | undefined;
    let current: ReturnType<BulkValidationContext['findNumber']>;
    if (!rawNumber) err('number is empty', 'number');
    else {
      const n = ctx.normalize(rawNumber, ctx.defaultCountry);
      if (!n.ok) err(n.error, 'number');
      else {
        e164 = n.e164;
        const found = ctx.findNumber(e164);
        current = found;
        if (!found) err(`unknown number ${e164}: it is not a recorded number`, 'number');
        else if (!found.mvrActive) err(`MVR is not active for ${e164}`, 'number');
        const prev = seen.get(e164);
        if (prev !== undefined) err(`duplicate row: ${e164} is already on line ${prev}`, 'number');
        else seen.set(e164, line);
      }
    }
    const model = cell('planning_model');
    if (!model) err('planning_model is empty', 'planning_model');
    else if (!ctx.planningModelExists(model)) err(`unknown planning model "${model}"`, 'planning_model');
    const mode = cell('status_mode').toLowerCase();
    if (mode !== 'auto' && mode !== 'manual') err(`status_mode "${cell('status_mode')}" must be auto or manual`, 'status_mode');
    const active = cell('active_status').toLowerCase();
    if (active !== 'professional' && active !== 'private') {
      err(`active_status "${cell('active_status')}" must be professional or private`, 'active_status');
    }
    const flags: Record<'beep' | 'sms' | 'self_management', boolean | undefined> = {
      beep: parseYesNo(cell('beep')),
      sms: parseYesNo(cell('sms')),
      self_management: parseYesNo(cell('self_management')),
    };
    for (const k of ['beep', 'sms', 'self_management'] as const) {
      if (flags[k] === undefined) err(`${k} "${cell(k)}" must be yes or no`, k);
    }
    // Manual + Private on a self-managed number is its user's own switch: kept as it is
    // (so an export imports unchanged), never set by an import
    const usersOwnPrivate =
      mode === 'manual' &&
      active === 'private' &&
      current?.settings?.selfManaged === true &&
      current.settings.statusMode === 'manual' &&
      current.settings.activeStatus === 'private';
    if (flags.self_management && (mode === 'auto' || (active === 'private' && !usersOwnPrivate))) {
      err(
        'a self-managed number must be status_mode manual with active_status professional (Auto is not allowed)',
        'status_mode',
      );
    }
    if (errors.length === before && e164) {
      rows.push({
        line,
        number: e164,
        planningModel: model,
        statusMode: mode as StatusMode,
        activeStatus: active as ActiveStatus,
        beep: flags.beep!,
        sms: flags.sms!,
        selfManagement: flags.self_management!,
      });
    }
  }
  return { rows, errors };
}

/**
 * Serialises rows to CSV text (header + rows) in the import format; formula-like
 * cells are neutralised with csvCell (E.164 numbers are written `'+32470123456`).
 */
export function formatBulkCsv(
  rows: Omit<BulkScheduleRow, 'line'>[],
): string {
  const esc = (v: string) => (/[",;\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
  const lines = [BULK_CSV_COLUMNS.join(',')];
  for (const r of rows) {
    lines.push(
      [
        r.number,
        r.planningModel,
        r.statusMode,
        r.activeStatus,
        formatYesNo(r.beep),
        formatYesNo(r.sms),
        formatYesNo(r.selfManagement),
      ]
        .map(v => esc(csvCell(v)))
        .join(','),
    );
  }
  return `${lines.join('\n')}\n`;
}
