import { Flex, Select } from '@backstage/ui';
import type { CaseAccessSetting } from '@mvr/plugin-voice-recording-common';
import { PeoplePicker } from '../PeoplePicker/PeoplePicker';

/**
 * One access setting of a case: its mode, and for "Selected users and groups" the
 * people picker (users and groups of the catalog).
 */
export function AccessSettingField<M extends string>(props: {
  label: string;
  pickerLabel: string;
  modes: Record<M, string>;
  value: CaseAccessSetting<M>;
  onChange: (value: CaseAccessSetting<M>) => void;
  error?: string;
}) {
  const { value } = props;
  return (
    <Flex direction="column" gap="2">
      <Select
        label={props.label}
        value={value.mode}
        onChange={key =>
          key &&
          props.onChange({
            mode: key as M,
            refs: key === 'selected' ? value.refs : [],
          })
        }
        options={(Object.keys(props.modes) as M[]).map(m => ({
          value: m,
          label: props.modes[m],
        }))}
      />
      {value.mode === 'selected' && (
        <PeoplePicker
          multiple
          label={props.pickerLabel}
          kinds={['User', 'Group']}
          value={value.refs}
          onChange={refs => props.onChange({ mode: value.mode, refs })}
          helperText={props.error}
        />
      )}
    </Flex>
  );
}
