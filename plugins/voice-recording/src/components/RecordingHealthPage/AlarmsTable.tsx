import { Button, Text } from '@backstage/ui';
import type { RecordingAlarm } from '@mvr/plugin-voice-recording-common';
import { DataTable, Td, Th } from '../ConversationsPage/DataTable';
import { formatDateTime } from '../ConversationsPage/format';
import { PersonName } from '../PersonName/PersonName';
import { AlarmStateBadge } from './HealthBadges';
import { ALARM_KIND_LABELS } from './healthText';

/** Who acknowledged an alarm and when, with their comment. */
export function AcknowledgedBy(props: { alarm: RecordingAlarm }) {
  const { alarm } = props;
  if (!alarm.acknowledgedAt && !alarm.acknowledgedBy) return null;
  return (
    <Text
      as="p"
      variant="body-small"
      data-testid={`alarm-acknowledged-${alarm.id}`}
      style={{ margin: 0 }}
    >
      Acknowledged by <PersonName entityRef={alarm.acknowledgedBy} /> on{' '}
      {formatDateTime(alarm.acknowledgedAt)}
      {alarm.acknowledgeComment ? `: “${alarm.acknowledgeComment}”` : ''}
    </Text>
  );
}

/**
 * Recording alarms, newest first: kind, state, the summary sentence with its figures,
 * when raised (and last raised again), resolved, who acknowledged it. Open alarms have
 * an Acknowledge button when `onAcknowledge` is given (the user may acknowledge).
 */
export function AlarmsTable(props: {
  alarms: RecordingAlarm[];
  /** Shows the number column (alarms of several numbers). */
  showNumber?: boolean;
  onAcknowledge?: (alarm: RecordingAlarm) => void;
  'aria-label': string;
}) {
  const columns = [
    ...(props.showNumber ? ['Number or recorder'] : []),
    'Alarm',
    'State',
    'What',
    'Raised',
    'Handling',
  ];
  return (
    <div style={{ overflowX: 'auto' }}>
      <DataTable aria-label={props['aria-label']} data-testid="alarms-table">
        <thead>
          <tr>
            {columns.map(c => (
              <Th key={c}>{c}</Th>
            ))}
          </tr>
        </thead>
        <tbody>
          {props.alarms.length === 0 && (
            <tr>
              <Td colSpan={columns.length}>No alarms.</Td>
            </tr>
          )}
          {props.alarms.map(alarm => (
            <tr key={alarm.id} data-testid={`alarm-row-${alarm.id}`}>
              {props.showNumber && (
                <Td>{alarm.number ?? alarm.recorderInstance ?? '—'}</Td>
              )}
              <Td>{ALARM_KIND_LABELS[alarm.kind] ?? alarm.kind}</Td>
              <Td>
                <AlarmStateBadge
                  state={alarm.state}
                  severity={alarm.severity}
                />
              </Td>
              <Td data-testid={`alarm-summary-${alarm.id}`}>{alarm.summary}</Td>
              <Td>
                {formatDateTime(alarm.raisedAt)}
                {alarm.lastRaisedAt &&
                  alarm.lastRaisedAt !== alarm.raisedAt && (
                    <Text
                      as="p"
                      variant="body-small"
                      color="secondary"
                      style={{ margin: 0 }}
                    >
                      raised again {formatDateTime(alarm.lastRaisedAt)}
                    </Text>
                  )}
              </Td>
              <Td>
                {alarm.resolvedAt && (
                  <Text as="p" variant="body-small" style={{ margin: 0 }}>
                    Resolved {formatDateTime(alarm.resolvedAt)}
                  </Text>
                )}
                <AcknowledgedBy alarm={alarm} />
                {alarm.state === 'open' && props.onAcknowledge && (
                  <Button
                    size="small"
                    variant="secondary"
                    aria-label={`Acknowledge the alarm: ${alarm.summary}`}
                    onPress={() => props.onAcknowledge!(alarm)}
                  >
                    Acknowledge
                  </Button>
                )}
                {alarm.state === 'open' && !props.onAcknowledge && '—'}
              </Td>
            </tr>
          ))}
        </tbody>
      </DataTable>
    </div>
  );
}
