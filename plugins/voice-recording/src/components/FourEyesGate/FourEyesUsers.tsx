import { FormEvent, useState } from 'react';
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
import { voiceRecordingApiRef } from '../../api/VoiceRecordingApi';
import { ErrorAlert } from '../ErrorAlert/ErrorAlert';
import { PeoplePicker } from '../PeoplePicker/PeoplePicker';
import { PersonName } from '../PersonName/PersonName';

/**
 * Four-eyes → Four-eyes users (admins): who is flagged, with their observer; flag a
 * user with an observer (a user or a group), or clear a flag.
 */
export function FourEyesUsers() {
  const api = useApi(voiceRecordingApiRef);
  const list = useAsyncRetry(() => api.listFourEyesUsers(), [api]);
  const [userRef, setUserRef] = useState<string>();
  const [observerRef, setObserverRef] = useState<string>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const [notice, setNotice] = useState<string>();

  const run = async (action: () => Promise<unknown>, done: string) => {
    setBusy(true);
    setError(undefined);
    setNotice(undefined);
    try {
      await action();
      setNotice(done);
      list.retry();
      return true;
    } catch (e) {
      setError(e);
      return false;
    } finally {
      setBusy(false);
    }
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!userRef || !observerRef) {
      setError(new Error('Choose the user and their observer.'));
      return;
    }
    if (
      await run(
        () => api.setFourEyesUser(userRef, observerRef),
        'Four-eyes flag set.',
      )
    ) {
      setUserRef(undefined);
      setObserverRef(undefined);
    }
  };

  const items = list.value?.items ?? [];
  return (
    <Card data-testid="four-eyes-users">
      <CardHeader>
        <Text as="h2" variant="title-small">
          Four-eyes users
        </Text>
      </CardHeader>
      <CardBody>
        <Flex direction="column" gap="3">
          <Text as="p" variant="body-small" color="secondary">
            A four-eyes user opens recordings only after their observer (a user,
            or any member of a group) confirms their session.
          </Text>
          {notice && (
            <Alert status="success" icon role="status" title={notice} />
          )}
          <ErrorAlert error={error ?? list.error} />
          {list.loading && !list.value && <Skeleton height={60} />}
          {list.value && items.length === 0 && (
            <Text as="p" color="secondary">
              No user is flagged four-eyes.
            </Text>
          )}
          {items.length > 0 && (
            <table
              aria-label="Four-eyes users"
              style={{ borderCollapse: 'collapse' }}
            >
              <thead>
                <tr>
                  <th
                    style={{
                      textAlign: 'left',
                      padding:
                        'var(--bui-space-1) var(--bui-space-3) var(--bui-space-1) 0',
                    }}
                  >
                    User
                  </th>
                  <th
                    style={{
                      textAlign: 'left',
                      padding:
                        'var(--bui-space-1) var(--bui-space-3) var(--bui-space-1) 0',
                    }}
                  >
                    Observer
                  </th>
                  <th aria-label="Actions" />
                </tr>
              </thead>
              <tbody>
                {items.map(f => (
                  <tr
                    key={f.userRef}
                    data-testid={`four-eyes-user-${f.userRef}`}
                  >
                    <td
                      style={{
                        padding:
                          'var(--bui-space-1) var(--bui-space-3) var(--bui-space-1) 0',
                      }}
                    >
                      <PersonName entityRef={f.userRef} />
                    </td>
                    <td
                      style={{
                        padding:
                          'var(--bui-space-1) var(--bui-space-3) var(--bui-space-1) 0',
                      }}
                    >
                      <PersonName entityRef={f.observerRef} />
                    </td>
                    <td>
                      <Button
                        variant="secondary"
                        size="small"
                        isDisabled={busy}
                        aria-label={`Clear the four-eyes flag of ${f.userRef}`}
                        onPress={() =>
                          run(
                            () => api.clearFourEyesUser(f.userRef),
                            'Four-eyes flag cleared.',
                          )
                        }
                      >
                        Clear
                      </Button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <form onSubmit={submit} aria-label="Flag a user four-eyes">
            <Flex gap="3" align="end" style={{ flexWrap: 'wrap' }}>
              <PeoplePicker
                label="User"
                value={userRef}
                onChange={setUserRef}
                required
              />
              <PeoplePicker
                label="Observer"
                kinds={['User', 'Group']}
                value={observerRef}
                onChange={setObserverRef}
                required
              />
              <Button type="submit" variant="primary" isDisabled={busy}>
                Flag four-eyes
              </Button>
            </Flex>
          </form>
        </Flex>
      </CardBody>
    </Card>
  );
}
