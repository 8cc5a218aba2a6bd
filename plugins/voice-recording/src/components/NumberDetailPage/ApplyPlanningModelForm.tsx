import { LabeledTextField } from '../LabeledTextField/LabeledTextField';
import { FormEvent, useState } from 'react';
import useAsync from 'react-use/esm/useAsync';
import { Box, Button } from '@material-ui/core';
import { useApi } from '@backstage/frontend-plugin-api';
import { voiceRecordingApiRef } from '../../api/VoiceRecordingApi';
import { ErrorAlert } from '../ErrorAlert/ErrorAlert';

/** Replaces the number's slots by a planning model's. */
export function ApplyPlanningModelForm(props: {
  busy?: boolean;
  onApply: (planningModelId: string) => void;
}) {
  const api = useApi(voiceRecordingApiRef);
  const models = useAsync(() => api.listPlanningModels(), [api]);
  const [selected, setSelected] = useState('');

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (selected) props.onApply(selected);
  };

  return (
    <Box
      component="form"
      onSubmit={submit}
      display="flex"
      alignItems="flex-end"
      gridGap={16}
      aria-label="Apply planning model"
    >
      <LabeledTextField
        select
        label="Planning model"
        SelectProps={{ native: true }}
        InputLabelProps={{ shrink: true }}
        style={{ minWidth: 220 }}
        value={selected}
        onChange={e => setSelected(e.target.value)}
      >
        <option value="">Choose a model</option>
        {models.value?.items.map(m => (
          <option key={m.id} value={m.id}>
            {m.name}
          </option>
        ))}
      </LabeledTextField>
      <Button
        type="submit"
        variant="outlined"
        color="primary"
        disabled={!selected || props.busy}
      >
        Apply planning model
      </Button>
      <ErrorAlert error={models.error} />
    </Box>
  );
}
