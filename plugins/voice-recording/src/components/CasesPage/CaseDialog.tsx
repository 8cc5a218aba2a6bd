import { useMemo, useState } from 'react';
import {
  Button,
  Dialog,
  DialogBody,
  DialogFooter,
  DialogHeader,
  Flex,
  Radio,
  RadioGroup,
  Select,
  Text,
  TextAreaField,
  TextField,
} from '@backstage/ui';
import { useApi } from '@backstage/frontend-plugin-api';
import type {
  Case,
  CaseAccessMode,
  CaseAccessSetting,
  CaseLabelMode,
  CaseStatus,
  Label,
} from '@mvr/plugin-voice-recording-common';
import {
  CaseAccessInput,
  voiceRecordingApiRef,
} from '../../api/VoiceRecordingApi';
import { ErrorAlert } from '../ErrorAlert/ErrorAlert';
import {
  FieldErrorText,
  READABLE_DANGER_TEXT,
} from '../FieldErrorText/FieldErrorText';
import { LabelChip } from '../LabelChip/LabelChip';
import {
  ACCESS_MODE_LABELS,
  LABEL_MODE_LABELS,
} from '../WorkflowsPage/requestText';
import { AccessSettingField } from './AccessSettingField';
import { ColourField } from './ColourField';

export const DEFAULT_LABEL_COLOUR = '#1e88e5';

const DEFAULT_ACCESS: CaseAccessInput = {
  list: { mode: 'none', refs: [] },
  playback: { mode: 'none', refs: [] },
  label: { mode: 'owner', refs: [] },
};

type LabelChoice = 'existing' | 'new';

interface FormErrors {
  title?: string;
  labelId?: string;
  labelTitle?: string;
  list?: string;
  playback?: string;
  label?: string;
}

const NEED_PEOPLE = 'Choose at least one user or group';

function validate(
  form: {
    title: string;
    labelChoice: LabelChoice;
    labelId?: string;
    labelTitle: string;
    access: CaseAccessInput;
  },
  editing: boolean,
): FormErrors {
  const errors: FormErrors = {};
  if (!form.title.trim()) errors.title = 'Give the case a title';
  if (!editing && form.labelChoice === 'existing' && !form.labelId)
    errors.labelId = 'Choose a label';
  if ((editing || form.labelChoice === 'new') && !form.labelTitle.trim())
    errors.labelTitle = 'Give the label a title';
  for (const key of ['list', 'playback', 'label'] as const) {
    const s = form.access[key];
    if (s.mode === 'selected' && !s.refs.length) errors[key] = NEED_PEOPLE;
  }
  return errors;
}

/**
 * Creates or edits a case: title, description, status, its label (an existing free
 * label or a new one with title and colour; when editing, the label's title and
 * colour) and the three access settings. The backend's refusal (naming the field)
 * stays in the dialog next to Save.
 */
export function CaseDialog(props: {
  /** The case to edit; none: a new case. */
  value?: Case;
  labels: Label[];
  onClose: () => void;
  onSaved: (saved: Case, created: boolean) => void;
}) {
  const api = useApi(voiceRecordingApiRef);
  const editing = props.value;
  const freeLabels = useMemo(
    () => props.labels.filter(l => !l.caseId),
    [props.labels],
  );
  const [title, setTitle] = useState(editing?.title ?? '');
  const [description, setDescription] = useState(editing?.description ?? '');
  const [status, setStatus] = useState<CaseStatus>(editing?.status ?? 'open');
  const [labelChoice, setLabelChoice] = useState<LabelChoice>(
    !editing && freeLabels.length ? 'existing' : 'new',
  );
  const [labelId, setLabelId] = useState<string>();
  const [labelTitle, setLabelTitle] = useState(editing?.label.title ?? '');
  const [labelColour, setLabelColour] = useState(
    editing?.label.colour ?? DEFAULT_LABEL_COLOUR,
  );
  const [access, setAccess] = useState<CaseAccessInput>(
    editing
      ? {
          list: { ...editing.access.list },
          playback: { ...editing.access.playback },
          label: { ...editing.access.label },
        }
      : DEFAULT_ACCESS,
  );
  const [errors, setErrors] = useState<FormErrors>({});
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);

  const save = async () => {
    const found = validate(
      { title, labelChoice, labelId, labelTitle, access },
      Boolean(editing),
    );
    setErrors(found);
    setError(undefined);
    if (Object.values(found).some(Boolean)) return;
    setBusy(true);
    try {
      if (editing) {
        const label = editing.label;
        if (
          labelTitle.trim() !== label.title ||
          labelColour.toLowerCase() !== label.colour.toLowerCase()
        ) {
          await api.updateLabel(label.id, {
            title: labelTitle.trim(),
            colour: labelColour,
          });
        }
        const saved = await api.updateCase(editing.id, {
          title: title.trim(),
          description: description.trim(),
          status,
          access,
        });
        props.onSaved(saved, false);
      } else {
        const saved = await api.createCase({
          title: title.trim(),
          description: description.trim() || undefined,
          status,
          ...(labelChoice === 'existing'
            ? { labelId }
            : { label: { title: labelTitle.trim(), colour: labelColour } }),
          access,
        });
        props.onSaved(saved, true);
      }
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  const setSetting =
    <K extends keyof CaseAccessInput>(key: K) =>
    (value: CaseAccessInput[K]) => {
      setAccess(a => ({ ...a, [key]: value }));
      setErrors(e => ({ ...e, [key]: undefined }));
    };

  const chosenLabel = freeLabels.find(l => l.id === labelId);

  return (
    <Dialog
      isOpen
      width={640}
      onOpenChange={open => {
        if (!open) props.onClose();
      }}
    >
      <DialogHeader>
        {editing ? `Edit case ${editing.title}` : 'New case'}
      </DialogHeader>
      <DialogBody>
        <Flex direction="column" gap="4">
          <TextField
            label="Title"
            isRequired
            value={title}
            onChange={v => {
              setTitle(v);
              setErrors(e => ({ ...e, title: undefined }));
            }}
            isInvalid={Boolean(errors.title)}
          />
          <FieldErrorText>{errors.title}</FieldErrorText>
          <TextAreaField
            label="Description"
            value={description}
            onChange={setDescription}
          />
          <Select
            label="Status"
            value={status}
            onChange={key => key && setStatus(key as CaseStatus)}
            options={[
              { value: 'open', label: 'Open' },
              { value: 'closed', label: 'Closed' },
            ]}
          />
          {!editing && (
            <RadioGroup
              label="Label"
              value={labelChoice}
              onChange={v => {
                setLabelChoice(v as LabelChoice);
                setErrors(e => ({
                  ...e,
                  labelId: undefined,
                  labelTitle: undefined,
                }));
              }}
              orientation="horizontal"
            >
              <Radio value="existing" isDisabled={!freeLabels.length}>
                Existing label
              </Radio>
              <Radio value="new">New label</Radio>
            </RadioGroup>
          )}
          {!editing && labelChoice === 'existing' && (
            <Flex gap="3" align="end" style={{ flexWrap: 'wrap' }}>
              <div style={{ minWidth: '14rem' }}>
                <Select
                  label="Existing label"
                  placeholder="Choose a label"
                  value={labelId ?? null}
                  onChange={key => {
                    setLabelId(key ? String(key) : undefined);
                    setErrors(e => ({ ...e, labelId: undefined }));
                  }}
                  options={freeLabels.map(l => ({
                    value: l.id,
                    label: l.title,
                  }))}
                  isInvalid={Boolean(errors.labelId)}
                />
                <FieldErrorText>{errors.labelId}</FieldErrorText>
              </div>
              {chosenLabel && <LabelChip label={chosenLabel} size="medium" />}
            </Flex>
          )}
          {(editing || labelChoice === 'new') && (
            <Flex gap="3" align="end" style={{ flexWrap: 'wrap' }}>
              <div style={{ minWidth: '14rem' }}>
                <TextField
                  label="Label title"
                  value={labelTitle}
                  onChange={v => {
                    setLabelTitle(v);
                    setErrors(e => ({ ...e, labelTitle: undefined }));
                  }}
                  isInvalid={Boolean(errors.labelTitle)}
                />
                <FieldErrorText>{errors.labelTitle}</FieldErrorText>
              </div>
              <ColourField
                label="Label colour"
                value={labelColour}
                onChange={setLabelColour}
              />
              <Flex direction="column" gap="1">
                <Text variant="body-small" color="secondary">
                  Preview
                </Text>
                <LabelChip
                  label={{
                    title: labelTitle.trim() || 'Label',
                    colour: labelColour,
                  }}
                  size="medium"
                />
              </Flex>
            </Flex>
          )}
          <Text as="p" variant="body-small" color="secondary">
            Besides these settings, the owner and people with an approved access
            request have access. “None” adds nobody.
          </Text>
          <AccessSettingField<CaseAccessMode>
            label="List its conversations"
            pickerLabel="Who may list them"
            modes={ACCESS_MODE_LABELS}
            value={access.list as CaseAccessSetting<CaseAccessMode>}
            onChange={setSetting('list')}
            error={errors.list}
          />
          <AccessSettingField<CaseAccessMode>
            label="Play them back"
            pickerLabel="Who may play them back"
            modes={ACCESS_MODE_LABELS}
            value={access.playback}
            onChange={setSetting('playback')}
            error={errors.playback}
          />
          <AccessSettingField<CaseLabelMode>
            label="Add/remove its label"
            pickerLabel="Who may add or remove the label"
            modes={LABEL_MODE_LABELS}
            value={access.label}
            onChange={setSetting('label')}
            error={errors.label}
          />
          {(errors.list || errors.playback || errors.label) && (
            <Text
              as="p"
              color="danger"
              variant="body-small"
              role="alert"
              style={{ color: READABLE_DANGER_TEXT }}
            >
              {NEED_PEOPLE} for each setting that is “Selected users and
              groups”.
            </Text>
          )}
          <ErrorAlert error={error} title="Case not saved" />
        </Flex>
      </DialogBody>
      <DialogFooter>
        <Button variant="secondary" onPress={props.onClose}>
          Cancel
        </Button>
        <Button variant="primary" isDisabled={busy} onPress={save}>
          {editing ? 'Save case' : 'Create case'}
        </Button>
      </DialogFooter>
    </Dialog>
  );
}
