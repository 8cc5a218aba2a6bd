import { useState } from 'react';
import { Select, Text, TextAreaField, TextField } from '@backstage/ui';
import { useApi } from '@backstage/frontend-plugin-api';
import type { Case, LegalHold } from '@mvr/plugin-voice-recording-common';
import { voiceRecordingApiRef } from '../../api/VoiceRecordingApi';
import { FieldErrorText } from '../FieldErrorText/FieldErrorText';
import { FormDialog, useSubmission } from '../FormDialog/FormDialog';

type Field = 'caseId' | 'reason' | 'reference';

/**
 * Places a legal hold on a case: the case (fixed when opened from the case, else chosen
 * among `cases`), the reason and the matter's reference (both required). The backend's
 * refusal (e.g. a standing hold already) stays in the dialog.
 */
export function PlaceLegalHoldDialog(props: {
  /** The case (from the Cases page); else a choice among `cases`. */
  fixedCase?: Pick<Case, 'id' | 'title'>;
  cases?: Array<Pick<Case, 'id' | 'title'>>;
  onClose: () => void;
  onPlaced: (hold: LegalHold) => void;
}) {
  const api = useApi(voiceRecordingApiRef);
  const [caseId, setCaseId] = useState(props.fixedCase?.id ?? '');
  const [reason, setReason] = useState('');
  const [reference, setReference] = useState('');
  const [errors, setErrors] = useState<Partial<Record<Field, string>>>({});
  const { busy, error, run } = useSubmission();

  const submit = async () => {
    const missing: Partial<Record<Field, string>> = {};
    if (!caseId) missing.caseId = 'Choose the case to hold';
    if (!reference.trim())
      missing.reference = 'The reference of the matter is required';
    if (!reason.trim()) missing.reason = 'A reason is required';
    setErrors(missing);
    if (Object.keys(missing).length) return;
    await run(async () =>
      props.onPlaced(
        await api.placeLegalHold({
          caseId,
          reason: reason.trim(),
          reference: reference.trim(),
        }),
      ),
    );
  };

  return (
    <FormDialog
      title={
        props.fixedCase
          ? `Place a legal hold on ${props.fixedCase.title}`
          : 'Place a legal hold'
      }
      error={error}
      errorTitle="Hold not placed"
      confirmLabel="Place hold"
      busy={busy}
      onConfirm={submit}
      onClose={props.onClose}
    >
      <Text as="p" variant="body-small" color="secondary">
        Every conversation carrying the case&apos;s label, now or later, is
        held: it is not deleted at the end of its retention and nobody can
        remove the label. Releasing the hold needs two admins: one requests it,
        another approves.
      </Text>
      {!props.fixedCase && (
        <>
          <Select
            label="Case"
            isRequired
            placeholder="Choose a case"
            value={caseId || null}
            onChange={key => {
              setCaseId(String(key ?? ''));
              setErrors(e => ({ ...e, caseId: undefined }));
            }}
            options={(props.cases ?? []).map(c => ({
              value: c.id,
              label: c.title,
            }))}
            isInvalid={Boolean(errors.caseId)}
          />
          <FieldErrorText>{errors.caseId}</FieldErrorText>
        </>
      )}
      <TextField
        label="Reference"
        isRequired
        description="Court, regulator or internal reference of the matter"
        value={reference}
        onChange={v => {
          setReference(v);
          setErrors(e => ({ ...e, reference: undefined }));
        }}
        isInvalid={Boolean(errors.reference)}
      />
      <FieldErrorText>{errors.reference}</FieldErrorText>
      <TextAreaField
        label="Reason"
        isRequired
        value={reason}
        onChange={v => {
          setReason(v);
          setErrors(e => ({ ...e, reason: undefined }));
        }}
        isInvalid={Boolean(errors.reason)}
      />
      <FieldErrorText>{errors.reason}</FieldErrorText>
    </FormDialog>
  );
}

/**
 * A reason (or an optional comment) for a step of a hold's release: request, reject,
 * approve or withdraw. The backend's refusal stays in the dialog.
 */
export function HoldStepDialog(props: {
  title: string;
  explanation: string;
  fieldLabel: string;
  /** Whether the text is required (a reason) or optional (a comment). */
  required: boolean;
  confirmLabel: string;
  destructive?: boolean;
  onClose: () => void;
  act: (text: string) => Promise<unknown>;
}) {
  const [value, setValue] = useState('');
  const [missing, setMissing] = useState(false);
  const { busy, error, run } = useSubmission();
  const submit = async () => {
    if (props.required && !value.trim()) {
      setMissing(true);
      return;
    }
    await run(() => props.act(value.trim()));
  };
  return (
    <FormDialog
      title={props.title}
      error={error}
      errorTitle="Not done"
      confirmLabel={props.confirmLabel}
      destructive={props.destructive}
      busy={busy}
      onConfirm={submit}
      onClose={props.onClose}
    >
      <Text as="p" variant="body-small" color="secondary">
        {props.explanation}
      </Text>
      <TextAreaField
        label={props.fieldLabel}
        isRequired={props.required}
        value={value}
        onChange={v => {
          setValue(v);
          if (v.trim()) setMissing(false);
        }}
        isInvalid={missing}
      />
      <FieldErrorText>
        {missing ? `${props.fieldLabel} is required` : undefined}
      </FieldErrorText>
    </FormDialog>
  );
}
