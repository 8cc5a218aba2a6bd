import {
  Table,
  TableBody,
  TableCell,
  TableHead,
  TableRow,
  Typography,
} from '@material-ui/core';
import { auditDetailRows } from './auditSentences';

/**
 * The details of an audit entry as tables, never raw JSON: a change as field / before
 * / after, everything else as key / value (nested keys dotted).
 */
export function AuditDetails(props: { details?: Record<string, unknown> }) {
  const rows = auditDetailRows(props.details);
  if (rows.length === 0)
    return <Typography variant="body2">No details recorded.</Typography>;
  const changes = rows.flatMap(r => (r.kind === 'change' ? [r] : []));
  const values = rows.flatMap(r => (r.kind === 'value' ? [r] : []));
  const cell = { style: { overflowWrap: 'anywhere' as const } };
  return (
    <>
      {changes.length > 0 && (
        <Table size="small" aria-label="Changes" data-testid="audit-changes">
          <TableHead>
            <TableRow>
              <TableCell>Field</TableCell>
              <TableCell>Before</TableCell>
              <TableCell>After</TableCell>
            </TableRow>
          </TableHead>
          <TableBody>
            {changes.map(r => (
              <TableRow key={r.field}>
                <TableCell component="th" scope="row" {...cell}>
                  {r.field}
                </TableCell>
                <TableCell {...cell}>{r.before}</TableCell>
                <TableCell {...cell}>{r.after}</TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
      {values.length > 0 && (
        <Table size="small" aria-label="Details" data-testid="audit-details">
          <TableHead>
            <TableRow>
              <TableCell>Key</TableCell>
              <TableCell>Value</TableCell>
            </TableRow>
          </TableHead>
          <TableBody>
            {values.map(r => (
              <TableRow key={r.key}>
                <TableCell component="th" scope="row" {...cell}>
                  {r.key}
                </TableCell>
                <TableCell {...cell}>{r.value}</TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
    </>
  );
}
