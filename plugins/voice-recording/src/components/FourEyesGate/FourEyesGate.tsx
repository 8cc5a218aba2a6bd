import { ReactNode, useEffect, useState } from 'react';
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
import { FourEyesStatus } from '@mvr/plugin-voice-recording-common';
import { voiceRecordingApiRef } from '../../api/VoiceRecordingApi';
import { ErrorAlert } from '../ErrorAlert/ErrorAlert';
import { PersonName } from '../PersonName/PersonName';
import { timeLeftText, timeText } from './fourEyesText';

/** How often a waiting user's page asks whether an observer confirmed. */
export const FOUR_EYES_POLL_MS = 10_000;

/** What happened to the last session, for a user who has no access now. */
function SessionState(props: { status: FourEyesStatus }) {
  const s = props.status.session;
  if (!s) return null;
  switch (s.state) {
    case 'pending':
      return (
        <Text as="p" data-testid="four-eyes-state">
          Asked at {timeText(s.requestedAt)}: waiting for an observer to
          confirm.
        </Text>
      );
    case 'rejected':
      return (
        <Text as="p" data-testid="four-eyes-state">
          Your last request was rejected by{' '}
          <PersonName entityRef={s.decidedBy} />
          {s.decidedAt ? ` at ${timeText(s.decidedAt)}` : ''}.
        </Text>
      );
    case 'expired':
      return (
        <Text as="p" data-testid="four-eyes-state">
          Your last session ended
          {s.expiresAt ? ` at ${timeText(s.expiresAt)}` : ''}.
        </Text>
      );
    default:
      return null;
  }
}

/**
 * Four-eyes access in the portal (docs/permissions.md "Four-eyes access"): the pages
 * it wraps (the conversation list and call page) show only when the signed-in user is
 * not flagged four-eyes, or while a session an observer confirmed runs (with the time
 * left). Otherwise it asks for a confirmation, and waits for it. The backend enforces
 * the same rule on every conversation route: this only explains it.
 */
export function FourEyesGate(props: { children: ReactNode }) {
  const api = useApi(voiceRecordingApiRef);
  const status = useAsyncRetry(() => api.getFourEyesStatus(), [api]);
  const [asking, setAsking] = useState(false);
  const [askError, setAskError] = useState<unknown>();
  const s = status.value;
  const waiting = s?.required && !s.access && s.session?.state === 'pending';
  const endsAt = s?.required && s.access ? s.session?.expiresAt : undefined;
  const { retry } = status;

  // waiting: ask again now and then; confirmed: look again when the session ends
  useEffect(() => {
    if (waiting) {
      const t = setInterval(retry, FOUR_EYES_POLL_MS);
      return () => clearInterval(t);
    }
    if (endsAt) {
      const t = setTimeout(
        retry,
        Math.max(0, Date.parse(endsAt) - Date.now()) + 1000,
      );
      return () => clearTimeout(t);
    }
    return undefined;
  }, [waiting, endsAt, retry]);

  if (status.loading && !s)
    return (
      <Flex direction="column" gap="3" aria-busy="true">
        <Skeleton height={120} />
      </Flex>
    );
  if (status.error && !s) return <ErrorAlert error={status.error} />;
  if (!s?.required) return <>{props.children}</>;

  if (s.access) {
    return (
      <Flex direction="column" gap="3">
        <Text
          as="p"
          variant="body-small"
          color="secondary"
          data-testid="four-eyes-session"
        >
          Four-eyes access confirmed
          {s.session?.decidedBy ? ' by ' : ''}
          {s.session?.decidedBy && (
            <PersonName entityRef={s.session.decidedBy} />
          )}
          {s.session?.expiresAt
            ? ` until ${timeText(s.session.expiresAt)} (${timeLeftText(
                s.session.expiresAt,
              )}).`
            : '.'}
        </Text>
        {props.children}
      </Flex>
    );
  }

  const ask = async () => {
    setAsking(true);
    setAskError(undefined);
    try {
      await api.askFourEyesConfirmation();
      retry();
    } catch (e) {
      setAskError(e);
    } finally {
      setAsking(false);
    }
  };

  return (
    <Card data-testid="four-eyes-gate">
      <CardHeader>
        <Text as="h2" variant="title-small">
          Your access to recordings needs an observer’s confirmation
        </Text>
      </CardHeader>
      <CardBody>
        <Flex direction="column" gap="3" align="start">
          <Text as="p">
            You are a four-eyes user: your observer,{' '}
            <PersonName entityRef={s.observerRef} />, confirms each session from
            their own account. Once confirmed, you may open recordings for{' '}
            {s.sessionMinutes} minutes.
          </Text>
          <SessionState status={s} />
          <ErrorAlert error={askError} />
          {status.error && <ErrorAlert error={status.error} />}
          <Flex gap="2" align="center">
            <Button variant="primary" onPress={ask} isDisabled={asking}>
              {waiting ? 'Ask again' : 'Ask for confirmation'}
            </Button>
            <Button variant="secondary" onPress={retry}>
              Check again
            </Button>
          </Flex>
          {waiting && (
            <Alert
              status="info"
              icon
              role="status"
              title="Your observer has been notified. This page opens as soon as they confirm."
            />
          )}
        </Flex>
      </CardBody>
    </Card>
  );
}
