import {
  Table,
  TableBody,
  TableCell,
  TableHead,
  TableRow,
} from '@material-ui/core';
import type { ConversationParticipantPeriod } from '@mvr/plugin-voice-recording-common';
import { formatDateTime } from '../ConversationsPage/format';

/**
 * Who was on the call when (participant history from the SIPREC metadata and its
 * updates: transfers, conferences, an SBC naming the real party later). Values come
 * from the network: rendered as text only.
 */
export function ParticipantHistory(props: {
  history: ConversationParticipantPeriod[];
  endedAt?: string;
}) {
  // a period without an end lasted to the end of the call, or lasts still
  const openEnd = props.endedAt ? 'end of the call' : 'now';
  return (
    <Table
      size="small"
      aria-label="Participant history"
      data-testid="participant-history"
    >
      <TableHead>
        <TableRow>
          <TableCell>Party</TableCell>
          <TableCell>Role</TableCell>
          <TableCell>From</TableCell>
          <TableCell>To</TableCell>
        </TableRow>
      </TableHead>
      <TableBody>
        {props.history.map((p, i) => (
          <TableRow key={`${p.aor}-${p.from}-${i}`}>
            <TableCell>
              {p.number ?? p.aor}
              {p.name ? ` (${p.name})` : ''}
            </TableCell>
            <TableCell>{p.recorded ? 'Recorded user' : 'Other party'}</TableCell>
            <TableCell>{formatDateTime(p.from)}</TableCell>
            <TableCell>
              {p.to ? formatDateTime(p.to) : openEnd}
            </TableCell>
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );
}
