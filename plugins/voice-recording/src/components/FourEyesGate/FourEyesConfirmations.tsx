import { useState } from 'react';
import { useSearchParams } from 'react-router-dom';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import {
  Alert,
  Button,
  Card,
  CardBody,
  CardHeader,
  Flex,
  Skeleton,
  Text,
} from '@backstage/ui';
import { useApi } from '@backstage/frontend-plugin-api';
import { FourEyesSession } from '@mvr/plugin-voice-recording-common';
import { voiceRecordingApiRef } from '../../api/VoiceRecordingApi';
import { ErrorAlert } from '../ErrorAlert/ErrorAlert';
import { PersonName } from '../PersonName/PersonName';
import { timeText } from './fourEyesText';

/**
 * Four-eyes → Confirmations to give: the pending sessions the signed-in user may
 * confirm as an observer (the observer user, or a member of the observer group; never
 * their own), with Confirm and Reject. The session of the notification's link
 * (`?session=<id>`) comes first and is marked.
 */
export function FourEyesConfirmations() {
  const api = useApi(voiceRecordingApiRef);
  const [params] = useSearchParams();
  const linked = params.get('session') ?? undefined;
  const list = useAsyncRetry(() => api.listFourEyesConfirmations(), [api]);
  const [busy, setBusy] = useState<string>();
  const [error, setError] = useState<unknown>();
  const [notice, setNotice] = useState<string>();

  const decide = async (s: FourEyesSession, confirm: boolean) => {
    setBusy(s.id);
    setError(undefined);
    setNotice(undefined);
    try {
      const done = confirm
        ? await api.confirmFourEyesSession(s.id)
        : await api.rejectFourEyesSession(s.id);
      setNotice(
        confirm
          ? `Confirmed: access to recordings${
              done.expiresAt ? ` until ${timeText(done.expiresAt)}` : ''
            }.`
          : 'Rejected: no access was given.',
      );
      list.retry();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(undefined);
    }
  };

  const items = [...(list.value?.items ?? [])].sort(
    (a, b) => Number(b.id === linked) - Number(a.id === linked),
  );
  return (
    <Card data-testid="four-eyes-confirmations">
      <CardHeader>
        <Text as="h2" variant="title-small">
          Confirmations to give
        </Text>
      </CardHeader>
      <CardBody>
        <Flex direction="column" gap="3">
          {notice && (
            <Alert status="success" icon role="status" title={notice} />
          )}
          <ErrorAlert error={error ?? list.error} />
          {list.loading && !list.value && <Skeleton height={60} />}
          {list.value && items.length === 0 && (
            <Text as="p" color="secondary">
              Nobody is waiting for your confirmation.
              {linked ? ' The session of your link was decided already.' : ''}
            </Text>
          )}
          {items.map(s => (
            <Flex
              key={s.id}
              align="center"
              justify="between"
              gap="3"
              data-testid={`four-eyes-session-${s.id}`}
              aria-current={s.id === linked ? 'true' : undefined}
              style={{
                padding: 'var(--bui-space-2)',
                border: '1px solid var(--bui-border)',
                borderRadius: 'var(--bui-radius-2)',
              }}
            >
              <Text as="p">
                <PersonName entityRef={s.userRef} /> asks to open recordings
                (asked at {timeText(s.requestedAt)}).
              </Text>
              <Flex gap="2">
                <Button
                  variant="primary"
                  isDisabled={busy !== undefined}
                  onPress={() => decide(s, true)}
                >
                  Confirm
                </Button>
                <Button
                  variant="secondary"
                  isDisabled={busy !== undefined}
                  onPress={() => decide(s, false)}
                >
                  Reject
                </Button>
              </Flex>
            </Flex>
          ))}
        </Flex>
      </CardBody>
    </Card>
  );
}
