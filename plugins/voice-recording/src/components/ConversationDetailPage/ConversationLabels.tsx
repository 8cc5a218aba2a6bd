import { useState } from 'react';
import useAsync from 'react-use/esm/useAsync';
import { Alert, Button, Flex, Select, Text } from '@backstage/ui';
import { useApi } from '@backstage/frontend-plugin-api';
import { permissionApiRef } from '@backstage/plugin-permission-react';
import {
  Case,
  ConversationLabel,
  voiceRecordingCaseLabelPermission,
} from '@mvr/plugin-voice-recording-common';
import { voiceRecordingApiRef } from '../../api/VoiceRecordingApi';
import { errorMessage, errorStatus } from '../../api/errors';
import { LabelChip } from '../LabelChip/LabelChip';
import { ConfirmDialog } from '../ConfirmDialog/ConfirmDialog';

/**
 * The cases (ids) on which the signed-in user may add or remove the label: the
 * `case.label` permission decided for each case (its owner, the label setting, an
 * approved request with the label right, admins), as the backend decides a change.
 */
function useLabelRights(caseIds: string[]) {
  const permissionApi = useApi(permissionApiRef);
  const key = [...new Set(caseIds)].sort().join(',');
  return useAsync(async () => {
    const ids = key ? key.split(',') : [];
    const decisions = await Promise.all(
      ids.map(id =>
        permissionApi.authorize({
          permission: voiceRecordingCaseLabelPermission,
          resourceRef: id,
        }),
      ),
    );
    return new Set(
      // AuthorizeResult.ALLOW
      ids.filter((_, i) => String(decisions[i].result) === 'ALLOW'),
    );
  }, [permissionApi, key]);
}

/** The message of a refused or failed change, next to its action. */
function changeError(error: unknown, action: 'add' | 'remove', c?: Case) {
  const status = errorStatus(error);
  const name = c ? `"${c.title}"` : 'this case';
  if (status === 403)
    return `You may not ${
      action === 'add' ? 'add this call to' : 'remove this call from'
    } ${name}: only the case's owner and the people given the right to add and remove its label may (request it in Workflows).`;
  if (status === 404)
    return 'This call or the case label no longer exists or is no longer visible to you.';
  return errorMessage(error);
}

/**
 * The call's labels as coloured chips; "Add to case" and "Remove from case" (adding or
 * removing the case's label) for the cases on which the user has the right.
 */
export function ConversationLabels(props: {
  conversationId: string;
  labels: ConversationLabel[];
  /** After a change (the access history has a new entry). */
  onChanged?: () => void;
  /**
   * The cases with a standing legal hold on this call (admins are told): their label
   * cannot be removed, so no remove button but the reason (docs/legal-hold.md).
   */
  heldCaseIds?: string[];
}) {
  const api = useApi(voiceRecordingApiRef);
  const [labels, setLabels] = useState(props.labels);
  const [chosen, setChosen] = useState('');
  const [busy, setBusy] = useState(false);
  const [confirm, setConfirm] = useState<ConversationLabel | undefined>();
  const [message, setMessage] = useState<
    | { action: 'add' | 'remove'; labelId?: string; text: string; ok: boolean }
    | undefined
  >();

  const { value: cases } = useAsync(
    async () => (await api.listCases()).items,
    [api],
  );
  const caseById = new Map((cases ?? []).map(c => [c.id, c]));
  const onCall = new Set(labels.map(l => l.id));
  const addable = (cases ?? []).filter(
    c => c.status === 'open' && !onCall.has(c.label.id),
  );
  const removable = labels.filter(l => l.caseId);
  // asked once the cases are known (the call's cases and the open ones)
  const rights = useLabelRights(
    cases ? [...addable.map(c => c.id), ...removable.map(l => l.caseId!)] : [],
  );
  const allowed = rights.value ?? new Set<string>();
  const addChoices = addable.filter(c => allowed.has(c.id));
  const chosenCase = addChoices.find(c => c.id === chosen);

  const change = async (action: 'add' | 'remove', labelId: string) => {
    const c = (cases ?? []).find(x => x.label.id === labelId);
    setBusy(true);
    setMessage(undefined);
    try {
      const answer =
        action === 'add'
          ? await api.addConversationLabel(props.conversationId, labelId)
          : await api.removeConversationLabel(props.conversationId, labelId);
      setLabels(answer.labels);
      setChosen('');
      setMessage({
        action,
        labelId,
        ok: true,
        text:
          action === 'add'
            ? `Added to ${c ? `"${c.title}"` : 'the case'}.`
            : `Removed from ${c ? `"${c.title}"` : 'the case'}.`,
      });
      props.onChanged?.();
    } catch (e) {
      setMessage({
        action,
        labelId,
        ok: false,
        text: changeError(e, action, c),
      });
    } finally {
      setBusy(false);
    }
  };

  const feedback = (action: 'add' | 'remove', labelId?: string) =>
    message &&
    message.action === action &&
    (labelId === undefined || message.labelId === labelId) ? (
      <Alert
        status={message.ok ? 'success' : 'danger'}
        icon
        role={message.ok ? 'status' : 'alert'}
        data-testid={`label-${action}-${message.ok ? 'done' : 'error'}`}
        title={message.text}
      />
    ) : null;

  return (
    <Flex direction="column" gap="3">
      <Text as="h2" variant="title-x-small">
        Labels
      </Text>
      {labels.length === 0 ? (
        <Text as="p" variant="body-medium" style={{ margin: 0 }}>
          No labels.
        </Text>
      ) : (
        <ul
          aria-label="Labels of this call"
          data-testid="conversation-labels"
          style={{
            listStyle: 'none',
            margin: 0,
            padding: 0,
            display: 'flex',
            flexDirection: 'column',
            gap: 'var(--bui-space-2)',
          }}
        >
          {labels.map(l => {
            const c = l.caseId ? caseById.get(l.caseId) : undefined;
            const held = Boolean(
              l.caseId && props.heldCaseIds?.includes(l.caseId),
            );
            const mayRemove = Boolean(
              l.caseId && allowed.has(l.caseId) && !held,
            );
            return (
              <li key={l.id}>
                <Flex align="center" gap="2" style={{ flexWrap: 'wrap' }}>
                  <LabelChip
                    label={l}
                    size="medium"
                    description={c ? `case ${c.title}` : undefined}
                  />
                  {c && (
                    <Text variant="body-small" color="secondary">
                      Case: {c.title}
                      {c.status === 'closed' ? ' (closed)' : ''}
                    </Text>
                  )}
                  {held && (
                    <Text
                      variant="body-small"
                      color="secondary"
                      data-testid={`label-held-${l.id}`}
                    >
                      Under legal hold: the label cannot be removed
                    </Text>
                  )}
                  {mayRemove && (
                    <Button
                      variant="tertiary"
                      size="small"
                      aria-label={`Remove from case ${c?.title ?? l.title}`}
                      isDisabled={busy}
                      onPress={() => setConfirm(l)}
                    >
                      Remove from case
                    </Button>
                  )}
                </Flex>
                {feedback('remove', l.id)}
              </li>
            );
          })}
        </ul>
      )}
      {message?.action === 'remove' &&
        message.labelId &&
        !onCall.has(message.labelId) &&
        feedback('remove')}
      {addChoices.length > 0 && (
        <Flex align="end" gap="2" style={{ flexWrap: 'wrap' }}>
          <div style={{ minWidth: '14rem' }}>
            <Select
              label="Case to add this call to"
              value={chosen || null}
              onChange={k => setChosen(k ? String(k) : '')}
              options={addChoices.map(c => ({ value: c.id, label: c.title }))}
            />
          </div>
          <Button
            variant="secondary"
            isDisabled={!chosenCase || busy}
            onPress={() => chosenCase && change('add', chosenCase.label.id)}
          >
            Add to case
          </Button>
        </Flex>
      )}
      {feedback('add')}
      <ConfirmDialog
        open={Boolean(confirm)}
        title="Remove this call from the case?"
        text={`The call loses the label "${confirm?.title ?? ''}"${
          confirm?.caseId && caseById.get(confirm.caseId)
            ? ` and leaves the case "${caseById.get(confirm.caseId)!.title}"`
            : ''
        }: the people who see it through this case no longer do.`}
        confirmLabel="Remove from case"
        onClose={() => setConfirm(undefined)}
        onConfirm={() => {
          const l = confirm!;
          setConfirm(undefined);
          change('remove', l.id);
        }}
      />
    </Flex>
  );
}
