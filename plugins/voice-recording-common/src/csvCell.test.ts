import { csvCell, csvRow, readCsvCell } from './csvCell';

describe('csvCell', () => {
  it.each([
    ['=2+5', "'=2+5"],
    ['=HYPERLINK("http://evil.example","click")', `'=HYPERLINK("http://evil.example","click")`],
    ['+32470123456', "'+32470123456"],
    ['-1+cmd|/c calc', "'-1+cmd|/c calc"],
    ['@SUM(A1:A2)', "'@SUM(A1:A2)"],
    ['\t=1', "'\t=1"],
    ['\r=1', "'\r=1"],
    // already quoted before a formula character: one more quote keeps it reversible
    ["'=1", "''=1"],
  ])('neutralises %j as %j (OWASP prefix)', (value, written) => {
    expect(csvCell(value)).toBe(written);
    expect(readCsvCell(written)).toBe(value);
  });

  it.each(['Office hours', "'quoted", 'user:default/bob', '0470 12 34 56', '', ' =not first', 'a=b'])(
    'leaves %j as it is',
    value => {
      expect(csvCell(value)).toBe(value);
      expect(readCsvCell(value)).toBe(value);
    },
  );

  it('writes numbers and booleans as they are and null/undefined as empty cells', () => {
    expect(csvCell(-3)).toBe('-3');
    expect(csvCell(12.5)).toBe('12.5');
    expect(csvCell(true)).toBe('true');
    expect(csvCell(null)).toBe('');
    expect(csvCell(undefined)).toBe('');
  });

  it('reads back exactly what it wrote, for every string', () => {
    const chars = ["'", '=', '+', '-', '@', '\t', '\r', 'a', '1', ' '];
    const values: string[] = [''];
    for (let len = 1; len <= 3; len++) {
      const next: string[] = [];
      for (const v of values.filter(x => x.length === len - 1))
        for (const c of chars) next.push(v + c);
      values.push(...next);
    }
    for (const v of values) {
      const written = csvCell(v);
      expect(written).not.toMatch(/^[=+\-@\t\r]/);
      expect(readCsvCell(written)).toBe(v);
    }
  });

  it('maps a row', () => {
    expect(csvRow({ a: '=1', b: 2, c: undefined })).toEqual({ a: "'=1", b: '2', c: '' });
  });
});
