import { useEffect, useState } from 'react';
import { Text, TextAreaField } from '@backstage/ui';
import { useApi } from '@backstage/frontend-plugin-api';
import type { AccessRequest } from '@mvr/plugin-voice-recording-common';
import { voiceRecordingApiRef } from '../../api/VoiceRecordingApi';
import { FieldErrorText } from '../FieldErrorText/FieldErrorText';
import { FormDialog, useSubmission } from '../FormDialog/FormDialog';
import { PersonName } from '../PersonName/PersonName';
import { rightsText } from './requestText';

/** A decision on an access request; each one asks for a comment. */
export type Decision =
  | 'approve'
  | 'reject'
  | 'revoke'
  | 'manager-approve'
  | 'manager-reject';

const TEXTS: Record<
  Decision,
  {
    title: string;
    confirm: string;
    done: string;
    commentRequired: boolean;
    destructive: boolean;
  }
> = {
  approve: {
    title: 'Approve access request',
    confirm: 'Approve',
    done: 'approved',
    commentRequired: false,
    destructive: false,
  },
  reject: {
    title: 'Reject access request',
    confirm: 'Reject',
    done: 'rejected',
    commentRequired: true,
    destructive: true,
  },
  revoke: {
    title: 'Revoke access',
    confirm: 'Revoke access',
    done: 'revoked: the access ended',
    commentRequired: false,
    destructive: true,
  },
  'manager-approve': {
    title: 'Approve as manager',
    confirm: 'Approve as manager',
    done: 'approved by you as manager; an admin decides next',
    commentRequired: false,
    destructive: false,
  },
  'manager-reject': {
    title: 'Reject as manager',
    confirm: 'Reject as manager',
    done: 'rejected',
    commentRequired: true,
    destructive: true,
  },
};

/** What the page says once the decision is taken: "Request for Client X approved". */
export function decisionDoneText(decision: Decision, request: AccessRequest) {
  return `Request for ${request.caseTitle} ${TEXTS[decision].done}`;
}

/**
 * Confirms a decision on an access request with a comment (required to reject): who
 * asked, for which case and rights, then calls the backend. Its error stays in the
 * dialog, next to the buttons; on success the dialog hands the updated request back.
 */
export function DecisionDialog(props: {
  request: AccessRequest | undefined;
  decision: Decision | undefined;
  onClose: () => void;
  onDone: (updated: AccessRequest, decision: Decision) => void;
}) {
  const api = useApi(voiceRecordingApiRef);
  const { request, decision } = props;
  const [comment, setComment] = useState('');
  const [missing, setMissing] = useState(false);
  const { busy, error, setError, run } = useSubmission();
  const open = Boolean(request && decision);

  useEffect(() => {
    if (open) {
      setComment('');
      setMissing(false);
      setError(undefined);
    }
  }, [open, request?.id, decision, setError]);

  if (!request || !decision) return null;
  const texts = TEXTS[decision];

  const submit = async () => {
    if (texts.commentRequired && !comment.trim()) {
      setMissing(true);
      return;
    }
    await run(async () => {
      const calls: Record<Decision, () => Promise<AccessRequest>> = {
        approve: () => api.approveAccessRequest(request.id, comment),
        reject: () => api.rejectAccessRequest(request.id, comment),
        revoke: () => api.revokeAccessRequest(request.id, comment),
        'manager-approve': () =>
          api.managerApproveAccessRequest(request.id, comment),
        'manager-reject': () =>
          api.managerRejectAccessRequest(request.id, comment),
      };
      const updated = await calls[decision]();
      props.onDone(updated, decision);
    });
  };

  return (
    <FormDialog
      title={texts.title}
      error={error}
      errorTitle={`Could not ${texts.confirm.toLowerCase()}`}
      confirmLabel={texts.confirm}
      destructive={texts.destructive}
      busy={busy}
      onConfirm={submit}
      onClose={props.onClose}
    >
      <Text as="p">
        <PersonName entityRef={request.requesterRef} /> asks for{' '}
        {rightsText(request.rights)} on case {request.caseTitle}.
      </Text>
      <TextAreaField
        label="Comment"
        secondaryLabel={texts.commentRequired ? 'Required' : 'Optional'}
        value={comment}
        onChange={value => {
          setComment(value);
          if (value.trim()) setMissing(false);
        }}
        isInvalid={missing}
      />
      <FieldErrorText>
        {missing ? 'A comment is required to reject a request' : undefined}
      </FieldErrorText>
    </FormDialog>
  );
}
