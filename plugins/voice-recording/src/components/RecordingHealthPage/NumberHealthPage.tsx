import { useState } from 'react';
import { useParams, useSearchParams } from 'react-router-dom';
import useAsync from 'react-use/esm/useAsync';
import {
  Alert,
  Card,
  CardBody,
  Flex,
  Link,
  Skeleton,
  Text,
} from '@backstage/ui';
import { useApi } from '@backstage/frontend-plugin-api';
import type {
  CoverageDay,
  RecordingAlarm,
} from '@mvr/plugin-voice-recording-common';
import { voiceRecordingApiRef } from '../../api/VoiceRecordingApi';
import { errorStatus } from '../../api/errors';
import { useVoiceRecordingPermissions } from '../../hooks/useVoiceRecordingPermissions';
import { DataTable, RowTh, Td, Th } from '../ConversationsPage/DataTable';
import { formatDateTime } from '../ConversationsPage/format';
import { ErrorAlert } from '../ErrorAlert/ErrorAlert';
import { PersonName } from '../PersonName/PersonName';
import { SuccessAlert } from '../SuccessAlert/SuccessAlert';
import { AcknowledgeAlarmDialog } from './AcknowledgeAlarmDialog';
import { AlarmsTable } from './AlarmsTable';
import { AttentionBadge } from './HealthBadges';
import { HealthPeriodPicker } from './HealthPeriodPicker';
import {
  conversationsQuery,
  formatDay,
  formatHours,
  formatPeriod,
  refusedText,
} from './healthText';

/**
 * Recording health of one number over a period: its figures, one row per day (each
 * linking to that day's calls), and its alarms, which an admin may acknowledge with a
 * comment. The alarms' notifications link here.
 */
export function NumberHealthPage(props: {
  /** The overview's URL, keeping the period. */
  overviewHref: (period: { from?: string; to?: string }) => string;
  /** The conversations page's URL with a query. */
  conversationsHref: (query: string) => string;
  /** The number's own page (settings and schedule). */
  numberHref: (numberId: string) => string;
}) {
  const { id = '' } = useParams();
  const api = useApi(voiceRecordingApiRef);
  const { canAcknowledgeAlarms } = useVoiceRecordingPermissions();
  const [params, setParams] = useSearchParams();
  const from = params.get('from') || undefined;
  const to = params.get('to') || undefined;
  const [reload, setReload] = useState(0);
  const [acknowledging, setAcknowledging] = useState<RecordingAlarm>();
  const [done, setDone] = useState<string>();

  const { value, loading, error } = useAsync(
    () => api.getNumberCoverage(id, { from, to }),
    [api, id, from, to, reload],
  );

  const back = (
    <Link href={props.overviewHref({ from, to })}>← Recording health</Link>
  );

  if (loading && !value) {
    return (
      <Skeleton
        width="100%"
        height={4}
        role="progressbar"
        aria-label="Loading the number's recording health"
      />
    );
  }
  if (error) {
    return (
      <Flex direction="column" gap="4">
        {back}
        {errorStatus(error) === 404 ? (
          <Alert
            status="warning"
            icon
            data-testid="health-number-not-found"
            title={`${id} is not a recorded number.`}
          />
        ) : (
          <ErrorAlert error={error} />
        )}
      </Flex>
    );
  }
  if (!value) return null;

  const { coverage, days, alarms } = value;
  const calls = (extra: {
    from: string;
    to: string;
    quality?: 'failed' | 'warning';
  }) =>
    props.conversationsHref(
      conversationsQuery({ number: coverage.number, ...extra }),
    );
  const periodFrom = days.length ? days[0].day : from ?? '';
  const periodTo = days.length ? days[days.length - 1].day : to ?? '';

  return (
    <Flex direction="column" gap="4" style={{ minWidth: 0 }}>
      {back}
      <Flex align="center" gap="3" style={{ flexWrap: 'wrap' }}>
        <Text as="h1" variant="title-small" data-testid="health-number-title">
          {coverage.number}
        </Text>
        <AttentionBadge attention={coverage.attention} />
        <Text as="span" variant="body-medium">
          <PersonName entityRef={coverage.ownerRef} />
        </Text>
        {!coverage.active && (
          <Text as="span" variant="body-medium" color="secondary">
            MVR inactive
          </Text>
        )}
        <div style={{ flex: 1 }} />
        <Link href={props.numberHref(coverage.numberId)}>
          Settings and schedule
        </Link>
      </Flex>
      <HealthPeriodPicker
        from={from}
        to={to}
        onChange={p => {
          const next = new URLSearchParams();
          if (p.from) next.set('from', p.from);
          if (p.to) next.set('to', p.to);
          setParams(next, { replace: true });
        }}
      />
      {done && <SuccessAlert>{done}</SuccessAlert>}

      <Card>
        <CardBody>
          <Flex direction="column" gap="2">
            <Text as="h2" variant="title-x-small">
              {periodFrom && periodTo
                ? formatPeriod(periodFrom, periodTo)
                : 'Period'}
            </Text>
            <DataTable
              aria-label="Figures of the period"
              data-testid="number-figures"
            >
              <tbody>
                <tr>
                  <RowTh>Expected recording time</RowTh>
                  <Td>{formatHours(coverage.expectedSeconds)}</Td>
                </tr>
                <tr>
                  <RowTh>Recorded calls</RowTh>
                  <Td>
                    {coverage.recordedCalls} (
                    {formatHours(coverage.recordedSeconds)})
                    {periodFrom && (
                      <>
                        {' '}
                        <Link
                          href={calls({ from: periodFrom, to: periodTo })}
                          data-testid="period-calls-link"
                        >
                          Open the calls
                        </Link>
                      </>
                    )}
                  </Td>
                </tr>
                <tr>
                  <RowTh>Refused calls</RowTh>
                  <Td>{refusedText(coverage)}</Td>
                </tr>
                <tr>
                  <RowTh>Failed quality</RowTh>
                  <Td>
                    {coverage.failedQualityCalls}
                    {coverage.warningQualityCalls > 0 &&
                      ` (${coverage.warningQualityCalls} warnings)`}
                    {coverage.failedQualityCalls > 0 && periodFrom && (
                      <>
                        {' '}
                        <Link
                          href={calls({
                            from: periodFrom,
                            to: periodTo,
                            quality: 'failed',
                          })}
                        >
                          Open the failed calls
                        </Link>
                      </>
                    )}
                  </Td>
                </tr>
                <tr>
                  <RowTh>Last recorded call</RowTh>
                  <Td>
                    {coverage.lastRecordedCallAt
                      ? formatDateTime(coverage.lastRecordedCallAt)
                      : 'Never'}
                  </Td>
                </tr>
              </tbody>
            </DataTable>
          </Flex>
        </CardBody>
      </Card>

      <Flex direction="column" gap="2">
        <Text as="h2" variant="title-x-small">
          Alarms
        </Text>
        <AlarmsTable
          aria-label={`Alarms of ${coverage.number}`}
          alarms={alarms}
          onAcknowledge={canAcknowledgeAlarms ? setAcknowledging : undefined}
        />
      </Flex>

      <Flex direction="column" gap="2">
        <Text as="h2" variant="title-x-small">
          Per day
        </Text>
        <DaysTable days={days} calls={calls} />
      </Flex>

      <AcknowledgeAlarmDialog
        alarm={acknowledging}
        onClose={() => setAcknowledging(undefined)}
        onDone={alarm => {
          setAcknowledging(undefined);
          setDone(`Alarm acknowledged: ${alarm.summary}`);
          setReload(r => r + 1);
        }}
      />
    </Flex>
  );
}

function DaysTable(props: {
  days: CoverageDay[];
  calls: (extra: {
    from: string;
    to: string;
    quality?: 'failed' | 'warning';
  }) => string;
}) {
  return (
    <div style={{ overflowX: 'auto' }}>
      <DataTable aria-label="Figures per day" data-testid="days-table">
        <thead>
          <tr>
            <Th>Day</Th>
            <Th>Expected</Th>
            <Th>Recorded calls</Th>
            <Th>Refused</Th>
            <Th>Failed quality</Th>
          </tr>
        </thead>
        <tbody>
          {props.days.length === 0 && (
            <tr>
              <Td colSpan={5}>No days in the period.</Td>
            </tr>
          )}
          {[...props.days].reverse().map(d => (
            <tr key={d.day} data-testid={`day-row-${d.day}`}>
              <Td>{formatDay(d.day)}</Td>
              <Td>{formatHours(d.expectedSeconds)}</Td>
              <Td>
                {d.recordedCalls > 0 ? (
                  <Link
                    href={props.calls({ from: d.day, to: d.day })}
                    aria-label={`${
                      d.recordedCalls
                    } recorded calls on ${formatDay(d.day)}`}
                  >
                    {d.recordedCalls}
                  </Link>
                ) : (
                  0
                )}{' '}
                ({formatHours(d.recordedSeconds)})
              </Td>
              <Td>{refusedText(d)}</Td>
              <Td>
                {d.failedQualityCalls > 0 ? (
                  <Link
                    href={props.calls({
                      from: d.day,
                      to: d.day,
                      quality: 'failed',
                    })}
                    aria-label={`${
                      d.failedQualityCalls
                    } calls that failed quality on ${formatDay(d.day)}`}
                  >
                    {d.failedQualityCalls}
                  </Link>
                ) : (
                  0
                )}
                {d.warningQualityCalls > 0 &&
                  ` (${d.warningQualityCalls} warnings)`}
              </Td>
            </tr>
          ))}
        </tbody>
      </DataTable>
    </div>
  );
}
