import {
  Table,
  TableBody,
  TableCell,
  TableHead,
  TableRow,
  makeStyles,
} from '@material-ui/core';
import type { RecordedNumberWithStatus } from '@mvr/plugin-voice-recording-common';
import { StatusBadge } from '../StatusBadge/StatusBadge';
import { PersonName } from '../PersonName/PersonName';

const useStyles = makeStyles({ row: { cursor: 'pointer' } });

/** Table of recorded numbers; clicking a row (or pressing Enter on it) opens it. */
export function NumbersTable(props: {
  items: RecordedNumberWithStatus[];
  onOpen: (item: RecordedNumberWithStatus) => void;
}) {
  const classes = useStyles();
  return (
    <Table
      size="small"
      aria-label="Recorded numbers"
      data-testid="numbers-table"
    >
      <TableHead>
        <TableRow>
          <TableCell>Number</TableCell>
          <TableCell>User</TableCell>
          <TableCell>Status</TableCell>
          <TableCell>MVR active</TableCell>
          <TableCell>Mode</TableCell>
          <TableCell>Planning model</TableCell>
        </TableRow>
      </TableHead>
      <TableBody>
        {props.items.length === 0 && (
          <TableRow>
            <TableCell colSpan={6}>No recorded numbers match.</TableCell>
          </TableRow>
        )}
        {props.items.map(item => (
          <TableRow
            key={item.id}
            hover
            tabIndex={0}
            className={classes.row}
            data-testid={`number-row-${item.number}`}
            onClick={() => props.onOpen(item)}
            onKeyDown={e => {
              if (e.key === 'Enter') props.onOpen(item);
            }}
          >
            <TableCell>{item.number}</TableCell>
            <TableCell>
              <PersonName entityRef={item.userRef} />
            </TableCell>
            <TableCell>
              <StatusBadge status={item.status} fmu={item.fmu} />
            </TableCell>
            <TableCell>{item.mvrActive ? 'Yes' : 'No'}</TableCell>
            <TableCell>
              {item.settings.statusMode === 'auto'
                ? 'Auto'
                : `Manual (${item.settings.activeStatus})`}
            </TableCell>
            <TableCell>{item.planningModel ?? '—'}</TableCell>
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );
}
