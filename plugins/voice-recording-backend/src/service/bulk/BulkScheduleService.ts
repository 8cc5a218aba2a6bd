import { parse } from 'csv-parse/sync';
import {
  BulkRowError,
  BulkScheduleRow,
  formatBulkCsv,
  normalizePhoneNumber,
  PlanningModel,
  validateBulkRecords,
} from '@mvr/plugin-voice-recording-common';
import { BulkNumberChange, BulkNumberState } from '../../database';
import { scheduleKey } from '../../database/util';
import {
  changedByText,
  statusChangeText,
} from '../../notifiers/NotificationDispatcher';
import { Actor } from '../AuditRecorder';
import { publishNumbersChanged, ServiceContext } from '../context';
import { DetailedInputError } from '../errors';

export interface BulkImportResult {
  applied: number;
  unchanged: number;
  dryRun: boolean;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Offset of the first byte that is not valid UTF-8 (binary search on fatal decoding). */
function firstInvalidUtf8Offset(bytes: Uint8Array): number {
  const validPrefix = (n: number) => {
    try {
      // stream: true tolerates a sequence cut at the end of the prefix
      new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, n), {
        stream: true,
      });
      return true;
    } catch {
      return false;
    }
  };
  let lo = 0;
  let hi = bytes.length;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (validPrefix(mid)) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** Decodes strict UTF-8 (BOM stripped); a bad byte is reported with its line. */
export function decodeCsv(body: Buffer | Uint8Array): string {
  try {
    return utf8.decode(body).replace(/^\ufeff/, '');
  } catch {
    const offset = firstInvalidUtf8Offset(body);
    let line = 1;
    for (let i = 0; i < offset; i++) if (body[i] === 0x0a) line++;
    throw new DetailedInputError(
      `the file is not UTF-8: invalid byte 0x${body[offset]
        ?.toString(16)
        .padStart(2, '0')} on line ${line}; save it as "CSV UTF-8"`,
      {
        errors: [
          {
            line,
            message: `invalid UTF-8 byte at offset ${offset}: the file is not UTF-8; save it as "CSV UTF-8"`,
          },
        ],
      },
    );
  }
}

/** `,` or `;`, whichever the header line uses more. */
export function detectDelimiter(text: string): ',' | ';' {
  const header = text.split(/\r?\n/, 1)[0] ?? '';
  const count = (c: string) => header.split(c).length - 1;
  return count(';') > count(',') ? ';' : ',';
}

/** Splits CSV text into records, each with the line it starts on. */
export function parseCsvRecords(
  text: string,
): { line: number; cells: string[] }[] {
  let parsed: { record: string[]; info: { lines: number } }[];
  try {
    parsed = parse(text, {
      delimiter: detectDelimiter(text),
      info: true,
      relax_column_count: true,
      skip_empty_lines: true,
      bom: true,
    }) as any;
  } catch (e: any) {
    const line = Number(e?.lines) || 1;
    throw new DetailedInputError(`the CSV cannot be read: ${e.message}`, {
      errors: [{ line, message: String(e.message) }],
    });
  }
  return parsed.map(({ record, info }) => {
    const extraLines = record.reduce(
      (sum, c) => sum + (c.split('\n').length - 1),
      0,
    );
    return { line: info.lines - extraLines, cells: record };
  });
}

/**
 * Bulk scheduling by CSV: every row is validated first; any error rejects the whole
 * file (400 listing every wrong row); otherwise all changed rows are applied in one
 * transaction. Rows already in the wanted state count as `unchanged`.
 */
export class BulkScheduleService {
  constructor(private readonly ctx: ServiceContext) {}

  async template(): Promise<string> {
    const models = await this.ctx.planningModels.list();
    return formatBulkCsv([
      {
        number: '+32470123456',
        planningModel: models[0]?.name ?? 'Office hours',
        statusMode: 'auto',
        activeStatus: 'professional',
        beep: true,
        sms: false,
        selfManagement: false,
      },
    ]);
  }

  /** Every number with MVR active and a planning model (others cannot be expressed in the format). */
  async export(): Promise<{ csv: string; skipped: number }> {
    const state = await this.ctx.numbers.listBulkState();
    const rows = state
      .filter(s => s.mvrActive && s.planningModel)
      .map(s => ({
        number: s.number,
        planningModel: s.planningModel!,
        statusMode: s.settings.statusMode,
        activeStatus: s.settings.activeStatus,
        beep: s.settings.beep,
        sms: s.settings.smsOnStatusChange,
        selfManagement: s.settings.selfManaged,
      }));
    return { csv: formatBulkCsv(rows), skipped: state.length - rows.length };
  }

  /** Validates the whole file; returns the rows or throws a 400 listing every error. */
  async validate(body: Buffer | Uint8Array): Promise<{
    rows: BulkScheduleRow[];
    state: Map<string, BulkNumberState>;
    models: Map<string, PlanningModel>;
  }> {
    const records = parseCsvRecords(decodeCsv(body));
    const [stateList, modelList] = await Promise.all([
      this.ctx.numbers.listBulkState(),
      this.ctx.planningModels.list(),
    ]);
    const state = new Map(stateList.map(s => [s.number, s]));
    const models = new Map(modelList.map(m => [m.name, m]));
    const { rows, errors } = validateBulkRecords(records, {
      defaultCountry: this.ctx.config.defaultCountry,
      planningModelExists: name => models.has(name),
      findNumber: e164 => state.get(e164),
      normalize: normalizePhoneNumber,
    });
    if (errors.length) throw this.rejection(errors);
    return { rows, state, models };
  }

  private rejection(errors: BulkRowError[]) {
    const lines = [...new Set(errors.map(e => e.line))];
    const shown = errors
      .slice(0, 5)
      .map(e => `line ${e.line}: ${e.message}`)
      .join('; ');
    return new DetailedInputError(
      `the CSV has errors on ${
        lines.length
      } line(s), nothing was applied: ${shown}${
        errors.length > 5
          ? `; ... (${errors.length} errors in details.errors)`
          : ''
      }`,
      { errors: errors.map(e => ({ ...e })) },
    );
  }

  async import(
    actor: Actor,
    body: Buffer | Uint8Array,
    dryRun: boolean,
  ): Promise<BulkImportResult> {
    const started = Date.now();
    const { rows, state, models } = await this.validate(body);
    const modelKeys = new Map(
      [...models.values()].map(m => [m.id, scheduleKey(m.slots)]),
    );
    const changes: (BulkNumberChange & {
      before: BulkNumberState;
      userRefHint?: string;
    })[] = [];
    let unchanged = 0;
    for (const row of rows) {
      const before = state.get(row.number)!;
      const model = models.get(row.planningModel)!;
      const settings = {
        beep: row.beep,
        smsOnStatusChange: row.sms,
        statusMode: row.statusMode,
        activeStatus: row.activeStatus,
        selfManaged: row.selfManagement,
      };
      const same =
        before.planningModelId === model.id &&
        before.scheduleKey === modelKeys.get(model.id) &&
        (Object.keys(settings) as (keyof typeof settings)[]).every(
          k => before.settings[k] === settings[k],
        );
      if (same) unchanged++;
      else
        changes.push({
          id: before.id,
          planningModelId: model.id,
          slots: model.slots,
          settings,
          before,
        });
    }
    const apply = !dryRun && changes.length > 0;
    if (apply) await this.ctx.numbers.applyBulk(changes);
    // every import is audited, also one that changes nothing and a dry run (a
    // rejected file is audited as request-refused by the router)
    await this.ctx.audit.record({
      actor,
      action: 'bulk-import',
      targetType: 'numbers',
      details: {
        dryRun,
        applied: dryRun ? 0 : changes.length,
        ...(dryRun ? { wouldApply: changes.length } : {}),
        unchanged,
        rows: rows.length,
        ms: Date.now() - started,
        numbers: changes.slice(0, 1000).map(c => c.before.number),
      },
      severity: apply ? 'high' : 'low',
    });
    if (apply) {
      await publishNumbersChanged(this.ctx, { action: 'bulk', numbers: [] });
      this.notifyInBackground(actor, changes);
    }
    return { applied: changes.length, unchanged, dryRun };
  }

  /** Status-change notifications for imported rows whose status changed (after commit). */
  private notifyInBackground(
    actor: Actor,
    changes: (BulkNumberChange & { before: BulkNumberState })[],
  ) {
    const concerned = changes.filter(
      c =>
        c.settings.smsOnStatusChange &&
        (c.before.settings.statusMode !== c.settings.statusMode ||
          c.before.settings.activeStatus !== c.settings.activeStatus),
    );
    if (!concerned.length || this.ctx.notifications.count === 0) return;
    void (async () => {
      for (const c of concerned) {
        const n = await this.ctx.numbers.get(c.id);
        if (!n || n.userRef === actor.ref) continue;
        const current = {
          mvrActive: n.mvrActive,
          statusMode: n.settings.statusMode,
          activeStatus: n.settings.activeStatus,
        };
        await this.ctx.notifications.dispatch(actor, {
          number: n.number,
          userRef: n.userRef,
          changedBy: actor.ref,
          previous: {
            mvrActive: c.before.mvrActive,
            statusMode: c.before.settings.statusMode,
            activeStatus: c.before.settings.activeStatus,
          },
          current,
          text: statusChangeText(n.number, current, changedByText(actor)),
        });
      }
    })().catch(e =>
      this.ctx.logger.error(`bulk status-change notifications failed: ${e}`),
    );
  }
}
