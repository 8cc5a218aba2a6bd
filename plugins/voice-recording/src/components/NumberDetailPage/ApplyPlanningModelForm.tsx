import { FormEvent, useState } from 'react';
import useAsync from 'react-use/esm/useAsync';
import { Button, Flex, Select, Text } from '@backstage/ui';
import { useApi } from '@backstage/frontend-plugin-api';
import { voiceRecordingApiRef } from '../../api/VoiceRecordingApi';
import { ErrorAlert } from '../ErrorAlert/ErrorAlert';

/**
 * Replaces the number's slots by a copy of a planning model's (copy-on-apply: later
 * edits of the model do not change the number).
 */
export function ApplyPlanningModelForm(props: {
  busy?: boolean;
  onApply: (planningModelId: string) => void;
  /** The choice changed (the last schedule message is stale). */
  onEdit?: () => void;
}) {
  const api = useApi(voiceRecordingApiRef);
  const models = useAsync(() => api.listPlanningModels(), [api]);
  const [selected, setSelected] = useState('');

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (selected) props.onApply(selected);
  };

  return (
    <form onSubmit={submit} aria-label="Apply planning model">
      <Flex direction="column" gap="2">
        <Flex align="end" gap="4" style={{ flexWrap: 'wrap' }}>
          <Select
            label="Planning model"
            placeholder="Choose a model"
            style={{ minWidth: 220, maxWidth: 360 }}
            value={selected || null}
            onChange={key => {
              setSelected(key ? String(key) : '');
              props.onEdit?.();
            }}
            options={(models.value?.items ?? []).map(m => ({
              value: m.id,
              label: m.name,
            }))}
          />
          <Button
            type="submit"
            variant="secondary"
            isDisabled={!selected || props.busy}
          >
            Apply planning model
          </Button>
        </Flex>
        <Text as="p" variant="body-small" color="secondary">
          The number gets a copy of the model's slots; later edits of the model
          do not change it.
        </Text>
        <ErrorAlert error={models.error} />
      </Flex>
    </form>
  );
}
