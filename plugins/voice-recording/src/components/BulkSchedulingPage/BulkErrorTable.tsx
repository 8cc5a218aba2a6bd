import {
  Table,
  TableBody,
  TableCell,
  TableHead,
  TableRow,
} from '@material-ui/core';
import { Alert } from '@material-ui/lab';
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
    <Alert severity="error" role="alert" data-testid="error-alert">
      {bulkRejectionText(props.errors)} Fix the lines listed below and upload
      the file again.
    </Alert>
  );
}

/** Every wrong row of a rejected CSV upload: line, number, column, message. */
export function BulkErrorTable(props: { errors: BulkRowError[] }) {
  return (
    <Table
      size="small"
      aria-label="Errors in the file"
      data-testid="bulk-error-table"
    >
      <TableHead>
        <TableRow>
          <TableCell>Line</TableCell>
          <TableCell>Number</TableCell>
          <TableCell>Column</TableCell>
          <TableCell>Message</TableCell>
        </TableRow>
      </TableHead>
      <TableBody>
        {props.errors.map((e, i) => (
          <TableRow key={i} data-testid="bulk-error-row">
            <TableCell>{e.line}</TableCell>
            <TableCell>{e.number ?? ''}</TableCell>
            <TableCell>{e.column ?? ''}</TableCell>
            <TableCell>{e.message}</TableCell>
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );
}
