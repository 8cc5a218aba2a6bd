import type { InputHTMLAttributes } from 'react';
import {
  Checkbox,
  Table,
  TableBody,
  TableCell,
  TableHead,
  TableRow,
  TableSortLabel,
  makeStyles,
} from '@material-ui/core';
import CallMadeIcon from '@material-ui/icons/CallMade';
import CallReceivedIcon from '@material-ui/icons/CallReceived';
import type {
  ConversationSort,
  ConversationSummary,
} from '../../api/VoiceRecordingApi';
import {
  formatDateTime,
  formatDuration,
  partyLabel,
  splitParticipants,
} from './format';
import { QualityWarnings } from './QualityWarnings';
import { PersonName } from '../PersonName/PersonName';
import { AudioIssueChip, otherQualityWarnings } from './AudioIssues';

const useStyles = makeStyles({
  row: { cursor: 'pointer' },
  parties: { whiteSpace: 'nowrap' },
});

export interface SortState {
  sort: ConversationSort;
  order: 'asc' | 'desc';
}

/** Next sort state when a column header is clicked: toggles the order on the same column. */
export function nextSort(
  current: SortState,
  column: ConversationSort,
): SortState {
  if (current.sort === column) {
    return { sort: column, order: current.order === 'asc' ? 'desc' : 'asc' };
  }
  // Times and durations: most recent / longest first; numbers: in order.
  const order =
    column === 'startedAt' || column === 'durationMs' ? 'desc' : 'asc';
  return { sort: column, order };
}

const COLUMNS: Array<{ key: ConversationSort | null; label: string }> = [
  { key: 'number', label: 'Recorded number' },
  { key: 'otherParty', label: 'Other party' },
  { key: null, label: 'User' },
  { key: null, label: 'Direction' },
  { key: 'startedAt', label: 'Start' },
  { key: 'durationMs', label: 'Duration' },
  { key: null, label: 'Quality' },
];

/** Result list of a conversation search; clicking a row (or Enter on it) opens it. */
export function ConversationsTable(props: {
  items: ConversationSummary[];
  sort: SortState;
  onSort: (column: ConversationSort) => void;
  onOpen: (item: ConversationSummary) => void;
  /** Ticked ids (with onTick: a checkbox column, to export the ticked calls). */
  selected?: ReadonlySet<string>;
  onTick?: (ids: string[], ticked: boolean) => void;
}) {
  const classes = useStyles();
  const { selected, onTick } = props;
  const tickable = Boolean(selected && onTick);
  const ids = props.items.map(i => i.id);
  const tickedHere = ids.filter(id => selected?.has(id)).length;
  return (
    <Table
      size="small"
      aria-label="Conversations"
      data-testid="conversations-table"
    >
      <TableHead>
        <TableRow>
          {tickable && (
            <TableCell padding="checkbox">
              <Checkbox
                size="small"
                checked={ids.length > 0 && tickedHere === ids.length}
                indeterminate={tickedHere > 0 && tickedHere < ids.length}
                disabled={ids.length === 0}
                onChange={e => onTick!(ids, e.target.checked)}
                inputProps={{ 'aria-label': 'Tick every call of this page' }}
              />
            </TableCell>
          )}
          {COLUMNS.map(c => (
            <TableCell
              key={c.label}
              sortDirection={
                c.key && props.sort.sort === c.key ? props.sort.order : false
              }
            >
              {c.key ? (
                <TableSortLabel
                  active={props.sort.sort === c.key}
                  direction={
                    props.sort.sort === c.key ? props.sort.order : 'asc'
                  }
                  onClick={() => props.onSort(c.key!)}
                  data-testid={`sort-${c.key}`}
                >
                  {c.label}
                </TableSortLabel>
              ) : (
                c.label
              )}
            </TableCell>
          ))}
        </TableRow>
      </TableHead>
      <TableBody>
        {props.items.length === 0 && (
          <TableRow>
            <TableCell colSpan={COLUMNS.length + (tickable ? 1 : 0)}>
              No conversations match.
            </TableCell>
          </TableRow>
        )}
        {props.items.map(item => {
          const { recorded, other } = splitParticipants(item.participants);
          return (
            <TableRow
              key={item.id}
              hover
              tabIndex={0}
              className={classes.row}
              data-testid={`conversation-row-${item.id}`}
              onClick={() => props.onOpen(item)}
              onKeyDown={e => {
                if (e.key === 'Enter') props.onOpen(item);
              }}
            >
              {tickable && (
                <TableCell
                  padding="checkbox"
                  onClick={e => e.stopPropagation()}
                  onKeyDown={e => e.stopPropagation()}
                >
                  <Checkbox
                    size="small"
                    checked={selected!.has(item.id)}
                    onChange={e => onTick!([item.id], e.target.checked)}
                    inputProps={
                      {
                        'aria-label': `Tick the call of ${formatDateTime(
                          item.startedAt,
                        )} with ${item.otherParty ?? 'unknown'}`,
                        'data-testid': `tick-${item.id}`,
                      } as InputHTMLAttributes<HTMLInputElement>
                    }
                  />
                </TableCell>
              )}
              <TableCell className={classes.parties}>
                {partyLabel(item.number, recorded)}
              </TableCell>
              <TableCell className={classes.parties}>
                {partyLabel(item.otherParty, other)}
              </TableCell>
              <TableCell>
                <PersonName entityRef={item.userRef} />
              </TableCell>
              <TableCell>
                {item.direction === 'outgoing' && (
                  <>
                    <CallMadeIcon fontSize="inherit" /> Outgoing
                  </>
                )}
                {item.direction === 'incoming' && (
                  <>
                    <CallReceivedIcon fontSize="inherit" /> Incoming
                  </>
                )}
                {!item.direction && '—'}
              </TableCell>
              <TableCell>{formatDateTime(item.startedAt)}</TableCell>
              <TableCell>
                {item.state === 'recording'
                  ? 'recording…'
                  : formatDuration(item.durationMs)}
              </TableCell>
              <TableCell>
                <AudioIssueChip conversation={item} />
                <QualityWarnings warnings={otherQualityWarnings(item)} />
              </TableCell>
            </TableRow>
          );
        })}
      </TableBody>
    </Table>
  );
}
