import {
  Table,
  TableBody,
  TableCell,
  TableHead,
  TableRow,
} from '@material-ui/core';
import type { BulkRowError } from '@mvr/plugin-voice-recording-common';

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
