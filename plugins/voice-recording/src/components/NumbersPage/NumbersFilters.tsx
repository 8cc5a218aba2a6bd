import { Grid, Select, TextField } from '@backstage/ui';
import type { NumberStatus } from '@mvr/plugin-voice-recording-common';
import { STATUS_LABELS } from '../StatusBadge/StatusBadge';
import { PeoplePicker } from '../PeoplePicker/PeoplePicker';

export interface NumbersFilterValues {
  q: string;
  userRef: string;
  status: NumberStatus | '';
  mvrActive: '' | 'true' | 'false';
}

export const EMPTY_FILTERS: NumbersFilterValues = {
  q: '',
  userRef: '',
  status: '',
  mvrActive: '',
};

/** The "Any" choice of a filter (a Select needs a key; '' means no filter). */
const ANY = 'any';

/** Search box and filters of the numbers list: user, status, MVR active. */
export function NumbersFilters(props: {
  value: NumbersFilterValues;
  onChange: (value: NumbersFilterValues) => void;
}) {
  const set = <K extends keyof NumbersFilterValues>(
    key: K,
    v: NumbersFilterValues[K],
  ) => props.onChange({ ...props.value, [key]: v });
  return (
    <Grid.Root columns={{ initial: '1', sm: '2', lg: '4' }} gap="3">
      <TextField
        label="Search"
        placeholder="Number or user"
        value={props.value.q}
        onChange={v => set('q', v)}
      />
      <PeoplePicker
        label="User"
        placeholder="Name or email"
        value={props.value.userRef || undefined}
        onChange={ref => set('userRef', ref ?? '')}
      />
      <Select
        label="Status"
        value={props.value.status || ANY}
        onChange={key =>
          set('status', (key === ANY ? '' : key) as NumberStatus | '')
        }
        options={[
          { value: ANY, label: 'Any' },
          ...(Object.keys(STATUS_LABELS) as NumberStatus[]).map(s => ({
            value: s,
            label: STATUS_LABELS[s],
          })),
        ]}
      />
      <Select
        label="MVR active"
        value={props.value.mvrActive || ANY}
        onChange={key =>
          set(
            'mvrActive',
            (key === ANY ? '' : key) as NumbersFilterValues['mvrActive'],
          )
        }
        options={[
          { value: ANY, label: 'Any' },
          { value: 'true', label: 'Yes' },
          { value: 'false', label: 'No' },
        ]}
      />
    </Grid.Root>
  );
}
