import { useState } from 'react';
import useAsync from 'react-use/esm/useAsync';
import { Checkbox, Flex, Select, Text, TextField } from '@backstage/ui';
import { useApi } from '@backstage/frontend-plugin-api';
import {
  describeRetentionPeriod,
  formatRetentionPeriod,
  parseRetentionPeriod,
  RetentionScope,
} from '@mvr/plugin-voice-recording-common';
import { voiceRecordingApiRef } from '../../api/VoiceRecordingApi';
import type { RetentionPolicyView } from '../../api/retention';
import { FieldErrorText } from '../FieldErrorText/FieldErrorText';
import { FormDialog, useSubmission } from '../FormDialog/FormDialog';
import { PeoplePicker } from '../PeoplePicker/PeoplePicker';
import { PersonName } from '../PersonName/PersonName';

type Field = 'name' | 'period' | 'scope';
type Kind = RetentionScope['kind'];

/** The usual periods: MiFID II (5 years, 7 on request), CFTC (1 year), SEC 17a-4 (3/6). */
const PRESETS = ['P1Y', 'P3Y', 'P5Y', 'P6Y', 'P7Y', 'P10Y'];
const OTHER = 'other';

/**
 * Creates or changes a retention policy: a name, a period (usual ones or any ISO 8601
 * period of years, months and days) and what it applies to: every conversation, the
 * members of catalog groups (picked by name) or recorded numbers (shown with their
 * user's name). The backend's refusal (a field, a taken name) stays in the dialog.
 */
export function RetentionPolicyDialog(props: {
  policy?: RetentionPolicyView;
  minimumPeriod: string;
  onClose: () => void;
  onSaved: (name: string) => void;
}) {
  const api = useApi(voiceRecordingApiRef);
  const p = props.policy;
  const [name, setName] = useState(p?.name ?? '');
  const initialPeriod = p?.period ?? 'P7Y';
  const [preset, setPreset] = useState(
    PRESETS.includes(initialPeriod) ? initialPeriod : OTHER,
  );
  const [custom, setCustom] = useState(
    PRESETS.includes(initialPeriod) ? '' : initialPeriod,
  );
  const [kind, setKind] = useState<Kind>(p?.scope.kind ?? 'default');
  const [groups, setGroups] = useState<string[]>(
    p?.scope.kind === 'groups' ? p.scope.groupRefs : [],
  );
  const [numberIds, setNumberIds] = useState<string[]>(
    p?.scope.kind === 'numbers' ? p.scope.numberIds : [],
  );
  const [errors, setErrors] = useState<Partial<Record<Field, string>>>({});
  const { busy, error, run } = useSubmission();
  const numbers = useAsync(
    async () => (kind === 'numbers' ? (await api.listNumbers({})).items : []),
    [api, kind],
  );

  const period = preset === OTHER ? custom.trim().toUpperCase() : preset;
  const parsed = parseRetentionPeriod(period);
  const min = parseRetentionPeriod(props.minimumPeriod);
  const days = (x: { years: number; months: number; days: number }) =>
    x.years * 365.2425 + x.months * 30.44 + x.days;
  const belowMinimum =
    parsed.ok && min.ok && days(parsed.period) < days(min.period);

  const submit = async () => {
    const missing: Partial<Record<Field, string>> = {};
    if (!name.trim()) missing.name = 'A name is required';
    if (!parsed.ok) missing.period = `Period: ${parsed.message}`;
    if (kind === 'groups' && !groups.length)
      missing.scope = 'Choose at least one group';
    if (kind === 'numbers' && !numberIds.length)
      missing.scope = 'Choose at least one recorded number';
    setErrors(missing);
    if (Object.keys(missing).length || !parsed.ok) return;
    let scope: RetentionScope = { kind: 'default' };
    if (kind === 'groups') scope = { kind, groupRefs: groups };
    if (kind === 'numbers') scope = { kind, numberIds };
    const input = {
      name: name.trim(),
      period: formatRetentionPeriod(parsed.period),
      scope,
    };
    await run(async () => {
      if (p) await api.updateRetentionPolicy(p.id, input);
      else await api.createRetentionPolicy(input);
      props.onSaved(input.name);
    });
  };

  return (
    <FormDialog
      title={
        p ? `Change the retention policy ${p.name}` : 'New retention policy'
      }
      error={error}
      errorTitle="Policy not saved"
      confirmLabel={p ? 'Save' : 'Create policy'}
      busy={busy}
      onConfirm={submit}
      onClose={props.onClose}
    >
      <Text as="p" variant="body-small" color="secondary">
        A conversation is kept for the longest policy that applies to it, never
        less than the regulatory minimum (
        {describeRetentionPeriod(props.minimumPeriod)}). Saving re-computes the
        retention end of every archived conversation.
      </Text>
      <TextField
        label="Name"
        isRequired
        value={name}
        onChange={v => {
          setName(v);
          setErrors(e => ({ ...e, name: undefined }));
        }}
        isInvalid={Boolean(errors.name)}
      />
      <FieldErrorText>{errors.name}</FieldErrorText>
      <Select
        label="Period"
        isRequired
        value={preset}
        onChange={k => {
          setPreset(String(k));
          setErrors(e => ({ ...e, period: undefined }));
        }}
        options={[
          ...PRESETS.map(v => ({
            value: v,
            label: `${describeRetentionPeriod(v)} (${v})`,
          })),
          { value: OTHER, label: 'Other period…' },
        ]}
      />
      {preset === OTHER && (
        <TextField
          label="Other period"
          description="ISO 8601 period of years, months and days, e.g. P1Y6M"
          value={custom}
          onChange={v => {
            setCustom(v);
            setErrors(e => ({ ...e, period: undefined }));
          }}
          isInvalid={Boolean(errors.period)}
        />
      )}
      <FieldErrorText>{errors.period}</FieldErrorText>
      {belowMinimum && (
        <Text as="p" variant="body-small" data-testid="below-minimum">
          Shorter than the regulatory minimum: conversations it applies to are
          still kept {describeRetentionPeriod(props.minimumPeriod)}.
        </Text>
      )}
      <Select
        label="Applies to"
        value={kind}
        onChange={k => {
          setKind(String(k) as Kind);
          setErrors(e => ({ ...e, scope: undefined }));
        }}
        options={[
          { value: 'default', label: 'Every conversation (default)' },
          { value: 'groups', label: 'Members of catalog groups' },
          { value: 'numbers', label: 'Recorded numbers' },
        ]}
      />
      {kind === 'groups' && (
        <PeoplePicker
          multiple
          label="Groups"
          kinds={['Group']}
          placeholder="A team, e.g. trading"
          value={groups}
          onChange={refs => {
            setGroups(refs);
            setErrors(e => ({ ...e, scope: undefined }));
          }}
        />
      )}
      {kind === 'numbers' && (
        <Flex
          direction="column"
          gap="1"
          role="group"
          aria-label="Recorded numbers"
        >
          {(numbers.value ?? []).map(n => (
            <Checkbox
              key={n.id}
              isSelected={numberIds.includes(n.id)}
              onChange={on => {
                setNumberIds(ids =>
                  on ? [...ids, n.id] : ids.filter(i => i !== n.id),
                );
                setErrors(e => ({ ...e, scope: undefined }));
              }}
            >
              {n.number} — <PersonName entityRef={n.userRef} />
            </Checkbox>
          ))}
          {numbers.loading && (
            <Text variant="body-small">Loading numbers…</Text>
          )}
        </Flex>
      )}
      <FieldErrorText>{errors.scope}</FieldErrorText>
    </FormDialog>
  );
}
