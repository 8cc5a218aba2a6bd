import { Alert } from '@backstage/ui';
import type { BulkRowError } from '@mvr/plugin-voice-recording-common';

/** "7 lines have errors; nothing was changed." (lines, not errors: a line can have several). */
export function bulkRejectionText(errors: BulkRowError[]): string {
  const lines = new Set(errors.map(e => e.line)).size;
  return lines === 1
    ? '1 line has errors; nothing was changed.'
    : `${lines} lines have errors; nothing was changed.`;
}

/** The rejected upload's message in a person's words; the table below lists each error. */
export function BulkRejectionAlert(props: { errors: BulkRowError[] }) {
  return (
    <Alert
      status="danger"
      icon
      role="alert"
      data-testid="error-alert"
      title={`${bulkRejectionText(
        props.errors,
      )} Fix the lines listed below and upload the file again.`}
    />
  );
}

const cell = {
  padding: 'var(--bui-space-2) var(--bui-space-3)',
  borderBottom: '1px solid var(--bui-border-1)',
  textAlign: 'left' as const,
  verticalAlign: 'top' as const,
  overflowWrap: 'anywhere' as const,
};
const head = {
  ...cell,
  fontWeight: 'var(--bui-font-weight-bold)' as any,
  color: 'var(--bui-fg-secondary)',
};

/**
 * Every wrong row of a rejected CSV upload: line, number, column, message. A plain
 * table on BUI tokens: a read-only list with no row actions needs none of BUI Table's
 * grid behaviour, and its cells stay cells for assistive technology.
 */
export function BulkErrorTable(props: { errors: BulkRowError[] }) {
  return (
    <table
      aria-label="Errors in the file"
      data-testid="bulk-error-table"
      style={{
        width: '100%',
        borderCollapse: 'collapse',
        fontSize: 'var(--bui-font-size-3)',
        color: 'var(--bui-fg-primary)',
      }}
    >
      <thead>
        <tr>
          <th scope="col" style={{ ...head, width: '4em' }}>
            Line
          </th>
          <th scope="col" style={head}>
            Number
          </th>
          <th scope="col" style={head}>
            Column
          </th>
          <th scope="col" style={head}>
            Message
          </th>
        </tr>
      </thead>
      <tbody>
        {props.errors.map((e, i) => (
          <tr key={i} data-testid="bulk-error-row">
            <td style={cell}>{e.line}</td>
            <td style={cell}>{e.number ?? ''}</td>
            <td style={cell}>{e.column ?? ''}</td>
            <td style={cell}>{e.message}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
