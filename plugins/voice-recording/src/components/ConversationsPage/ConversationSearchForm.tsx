import { FormEvent } from 'react';
import { Button, Flex, Select, Text, TextField } from '@backstage/ui';
import { DateTime } from 'luxon';
import { QUALITY_VERDICTS } from '@mvr/plugin-voice-recording-common';
import type {
  Case,
  ConversationDirection,
  Label,
  QualityVerdict,
} from '@mvr/plugin-voice-recording-common';
import type { ConversationFilters } from '../../api/VoiceRecordingApi';
import { PeopleSearchField } from '../PeoplePicker/PeoplePicker';
import { viewerZoneLabel } from './format';
import { DateField } from '../DateField/DateField';

/** The Select key of "no filter" (a Select option needs a non-empty key). */
const ANY = 'any-value';
const anyToEmpty = (key: unknown) =>
  key === ANY || key === null || key === undefined ? '' : String(key);

/**
 * The options, and the current value when it is not among them (a link with the id of
 * a label or case since deleted or not listed): the field still says a filter is on.
 */
function withCurrent(
  options: Array<{ value: string; label: string }>,
  current: string,
  unknownLabel: string,
) {
  if (!current || options.some(o => o.value === current)) return options;
  return [...options, { value: current, label: unknownLabel }];
}

/** Fields side by side, as many as fit (wraps on a narrow window, never overflows). */
const FIELDS_STYLE = {
  display: 'grid',
  gridTemplateColumns: 'repeat(auto-fill, minmax(min(100%, 13rem), 1fr))',
  gap: 'var(--bui-space-3)',
  alignItems: 'start',
} as const;

/** What the search form holds (the inputs' raw strings). */
export interface ConversationSearchValues {
  /** `datetime-local` values, in the browser's time zone. */
  from: string;
  to: string;
  phone: string;
  /** Name, display name, e-mail or entity ref (the backend resolves it in the catalog). */
  user: string;
  /** Group name or ref. */
  group: string;
  direction: ConversationDirection | '';
  /** Seconds. */
  minDuration: string;
  maxDuration: string;
  number: string;
  /** '' (any recording), or the `audioIssue` filter */
  audioIssue: NonNullable<ConversationFilters['audioIssue']> | '';
  /** '' (any), or the quality check's verdict */
  quality: QualityVerdict | '';
  hasDtmf: '' | 'true' | 'false';
  /** The id of a label ('' for any). */
  label: string;
  /** The id of a case ('' for any). */
  case: string;
  /** '' (any), or under a legal hold ('true') or not ('false'). */
  legalHold: '' | 'true' | 'false';
}

export const EMPTY_SEARCH: ConversationSearchValues = {
  from: '',
  to: '',
  phone: '',
  user: '',
  group: '',
  direction: '',
  minDuration: '',
  maxDuration: '',
  number: '',
  audioIssue: '',
  quality: '',
  hasDtmf: '',
  label: '',
  case: '',
  legalHold: '',
};

/** The keys of the search in the page URL (the API's filter names), plus sort and order. */
const URL_TEXT_KEYS = [
  'phone',
  'user',
  'group',
  'minDuration',
  'maxDuration',
  'number',
  'label',
  'case',
] as const;

const LOCAL_INPUT_FORMAT = "yyyy-MM-dd'T'HH:mm";

/**
 * The page URL's query of a search (so that it can be bookmarked and shared): the API's
 * filter names, times as UTC instants (the same instant in another time zone).
 * Values that do not parse are kept as typed (the form reports them on search).
 */
export function searchValuesToParams(
  values: ConversationSearchValues,
  sort?: { sort: string; order: string },
): URLSearchParams {
  const params = new URLSearchParams();
  for (const key of ['from', 'to'] as const) {
    const v = values[key].trim();
    if (!v) continue;
    const dt = DateTime.fromISO(v);
    params.set(key, dt.isValid ? dt.toUTC().toISO()! : v);
  }
  for (const key of URL_TEXT_KEYS) {
    const v = values[key].trim();
    if (v) params.set(key, v);
  }
  if (values.direction) params.set('direction', values.direction);
  if (values.audioIssue) params.set('audioIssue', values.audioIssue);
  if (values.quality) params.set('quality', values.quality);
  if (values.hasDtmf) params.set('hasDtmf', values.hasDtmf);
  if (values.legalHold) params.set('legalHold', values.legalHold);
  if (sort && (sort.sort !== 'startedAt' || sort.order !== 'desc')) {
    params.set('sort', sort.sort);
    params.set('order', sort.order);
  }
  return params;
}

/** The form's values of a page URL's query (see searchValuesToParams); unknown keys ignored. */
export function searchValuesFromParams(
  params: URLSearchParams,
): ConversationSearchValues {
  const values: ConversationSearchValues = { ...EMPTY_SEARCH };
  for (const key of ['from', 'to'] as const) {
    const v = params.get(key);
    if (!v) continue;
    const dt = DateTime.fromISO(v);
    values[key] = dt.isValid ? dt.toLocal().toFormat(LOCAL_INPUT_FORMAT) : v;
  }
  for (const key of URL_TEXT_KEYS) values[key] = params.get(key) ?? '';
  const direction = params.get('direction');
  if (direction === 'incoming' || direction === 'outgoing')
    values.direction = direction;
  const audioIssue = params.get('audioIssue');
  if (audioIssue)
    values.audioIssue = audioIssue as ConversationSearchValues['audioIssue'];
  const quality = params.get('quality');
  if (QUALITY_VERDICTS.includes(quality as QualityVerdict))
    values.quality = quality as QualityVerdict;
  const hasDtmf = params.get('hasDtmf');
  if (hasDtmf === 'true' || hasDtmf === 'false') values.hasDtmf = hasDtmf;
  const legalHold = params.get('legalHold');
  if (legalHold === 'true' || legalHold === 'false')
    values.legalHold = legalHold;
  return values;
}

function localToIso(value: string, field: string): string | undefined {
  if (!value.trim()) return undefined;
  const dt = DateTime.fromISO(value);
  if (!dt.isValid)
    throw new Error(`${field}: "${value}" is not a date and time`);
  return dt.toUTC().toISO() ?? undefined;
}

function seconds(value: string, field: string): number | undefined {
  if (!value.trim()) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) {
    throw new Error(`${field}: "${value}" is not a number of seconds`);
  }
  return n;
}

/** The error of a search whose From is after its To. */
export const REVERSED_RANGE = 'From: must be before To';

/**
 * The API filters of the form's values; throws an Error naming the field when a
 * value is wrong (bad date or duration, range the wrong way round).
 */
export function searchValuesToFilters(
  values: ConversationSearchValues,
): ConversationFilters {
  const from = localToIso(values.from, 'From');
  const to = localToIso(values.to, 'To');
  if (from && to && Date.parse(from) > Date.parse(to)) {
    throw new Error(REVERSED_RANGE);
  }
  const minDuration = seconds(values.minDuration, 'Min duration');
  const maxDuration = seconds(values.maxDuration, 'Max duration');
  if (
    minDuration !== undefined &&
    maxDuration !== undefined &&
    minDuration > maxDuration
  ) {
    throw new Error('Min duration: must not exceed Max duration');
  }
  const filters: ConversationFilters = {
    from,
    to,
    phone: values.phone.trim() || undefined,
    user: values.user.trim() || undefined,
    group: values.group.trim() || undefined,
    hasDtmf: values.hasDtmf ? values.hasDtmf === 'true' : undefined,
    direction: values.direction || undefined,
    minDuration,
    maxDuration,
    number: values.number.trim() || undefined,
    audioIssue: values.audioIssue || undefined,
    quality: values.quality || undefined,
    label: values.label.trim() || undefined,
    case: values.case.trim() || undefined,
    legalHold: values.legalHold ? values.legalHold === 'true' : undefined,
  };
  return Object.fromEntries(
    Object.entries(filters).filter(([, v]) => v !== undefined),
  ) as ConversationFilters;
}

/** Search form of the Conversations page; searches on submit ("Search" or Enter). */
export function ConversationSearchForm(props: {
  value: ConversationSearchValues;
  onChange: (value: ConversationSearchValues) => void;
  onSearch: () => void;
  onReset: () => void;
  /** Shown under the To field (e.g. a reversed range). */
  rangeError?: string;
  /** The labels and cases to filter by (the Label and Case fields show once known). */
  labels?: Label[];
  cases?: Case[];
}) {
  const set = <K extends keyof ConversationSearchValues>(
    key: K,
    v: ConversationSearchValues[K],
  ) => props.onChange({ ...props.value, [key]: v });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    props.onSearch();
  };
  const text = (
    key: Exclude<
      keyof ConversationSearchValues,
      | 'direction'
      | 'audioIssue'
      | 'quality'
      | 'hasDtmf'
      | 'from'
      | 'to'
      | 'label'
      | 'case'
      | 'legalHold'
    >,
    label: string,
    placeholder?: string,
  ) => (
    <TextField
      label={label}
      placeholder={placeholder}
      value={props.value[key]}
      onChange={v => set(key, v)}
    />
  );
  return (
    <form aria-label="Search conversations" onSubmit={submit}>
      <Flex direction="column" gap="3">
        <div style={FIELDS_STYLE}>
          <DateField
            type="datetime-local"
            label="From"
            value={props.value.from}
            onChange={v => set('from', v)}
          />
          <DateField
            type="datetime-local"
            label="To"
            value={props.value.to}
            onChange={v => set('to', v)}
            error={props.rangeError}
            errorTestId="range-error"
          />
          {/* said once, next to the time fields (the list's times are in the same zone) */}
          <Text
            as="p"
            variant="body-small"
            color="secondary"
            data-testid="viewer-zone"
            style={{ alignSelf: 'end', margin: 0, paddingBottom: 6 }}
          >
            {viewerZoneLabel()}
          </Text>
        </div>
        <div style={FIELDS_STYLE}>
          {text('phone', 'Phone number', 'Either party, e.g. 0471 23')}
          <PeopleSearchField
            label="User"
            placeholder="Name, e-mail or id, e.g. Carol"
            value={props.value.user}
            onChange={v => set('user', v)}
          />
          <PeopleSearchField
            label="Group"
            kinds={['Group']}
            placeholder="A team, e.g. trading"
            value={props.value.group}
            onChange={v => set('group', v)}
          />
          {text('number', 'Recorded number', '+32470123456')}
          <Select
            label="Direction"
            value={props.value.direction || ANY}
            onChange={k =>
              set('direction', anyToEmpty(k) as ConversationDirection | '')
            }
            options={[
              { value: ANY, label: 'Any' },
              { value: 'incoming', label: 'Incoming' },
              { value: 'outgoing', label: 'Outgoing' },
            ]}
          />
          {text('minDuration', 'Min duration (s)')}
          {text('maxDuration', 'Max duration (s)')}
          <Select
            label="Audio"
            value={props.value.audioIssue || ANY}
            onChange={k =>
              set(
                'audioIssue',
                anyToEmpty(k) as ConversationSearchValues['audioIssue'],
              )
            }
            options={[
              { value: ANY, label: 'Any recording' },
              { value: 'any', label: 'No usable audio' },
              { value: 'no-media', label: 'No usable audio: no RTP received' },
              {
                value: 'undecodable-codec',
                label: 'No usable audio: undecodable codec',
              },
              { value: 'audio-lost', label: 'Audio missing (disk full)' },
              { value: 'none', label: 'With audio' },
            ]}
          />
          <Select
            label="Quality"
            value={props.value.quality || ANY}
            onChange={k =>
              set(
                'quality',
                anyToEmpty(k) as ConversationSearchValues['quality'],
              )
            }
            options={[
              { value: ANY, label: 'Any verdict' },
              { value: 'failed', label: 'Failed quality' },
              { value: 'warning', label: 'Quality warning' },
              { value: 'ok', label: 'Quality OK' },
            ]}
          />
          <Select
            label="DTMF"
            value={props.value.hasDtmf || ANY}
            onChange={k =>
              set(
                'hasDtmf',
                anyToEmpty(k) as ConversationSearchValues['hasDtmf'],
              )
            }
            options={[
              { value: ANY, label: 'Any' },
              { value: 'true', label: 'With DTMF digits' },
              { value: 'false', label: 'Without DTMF' },
            ]}
          />
          {props.labels && (
            <Select
              label="Label"
              value={props.value.label || ANY}
              onChange={k => set('label', anyToEmpty(k))}
              options={[
                { value: ANY, label: 'Any' },
                ...withCurrent(
                  props.labels.map(l => ({ value: l.id, label: l.title })),
                  props.value.label,
                  'Unknown label',
                ),
              ]}
            />
          )}
          {props.cases && (
            <Select
              label="Case"
              value={props.value.case || ANY}
              onChange={k => set('case', anyToEmpty(k))}
              options={[
                { value: ANY, label: 'Any' },
                ...withCurrent(
                  props.cases.map(c => ({
                    value: c.id,
                    label:
                      c.status === 'closed' ? `${c.title} (closed)` : c.title,
                  })),
                  props.value.case,
                  'Unknown case',
                ),
              ]}
            />
          )}
          {props.cases && (
            <Select
              label="Legal hold"
              value={props.value.legalHold || ANY}
              onChange={k =>
                set(
                  'legalHold',
                  anyToEmpty(k) as ConversationSearchValues['legalHold'],
                )
              }
              options={[
                { value: ANY, label: 'Any' },
                { value: 'true', label: 'Under legal hold' },
                { value: 'false', label: 'Not held' },
              ]}
            />
          )}
        </div>
        <Flex gap="2">
          <Button type="submit" variant="primary">
            Search
          </Button>
          <Button variant="secondary" onPress={props.onReset}>
            Reset
          </Button>
        </Flex>
      </Flex>
    </form>
  );
}
