/**
 * Spreadsheet formula injection ("CSV injection", OWASP): a cell that starts with
 * `=`, `+`, `-`, `@`, a tab or a carriage return is run as a formula by Excel,
 * LibreOffice and Google Sheets (`=HYPERLINK(...)`, `=2+5`, `@SUM(...)`). Every CSV
 * the suite writes passes each cell through {@link csvCell}, which prefixes such a
 * cell with a single quote (`'`) as OWASP recommends, so that it is read as text.
 *
 * E.164 numbers start with `+` and are therefore written `'+32470123456`. The bulk
 * import reads its own escaping back with {@link readCsvCell}, so an export imports
 * unchanged.
 *
 * The escaping is reversible: a value that already starts with quotes followed by a
 * formula character (`'=x`) gets one more quote (`''=x`), and {@link readCsvCell}
 * removes exactly one quote from a cell of that shape, so that
 * `readCsvCell(csvCell(v)) === v` for every string `v`.
 */
const FORMULA_START = /^'*[=+\-@\t\r]/;
const ESCAPED_FORMULA = /^'+[=+\-@\t\r]/;

/** The characters that start a formula (OWASP): `=`, `+`, `-`, `@`, tab, CR. */
export const CSV_FORMULA_CHARACTERS = ['=', '+', '-', '@', '\t', '\r'] as const;

/**
 * One CSV cell, neutralised against formula injection (before the CSV quoting of
 * separators and quotes, which the CSV writer does). Numbers and booleans are written
 * as they are (`-3` is a number to a spreadsheet, not a formula); `null`/`undefined`
 * are empty cells.
 */
export function csvCell(
  value: string | number | boolean | null | undefined,
): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number' || typeof value === 'boolean')
    return String(value);
  return FORMULA_START.test(value) ? `'${value}` : value;
}

/** Every value of a row through {@link csvCell}. */
export function csvRow<K extends string>(
  row: Record<K, string | number | boolean | null | undefined>,
): Record<K, string> {
  const out = {} as Record<K, string>;
  for (const key of Object.keys(row) as K[]) out[key] = csvCell(row[key]);
  return out;
}

/**
 * The value of a cell written by {@link csvCell}: removes the one quote it added.
 * A cell without that shape (from a file written by hand or by a spreadsheet, which
 * drops the quote when it saves) is returned unchanged.
 */
export function readCsvCell(cell: string): string {
  return ESCAPED_FORMULA.test(cell) ? cell.slice(1) : cell;
}
