import {
  Cell,
  Column,
  Row,
  TableBody,
  TableHeader,
  TableRoot,
} from '@backstage/ui';
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
    <div data-testid="participant-history">
      <TableRoot aria-label="Participant history">
        <TableHeader>
          <Column isRowHeader>Party</Column>
          <Column>Role</Column>
          <Column>From</Column>
          <Column>To</Column>
        </TableHeader>
        <TableBody>
          {props.history.map((p, i) => (
            <Row key={`${p.aor}-${p.from}-${i}`} id={`${p.aor}-${p.from}-${i}`}>
              <Cell>
                {p.number ?? p.aor}
                {p.name ? ` (${p.name})` : ''}
              </Cell>
              <Cell>{p.recorded ? 'Recorded user' : 'Other party'}</Cell>
              <Cell>{formatDateTime(p.from)}</Cell>
              <Cell>{p.to ? formatDateTime(p.to) : openEnd}</Cell>
            </Row>
          ))}
        </TableBody>
      </TableRoot>
    </div>
  );
}
