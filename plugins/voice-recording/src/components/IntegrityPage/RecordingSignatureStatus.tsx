import { useState } from 'react';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import { Button, Flex, Text } from '@backstage/ui';
import { useApi } from '@backstage/frontend-plugin-api';
import { voiceRecordingApiRef } from '../../api/VoiceRecordingApi';
import type { RecordingVerification } from '../../api/integrity';
import { errorMessage } from '../../api/errors';
import { ErrorAlert } from '../ErrorAlert/ErrorAlert';
import { READABLE_DANGER_TEXT } from '../FieldErrorText/FieldErrorText';
import { formatDateTime } from '../ConversationsPage/format';
import { OUTCOME_LABELS } from './IntegrityPage';

/**
 * In the conversation page's player area: whether the recording is signed (with the
 * key id and when), and "Verify now", which has the backend re-hash the stored archive
 * and check its signature (audited).
 */
export function RecordingSignatureStatus(props: { conversationId: string }) {
  const api = useApi(voiceRecordingApiRef);
  const sigs = useAsyncRetry(
    () => api.getConversationSignatures(props.conversationId),
    [api, props.conversationId],
  );
  const [result, setResult] = useState<RecordingVerification>();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);

  const verify = async () => {
    setBusy(true);
    setError(undefined);
    setResult(undefined);
    try {
      setResult(await api.verifyConversation(props.conversationId));
      sigs.retry();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  if (sigs.error)
    return (
      <Text as="p" variant="body-small" color="secondary">
        Signature not shown: {errorMessage(sigs.error)}
      </Text>
    );
  if (!sigs.value) return null;
  const [current, ...older] = sigs.value.signatures;
  return (
    <Flex
      direction="column"
      gap="1"
      role="group"
      aria-label="Recording signature"
      data-testid="recording-signature"
    >
      <Flex gap="3" align="center" style={{ flexWrap: 'wrap' }}>
        <Text as="span" weight="bold" data-testid="signature-state">
          {current
            ? `Signed with key ${current.keyId} on ${formatDateTime(
                current.signedAt,
              )}`
            : 'Not signed yet'}
        </Text>
        {older.length > 0 && (
          <Text as="span" variant="body-small" color="secondary">
            (re-encoded: replaces{' '}
            {older.length === 1
              ? 'an earlier signed archive'
              : `${older.length} earlier signed archives`}
            )
          </Text>
        )}
        <Button
          size="small"
          variant="secondary"
          isDisabled={busy}
          onPress={verify}
        >
          {busy ? 'Verifying…' : 'Verify now'}
        </Button>
      </Flex>
      {result && (
        <Text
          as="p"
          role="status"
          data-testid="verify-result"
          style={result.ok ? undefined : { color: READABLE_DANGER_TEXT }}
        >
          {result.ok
            ? `Verified: the stored archive (SHA-256 ${result.sha256?.slice(
                0,
                16,
              )}…) is intact and its signature is valid.`
            : `${
                OUTCOME_LABELS[result.outcome] ?? result.outcome
              }: ${result.problems.join('; ')}`}
        </Text>
      )}
      <ErrorAlert error={error} title="Not verified" />
    </Flex>
  );
}
