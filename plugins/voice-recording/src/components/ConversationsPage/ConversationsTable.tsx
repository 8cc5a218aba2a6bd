import { Fragment } from 'react';
import { Checkbox } from '@backstage/ui';
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
import { DataTable, SortableTh, Td, Th } from './DataTable';
import { LabelChip } from '../LabelChip/LabelChip';
import { LegalHoldBadge } from '../LegalHoldsPage/LegalHoldBadge';
import { QualityVerdictBadge } from '../QualityCheck/QualityCheck';

/** Text that may wrap between its words, never inside one (a date, a time). */
function NoBreakWords(props: { text: string }) {
  return (
    <>
      {props.text.split(' ').map((word, i) => (
        <Fragment key={i}>
          {i > 0 && ' '}
          <span style={{ whiteSpace: 'nowrap' }}>{word}</span>
        </Fragment>
      ))}
    </>
  );
}

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
  { key: null, label: 'Labels' },
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
  /** Case titles by case id: a case's label chip names its case (tooltip, assistive technology). */
  caseTitles?: ReadonlyMap<string, string>;
}) {
  const { selected, onTick } = props;
  const tickable = Boolean(selected && onTick);
  const ids = props.items.map(i => i.id);
  const tickedHere = ids.filter(id => selected?.has(id)).length;
  return (
    // the table scrolls inside its box on a narrow window, never the page
    <div style={{ overflowX: 'auto' }}>
      <DataTable aria-label="Conversations" data-testid="conversations-table">
        <thead>
          <tr>
            {tickable && (
              <Th style={{ width: 16 }}>
                <Checkbox
                  aria-label="Tick every call of this page"
                  isSelected={ids.length > 0 && tickedHere === ids.length}
                  isIndeterminate={tickedHere > 0 && tickedHere < ids.length}
                  isDisabled={ids.length === 0}
                  onChange={on => onTick!(ids, on)}
                />
              </Th>
            )}
            {COLUMNS.map(c =>
              c.key ? (
                <SortableTh
                  key={c.label}
                  label={c.label}
                  direction={
                    props.sort.sort === c.key ? props.sort.order : undefined
                  }
                  onSort={() => props.onSort(c.key!)}
                  data-testid={`sort-${c.key}`}
                />
              ) : (
                <Th key={c.label}>{c.label}</Th>
              ),
            )}
          </tr>
        </thead>
        <tbody>
          {props.items.length === 0 && (
            <tr>
              <Td colSpan={COLUMNS.length + (tickable ? 1 : 0)}>
                No conversations match.
              </Td>
            </tr>
          )}
          {props.items.map(item => {
            const { recorded, other } = splitParticipants(item.participants);
            return (
              <tr
                key={item.id}
                tabIndex={0}
                style={{ cursor: 'pointer' }}
                data-testid={`conversation-row-${item.id}`}
                onClick={() => props.onOpen(item)}
                onKeyDown={e => {
                  if (e.key === 'Enter' && e.target === e.currentTarget)
                    props.onOpen(item);
                }}
              >
                {tickable && (
                  <Td
                    style={{ padding: '0 var(--bui-space-2)' }}
                    // keeps a tick from opening the call
                    onClick={e => e.stopPropagation()}
                  >
                    <Checkbox
                      aria-label={`Tick the call of ${formatDateTime(
                        item.startedAt,
                      )} with ${item.otherParty ?? 'unknown'}`}
                      data-testid={`tick-${item.id}`}
                      isSelected={selected!.has(item.id)}
                      onChange={on => onTick!([item.id], on)}
                    />
                  </Td>
                )}
                <Td>{partyLabel(item.number, recorded)}</Td>
                <Td>{partyLabel(item.otherParty, other)}</Td>
                <Td>
                  <PersonName entityRef={item.userRef} />
                </Td>
                <Td>
                  {item.direction === 'outgoing' && (
                    <>
                      <span aria-hidden="true">↗</span> Outgoing
                    </>
                  )}
                  {item.direction === 'incoming' && (
                    <>
                      <span aria-hidden="true">↙</span> Incoming
                    </>
                  )}
                  {!item.direction && '—'}
                </Td>
                <Td>
                  {/* on a narrow window, time under date: never broken inside either */}
                  <NoBreakWords text={formatDateTime(item.startedAt)} />
                </Td>
                <Td>
                  {item.state === 'recording'
                    ? 'recording…'
                    : formatDuration(item.durationMs)}
                </Td>
                <Td>
                  <span
                    style={{
                      display: 'inline-flex',
                      flexWrap: 'wrap',
                      gap: 'var(--bui-space-1)',
                    }}
                  >
                    <AudioIssueChip conversation={item} />
                    {/* the verdict's reasons say what the warnings would; only
                        calls archived before the check show the warning icon */}
                    <QualityVerdictBadge check={item.qualityCheck} />
                    {!item.qualityCheck && (
                      <QualityWarnings warnings={otherQualityWarnings(item)} />
                    )}
                  </span>
                </Td>
                <Td data-testid={`labels-${item.id}`}>
                  <LegalHoldBadge conversation={item} />
                  {item.labels?.length ? (
                    <span
                      style={{
                        display: 'flex',
                        flexWrap: 'wrap',
                        gap: 'var(--bui-space-1)',
                      }}
                    >
                      {item.labels.map(l => (
                        <LabelChip
                          key={l.id}
                          label={l}
                          description={
                            l.caseId && props.caseTitles?.get(l.caseId)
                              ? `case ${props.caseTitles.get(l.caseId)}`
                              : undefined
                          }
                        />
                      ))}
                    </span>
                  ) : null}
                </Td>
              </tr>
            );
          })}
        </tbody>
      </DataTable>
    </div>
  );
}
