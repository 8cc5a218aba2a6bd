import { formatBulkCsv, validateBulkRecords, BulkValidationContext } from './bulkCsv';
import { normalizePhoneNumber } from './phone';

const ctx: BulkValidationContext = {
  defaultCountry: 'BE',
  planningModelExists: name => ['Office hours', 'Extended'].includes(name),
  findNumber: e164 =>
    ({
      '+32470123456': { mvrActive: true },
      '+32471234567': { mvrActive: true },
      '+32479999999': { mvrActive: false },
    } as Record<string, { mvrActive: boolean }>)[e164],
  normalize: normalizePhoneNumber,
};

const header = ['number', 'planning_model', 'status_mode', 'active_status', 'beep', 'sms', 'self_management'];
const rec = (line: number, cells: string[]) => ({ line, cells });

describe('validateBulkRecords', () => {
  it('accepts valid rows, normalising numbers and values', () => {
    const { rows, errors } = validateBulkRecords(
      [
        rec(1, header),
        rec(2, ['0470 12 34 56', 'Office hours', 'Auto', 'professional', 'yes', 'no', 'no']),
        rec(3, ['+32471234567', 'Extended', 'manual', 'Professional', '1', 'true', 'yes']),
      ],
      ctx,
    );
    expect(errors).toEqual([]);
    expect(rows).toEqual([
      { line: 2, number: '+32470123456', planningModel: 'Office hours', statusMode: 'auto', activeStatus: 'professional', beep: true, sms: false, selfManagement: false },
      { line: 3, number: '+32471234567', planningModel: 'Extended', statusMode: 'manual', activeStatus: 'professional', beep: true, sms: true, selfManagement: true },
    ]);
  });

  it('lists every wrong row with its line number and reason', () => {
    const { rows, errors } = validateBulkRecords(
      [
        rec(1, header),
        rec(2, ['+32470123456', 'Nope', 'auto', 'professional', 'yes', 'no', 'no']),
        rec(3, ['+32412', 'Office hours', 'auto', 'professional', 'yes', 'no', 'no']),
        rec(4, ['+32475000000', 'Office hours', 'auto', 'professional', 'yes', 'no', 'no']),
        rec(5, ['+32479999999', 'Office hours', 'auto', 'professional', 'yes', 'no', 'no']),
        rec(6, ['+32471234567', 'Office hours', 'auto', 'professional', 'yes', 'no', 'yes']),
        rec(7, ['0470123456', 'Office hours', 'auto', 'professional', 'yes', 'no', 'no']),
        rec(8, ['+32471234567', 'Office hours', 'sometimes', 'professional', 'maybe', 'no', 'no']),
        rec(9, ['+32471234567', 'Office hours']),
        rec(10, ['+32471234567', 'Office h\ufffdurs', 'auto', 'professional', 'yes', 'no', 'no']),
      ],
      ctx,
    );
    expect(rows).toHaveLength(0);
    const byLine = (l: number) => errors.filter(e => e.line === l).map(e => e.message);
    expect(byLine(2)).toEqual(['unknown planning model "Nope"']);
    expect(byLine(3)[0]).toMatch(/not a valid phone number/);
    expect(byLine(4)).toEqual(['unknown number +32475000000: it is not a recorded number']);
    expect(byLine(5)).toEqual(['MVR is not active for +32479999999']);
    expect(byLine(6)[0]).toMatch(/self-managed number must be status_mode manual/);
    expect(byLine(7)).toEqual(['duplicate row: +32470123456 is already on line 2']);
    expect(byLine(8)).toEqual([
      'duplicate row: +32471234567 is already on line 6',
      'status_mode "sometimes" must be auto or manual',
      'beep "maybe" must be yes or no',
    ]);
    expect(byLine(9)).toEqual(['expected 7 values, found 2']);
    expect(byLine(10)[0]).toMatch(/not UTF-8/);
  });

  it('reports a bad header once', () => {
    const { errors } = validateBulkRecords([rec(1, ['number', 'model'])], ctx);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ line: 1 });
    expect(errors[0].message).toMatch(/missing column\(s\): planning_model, status_mode/);
    expect(errors[0].message).toMatch(/unknown column\(s\): model/);
  });

  it('reports an empty file', () => {
    expect(validateBulkRecords([], ctx).errors[0].message).toMatch(/empty/);
  });

  it('round-trips through formatBulkCsv', () => {
    const csv = formatBulkCsv([
      { number: '+32470123456', planningModel: 'Office hours', statusMode: 'auto', activeStatus: 'professional', beep: true, sms: false, selfManagement: false },
    ]);
    // E.164 starts with `+`: written with the OWASP quote like every formula-like cell
    expect(csv).toBe(
      "number,planning_model,status_mode,active_status,beep,sms,self_management\n'+32470123456,Office hours,auto,professional,yes,no,no\n",
    );
    const records = csv.trim().split('\n').map((l, i) => rec(i + 1, l.split(',')));
    expect(validateBulkRecords(records, ctx).errors).toEqual([]);
    expect(validateBulkRecords(records, ctx).rows[0].number).toBe('+32470123456');
  });

  it('neutralises formula-like planning model names and reads them back', () => {
    const models = ['=2+5', '@SUM(A1)', '-x', "'=quoted", 'Office hours'];
    const csv = formatBulkCsv(
      models.map((planningModel, i) => ({
        number: `+3247012345${i}`,
        planningModel,
        statusMode: 'auto' as const,
        activeStatus: 'professional' as const,
        beep: false,
        sms: false,
        selfManagement: false,
      })),
    );
    const lines = csv.trim().split('\n').slice(1);
    expect(lines.map(l => l.split(',').slice(0, 2))).toEqual(
      models.map((m, i) => [`'+3247012345${i}`, m === 'Office hours' ? m : `'${m}`]),
    );
    const records = csv.trim().split('\n').map((l, i) => rec(i + 1, l.split(',')));
    const { rows, errors } = validateBulkRecords(records, {
      ...ctx,
      planningModelExists: name => models.includes(name),
      findNumber: () => ({ mvrActive: true }),
    });
    expect(errors).toEqual([]);
    expect(rows.map(r => [r.number, r.planningModel])).toEqual(
      models.map((m, i) => [`+3247012345${i}`, m]),
    );
  });

  it("accepts a self-managed number's own Manual + Private as it is, never sets it", () => {
    const row = (n: string) => rec(2, [n, 'Office hours', 'manual', 'private', 'no', 'no', 'yes']);
    const settings = (activeStatus: 'private' | 'professional') => ({
      mvrActive: true,
      settings: { selfManaged: true, statusMode: 'manual' as const, activeStatus },
    });
    const own = validateBulkRecords([rec(1, header), row('+32470123456')], {
      ...ctx,
      findNumber: () => settings('private'),
    });
    expect(own.errors).toEqual([]);
    expect(own.rows[0]).toMatchObject({ statusMode: 'manual', activeStatus: 'private', selfManagement: true });
    const setting = validateBulkRecords([rec(1, header), row('+32470123456')], {
      ...ctx,
      findNumber: () => settings('professional'),
    });
    expect(setting.errors.map(e => e.column)).toEqual(['status_mode']);
  });
});
