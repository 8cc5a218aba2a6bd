import { DataTable, Td, Th } from '../ConversationsPage/DataTable';
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
  // a semantic table (automatic column widths): BUI's Table has fixed, equal
  // columns that cut numbers and times in a half-width card
  return (
    <DataTable
      aria-label="Participant history"
      data-testid="participant-history"
    >
      <thead>
        <tr>
          <Th>Party</Th>
          <Th>Role</Th>
          <Th>From</Th>
          <Th>To</Th>
        </tr>
      </thead>
      <tbody>
        {props.history.map((p, i) => (
          <tr key={`${p.aor}-${p.from}-${i}`}>
            <Td style={{ overflowWrap: 'anywhere' }}>
              {p.number ?? p.aor}
              {p.name ? ` (${p.name})` : ''}
            </Td>
            <Td>{p.recorded ? 'Recorded user' : 'Other party'}</Td>
            <Td>{formatDateTime(p.from)}</Td>
            <Td>{p.to ? formatDateTime(p.to) : openEnd}</Td>
          </tr>
        ))}
      </tbody>
    </DataTable>
  );
}
