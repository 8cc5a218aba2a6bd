import {
  Cell,
  Column,
  Row,
  TableBody,
  TableHeader,
  TableRoot,
} from '@backstage/ui';
import type { RecordedNumberWithStatus } from '@mvr/plugin-voice-recording-common';
import { StatusBadge } from '../StatusBadge/StatusBadge';
import { PersonName } from '../PersonName/PersonName';

/** "Office hours" / "Office hours (edited since)": the model the schedule was copied from. */
export function planningModelCell(item: RecordedNumberWithStatus) {
  if (!item.planningModel) return '—';
  return item.followsPlanningModel
    ? item.planningModel
    : `${item.planningModel} (no longer follows it)`;
}

/** Table of recorded numbers; clicking a row (or pressing Enter on it) opens it. */
export function NumbersTable(props: {
  items: RecordedNumberWithStatus[];
  onOpen: (item: RecordedNumberWithStatus) => void;
}) {
  return (
    <TableRoot aria-label="Recorded numbers" data-testid="numbers-table">
      <TableHeader>
        <Column isRowHeader>Number</Column>
        <Column>User</Column>
        <Column>Status</Column>
        <Column>MVR active</Column>
        <Column>Mode</Column>
        <Column>Planning model</Column>
      </TableHeader>
      <TableBody renderEmptyState={() => 'No recorded numbers match.'}>
        {props.items.map(item => (
          <Row
            key={item.id}
            id={item.id}
            data-testid={`number-row-${item.number}`}
            style={{ cursor: 'pointer' }}
            onAction={() => props.onOpen(item)}
          >
            <Cell>{item.number}</Cell>
            <Cell>
              <PersonName entityRef={item.userRef} />
            </Cell>
            <Cell>
              <StatusBadge status={item.status} fmu={item.fmu} />
            </Cell>
            <Cell>{item.mvrActive ? 'Yes' : 'No'}</Cell>
            <Cell>
              {item.settings.statusMode === 'auto'
                ? 'Auto'
                : `Manual (${item.settings.activeStatus})`}
            </Cell>
            <Cell>{planningModelCell(item)}</Cell>
          </Row>
        ))}
      </TableBody>
    </TableRoot>
  );
}
