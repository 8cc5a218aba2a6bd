import { useEffect, useMemo, useState } from 'react';
import { useSearchParams } from 'react-router-dom';
import useAsync from 'react-use/esm/useAsync';
import useDebounce from 'react-use/esm/useDebounce';
import {
  Card,
  CardBody,
  Flex,
  Select,
  Skeleton,
  TablePagination,
  Text,
  TextField,
} from '@backstage/ui';
import { useApi } from '@backstage/frontend-plugin-api';
import type {
  RecordingAlarm,
  RecordingAttention,
} from '@mvr/plugin-voice-recording-common';
import { voiceRecordingApiRef } from '../../api/VoiceRecordingApi';
import { useVoiceRecordingPermissions } from '../../hooks/useVoiceRecordingPermissions';
import { ErrorAlert } from '../ErrorAlert/ErrorAlert';
import { SuccessAlert } from '../SuccessAlert/SuccessAlert';
import { AcknowledgeAlarmDialog } from './AcknowledgeAlarmDialog';
import { AlarmsTable } from './AlarmsTable';
import { ArchiveQueueSection } from './ArchiveQueueSection';
import { AssuranceReportDownload } from './AssuranceReportDownload';
import { HealthPeriodPicker } from './HealthPeriodPicker';
import { NumberCoverageTable } from './NumberCoverageTable';
import { RecordingHealthSummary } from './RecordingHealthSummary';
import { formatPeriod } from './healthText';

export const COVERAGE_PAGE_SIZE = 25;

/** The Select key of "no filter" (a Select option needs a non-empty key). */
const ANY = 'any-value';

const ATTENTIONS: Array<RecordingAttention | 'needed'> = [
  'needed',
  'failed',
  'warning',
  'ok',
];

/** `group:default/trading` → `trading` (the Select's text; the table names groups from the catalog). */
function groupName(ref: string): string {
  return ref.replace(/^[^:]*:/, '').replace(/^default\//, '');
}

/**
 * Recording health (admins): over a period, the overall and per-group figures, then
 * every recorded number with the ones that need attention first (filter by group,
 * attention, number or owner), the recorders' own alarms, the archive work queue
 * (its dead jobs retried by hand), and the daily recording assurance report. Period, filters and page live in the URL.
 */
export function RecordingHealthPage(props: {
  /** The number view's URL of a number, keeping the period. */
  numberHref: (
    numberId: string,
    period: { from?: string; to?: string },
  ) => string;
}) {
  const api = useApi(voiceRecordingApiRef);
  const { canAcknowledgeAlarms } = useVoiceRecordingPermissions();
  const [params, setParams] = useSearchParams();
  const from = params.get('from') || undefined;
  const to = params.get('to') || undefined;
  const group = params.get('group') || '';
  const attentionParam = params.get('attention') ?? '';
  const attention = ATTENTIONS.find(a => a === attentionParam);
  const q = params.get('q') ?? '';
  const page = Math.max(0, Number(params.get('page') ?? 0) || 0);

  const update = (changes: Record<string, string | undefined>) => {
    const next = new URLSearchParams(params);
    for (const [key, value] of Object.entries(changes)) {
      if (value) next.set(key, value);
      else next.delete(key);
    }
    // another filter: its first page
    if (!('page' in changes)) next.delete('page');
    setParams(next, { replace: true });
  };

  // the search field writes the URL once typing pauses
  const [search, setSearch] = useState(q);
  useEffect(() => setSearch(q), [q]);
  useDebounce(
    () => {
      if (search.trim() !== q) update({ q: search.trim() || undefined });
    },
    300,
    [search],
  );

  const [reload, setReload] = useState(0);
  const [acknowledging, setAcknowledging] = useState<RecordingAlarm>();
  const [done, setDone] = useState<string>();

  const summary = useAsync(
    () => api.getHealthSummary({ from, to }),
    [api, from, to, reload],
  );
  const numbers = useAsync(
    () =>
      api.listNumberCoverage({
        from,
        to,
        group: group || undefined,
        attention,
        q: q || undefined,
        limit: COVERAGE_PAGE_SIZE,
        offset: page * COVERAGE_PAGE_SIZE,
      }),
    [api, from, to, group, attention, q, page, reload],
  );
  const recorderAlarms = useAsync(
    () =>
      api.listRecordingAlarms({
        kind: 'idle-recorder',
        state: ['open', 'acknowledged'],
      }),
    [api, reload],
  );

  const groupOptions = useMemo(() => {
    const refs = (summary.value?.groups ?? []).map(g => g.groupRef);
    if (group && !refs.includes(group)) refs.push(group);
    return refs.map(ref => ({ value: ref, label: groupName(ref) }));
  }, [summary.value, group]);

  const period = summary.value ?? numbers.value;

  return (
    <Flex direction="column" gap="4" style={{ minWidth: 0 }}>
      <Flex direction="column" gap="1">
        <Text as="h1" variant="title-small">
          Recording health
        </Text>
        <Text
          as="p"
          variant="body-medium"
          color="secondary"
          style={{ margin: 0 }}
        >
          Whether every number that should be recorded is: the time each one was
          expected to be recorded (professional mode, MVR active) against the
          calls recorded, refused and failing the quality check.
          {period && (
            <>
              {' '}
              Period:{' '}
              <span data-testid="health-period">
                {formatPeriod(period.from, period.to)}
              </span>
              .
            </>
          )}
        </Text>
      </Flex>
      <HealthPeriodPicker
        from={from}
        to={to}
        onChange={p => update({ from: p.from, to: p.to })}
      />
      {done && <SuccessAlert>{done}</SuccessAlert>}
      <ErrorAlert error={summary.error} />
      {summary.loading && !summary.value && (
        <Skeleton width="100%" height={80} />
      )}
      {summary.value && <RecordingHealthSummary summary={summary.value} />}

      <Text as="h2" variant="title-x-small">
        Recorded numbers
      </Text>
      <form
        aria-label="Filter the numbers"
        onSubmit={e => e.preventDefault()}
        style={{
          display: 'grid',
          gridTemplateColumns:
            'repeat(auto-fill, minmax(min(100%, 14rem), 1fr))',
          gap: 'var(--bui-space-3)',
        }}
      >
        <TextField
          label="Number or owner"
          placeholder="e.g. +3247 or Carol"
          value={search}
          onChange={setSearch}
        />
        <Select
          label="Group"
          value={group || ANY}
          onChange={k => update({ group: k === ANY ? undefined : String(k) })}
          options={[{ value: ANY, label: 'All groups' }, ...groupOptions]}
        />
        <Select
          label="Attention"
          value={attention ?? ANY}
          onChange={k =>
            update({ attention: k === ANY ? undefined : String(k) })
          }
          options={[
            { value: ANY, label: 'Any' },
            { value: 'needed', label: 'Needs attention (warning or failed)' },
            { value: 'failed', label: 'Failed' },
            { value: 'warning', label: 'Warning' },
            { value: 'ok', label: 'OK' },
          ]}
        />
      </form>
      <ErrorAlert error={numbers.error} />
      {numbers.loading && !numbers.value && (
        <Skeleton
          width="100%"
          height={4}
          role="progressbar"
          aria-label="Loading the numbers"
        />
      )}
      {numbers.value && (
        <div aria-busy={numbers.loading}>
          <NumberCoverageTable
            items={numbers.value.items}
            numberHref={item => props.numberHref(item.numberId, { from, to })}
          />
          <TablePagination
            pageSize={COVERAGE_PAGE_SIZE}
            pageSizeOptions={[]}
            showPageSizeOptions={false}
            offset={page * COVERAGE_PAGE_SIZE}
            totalCount={numbers.value.totalCount}
            hasPreviousPage={page > 0}
            hasNextPage={
              (page + 1) * COVERAGE_PAGE_SIZE < numbers.value.totalCount
            }
            onPreviousPage={() =>
              update({ page: page > 1 ? String(page - 1) : undefined })
            }
            onNextPage={() => update({ page: String(page + 1) })}
          />
        </div>
      )}

      {(recorderAlarms.value?.items.length ?? 0) > 0 && (
        <Flex direction="column" gap="2">
          <Text as="h2" variant="title-x-small">
            Recorders
          </Text>
          <AlarmsTable
            aria-label="Recorder alarms"
            alarms={recorderAlarms.value!.items}
            showNumber
            onAcknowledge={canAcknowledgeAlarms ? setAcknowledging : undefined}
          />
        </Flex>
      )}

      <ArchiveQueueSection canRetry={canAcknowledgeAlarms} />

      <Card>
        <CardBody>
          <AssuranceReportDownload />
        </CardBody>
      </Card>

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
