import { Link, Text } from '@backstage/ui';
import type { NumberCoverage } from '@mvr/plugin-voice-recording-common';
import { DataTable, Td, Th } from '../ConversationsPage/DataTable';
import { formatDateTime } from '../ConversationsPage/format';
import { PersonName } from '../PersonName/PersonName';
import { AttentionBadge } from './HealthBadges';
import { formatHours, refusedText } from './healthText';

const COLUMNS = [
  'Number',
  'Owner',
  'Attention',
  'Open alarms',
  'Expected',
  'Recorded calls',
  'Refused',
  'Failed quality',
  'Last recorded call',
];

/**
 * Coverage per recorded number over the period (its unresolved alarms: open, or
 * acknowledged and saying by whom), in the backend's order (the numbers
 * that need attention first); a number opens its own view (`numberHref`).
 */
export function NumberCoverageTable(props: {
  items: NumberCoverage[];
  numberHref: (item: NumberCoverage) => string;
}) {
  return (
    <div style={{ overflowX: 'auto' }}>
      <DataTable
        aria-label="Coverage per recorded number"
        data-testid="coverage-table"
      >
        <thead>
          <tr>
            {COLUMNS.map(c => (
              <Th key={c}>{c}</Th>
            ))}
          </tr>
        </thead>
        <tbody>
          {props.items.length === 0 && (
            <tr>
              <Td colSpan={COLUMNS.length}>No recorded numbers match.</Td>
            </tr>
          )}
          {props.items.map(item => (
            <tr key={item.numberId} data-testid={`coverage-row-${item.number}`}>
              <Td>
                <Link href={props.numberHref(item)}>{item.number}</Link>
                {!item.active && (
                  <Text
                    as="p"
                    variant="body-small"
                    color="secondary"
                    style={{ margin: 0 }}
                  >
                    MVR inactive
                  </Text>
                )}
              </Td>
              <Td>
                <PersonName entityRef={item.ownerRef} />
              </Td>
              <Td>
                <AttentionBadge attention={item.attention} />
              </Td>
              <Td data-testid={`open-alarms-${item.number}`}>
                {item.openAlarms.length === 0 ? (
                  '—'
                ) : (
                  <ul style={{ margin: 0, paddingLeft: '1.1em' }}>
                    {item.openAlarms.map(a => (
                      <li key={a.id}>
                        {a.summary}
                        {a.state === 'acknowledged' && (
                          <>
                            {' '}
                            (acknowledged by{' '}
                            <PersonName entityRef={a.acknowledgedBy} />)
                          </>
                        )}
                      </li>
                    ))}
                  </ul>
                )}
              </Td>
              <Td>{formatHours(item.expectedSeconds)}</Td>
              <Td>
                {item.recordedCalls} ({formatHours(item.recordedSeconds)})
              </Td>
              <Td>{refusedText(item)}</Td>
              <Td>
                {item.failedQualityCalls}
                {item.warningQualityCalls > 0 &&
                  ` (${item.warningQualityCalls} warnings)`}
              </Td>
              <Td>
                {item.lastRecordedCallAt
                  ? formatDateTime(item.lastRecordedCallAt)
                  : 'Never'}
              </Td>
            </tr>
          ))}
        </tbody>
      </DataTable>
    </div>
  );
}
