import { LabeledTextField } from '../LabeledTextField/LabeledTextField';
import { Grid } from '@material-ui/core';
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
    <Grid container spacing={2}>
      <Grid item xs={12} md={4}>
        <LabeledTextField
          fullWidth
          label="Search"
          placeholder="Number or user"
          value={props.value.q}
          onChange={e => set('q', e.target.value)}
          inputProps={{ 'aria-label': 'Search' }}
        />
      </Grid>
      <Grid item xs={12} md={3}>
        <PeoplePicker
          label="User"
          placeholder="Name or email"
          value={props.value.userRef || undefined}
          onChange={ref => set('userRef', ref ?? '')}
        />
      </Grid>
      <Grid item xs={6} md={3}>
        <LabeledTextField
          select
          fullWidth
          label="Status"
          value={props.value.status}
          onChange={e => set('status', e.target.value as NumberStatus | '')}
          SelectProps={{ native: true }}
          InputLabelProps={{ shrink: true }}
        >
          <option value="">Any</option>
          {(Object.keys(STATUS_LABELS) as NumberStatus[]).map(s => (
            <option key={s} value={s}>
              {STATUS_LABELS[s]}
            </option>
          ))}
        </LabeledTextField>
      </Grid>
      <Grid item xs={6} md={2}>
        <LabeledTextField
          select
          fullWidth
          label="MVR active"
          value={props.value.mvrActive}
          onChange={e =>
            set('mvrActive', e.target.value as NumbersFilterValues['mvrActive'])
          }
          SelectProps={{ native: true }}
          InputLabelProps={{ shrink: true }}
        >
          <option value="">Any</option>
          <option value="true">Yes</option>
          <option value="false">No</option>
        </LabeledTextField>
      </Grid>
    </Grid>
  );
}
