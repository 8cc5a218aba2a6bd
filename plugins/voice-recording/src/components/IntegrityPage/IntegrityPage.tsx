import { useState } from 'react';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import {
  Button,
  Cell,
  Column,
  Flex,
  Link,
  Row,
  Skeleton,
  TableBody,
  TableHeader,
  TableRoot,
  Text,
} from '@backstage/ui';
import { useApi, useRouteRef } from '@backstage/frontend-plugin-api';
import { voiceRecordingApiRef } from '../../api/VoiceRecordingApi';
import type { IntegrityCheck, IntegritySweep } from '../../api/integrity';
import { conversationDetailRouteRef } from '../../routes';
import { ErrorAlert } from '../ErrorAlert/ErrorAlert';
import { READABLE_DANGER_TEXT } from '../FieldErrorText/FieldErrorText';
import { PersonName } from '../PersonName/PersonName';
import { SuccessAlert } from '../SuccessAlert/SuccessAlert';
import { saveFile } from '../BulkSchedulingPage/files';
import { formatDateTime } from '../ConversationsPage/format';

/** What each verification outcome means, in words. */
export const OUTCOME_LABELS: Record<IntegrityCheck['outcome'], string> = {
  ok: 'Intact, signature valid',
  signed: 'Intact, signed late',
  unsigned: 'Intact, not signed yet',
  mismatch: 'Altered: hash mismatch',
  missing: 'File missing',
  'bad-signature': 'Signature does not verify',
};

function Figure(props: { label: string; value: string | number; id: string }) {
  return (
    <Flex direction="column" gap="0" data-testid={`figure-${props.id}`}>
      <Text as="span" variant="body-small" color="secondary">
        {props.label}
      </Text>
      <Text as="span" variant="title-small">
        {props.value}
      </Text>
    </Flex>
  );
}

function sweepSummary(s: IntegritySweep): string {
  const state =
    s.state === 'running'
      ? 'running'
      : `${s.state === 'failed' ? 'failed' : 'done'} ${formatDateTime(
          s.finishedAt,
        )}`;
  return `Started ${formatDateTime(s.startedAt)}, ${state}: ${
    s.checked
  } re-hashed, ${s.ok} intact, ${s.mismatches} altered, ${s.missing} missing, ${
    s.signed
  } signed late${s.error ? ` (error: ${s.error})` : ''}`;
}

/**
 * Integrity (Compliance, admins with `compliance.manage`): the installation's signing
 * key (key id, the public key to download and give to recipients of exports), the
 * integrity sweep (share of the archive per run, last run's figures, run now) and
 * the recordings whose last verification failed.
 */
export function IntegrityPage() {
  const api = useApi(voiceRecordingApiRef);
  const conversationLink = useRouteRef(conversationDetailRouteRef);
  const status = useAsyncRetry(() => api.getIntegrityStatus(), [api]);
  const [notice, setNotice] = useState<string>();
  const [error, setError] = useState<unknown>();
  const [sweeping, setSweeping] = useState(false);

  const download = async () => {
    setError(undefined);
    try {
      const file = await api.downloadSigningKey();
      saveFile(file.blob, file.fileName);
    } catch (e) {
      setError(e);
    }
  };
  const sweep = async () => {
    setError(undefined);
    setNotice(undefined);
    setSweeping(true);
    try {
      const s = await api.runIntegritySweep();
      setNotice(`Integrity sweep done: ${sweepSummary(s)}`);
      status.retry();
    } catch (e) {
      setError(e);
    } finally {
      setSweeping(false);
    }
  };

  const s = status.value;
  return (
    <Flex direction="column" gap="4">
      <Text as="p" variant="body-small" color="secondary">
        Every recording is signed when it is archived (its SHA-256 and its
        metadata, with the installation's Ed25519 key). The integrity sweep
        re-hashes a share of the archive on each run, oldest-verified first, and
        alarms the admins on any altered or missing file. Give the public key to
        the recipients of exports: with it, <code>mvr verify</code> checks a
        package offline.
      </Text>
      {notice && <SuccessAlert>{notice}</SuccessAlert>}
      <ErrorAlert error={error} title="Not done" />
      <ErrorAlert error={status.error} title="Integrity not shown" />
      {status.loading && !s && <Skeleton width="100%" height={160} />}
      {s && (
        <>
          <Flex
            direction="column"
            gap="2"
            aria-label="Signing key"
            role="group"
          >
            <Text as="h3" variant="title-x-small">
              Signing key
            </Text>
            <Text as="p" data-testid="signing-key-id">
              {s.algorithm} key <code>{s.keyId}</code>
            </Text>
            <pre
              data-testid="signing-public-key"
              aria-label="Public key (PEM)"
              style={{
                margin: 0,
                fontSize: '0.75rem',
                whiteSpace: 'pre-wrap',
                wordBreak: 'break-all',
              }}
            >
              {s.publicKeyPem}
            </pre>
            <div>
              <Button variant="secondary" size="small" onPress={download}>
                Download public key
              </Button>
            </div>
          </Flex>
          <Flex
            direction="column"
            gap="2"
            aria-label="Integrity sweep"
            role="group"
          >
            <Text as="h3" variant="title-x-small">
              Integrity sweep
            </Text>
            <Text as="p" variant="body-small" data-testid="sweep-settings">
              {s.sweep.enabled
                ? `Re-hashes ${
                    Math.round(s.sweep.share * 1000) / 10
                  } % of the archive ${s.sweep.frequency}.`
                : 'The scheduled sweep is off (voiceRecording.integrity.sweep.enabled); run it here.'}
            </Text>
            <Flex gap="6" style={{ flexWrap: 'wrap' }}>
              <Figure
                id="archived"
                label="Archived recordings"
                value={s.archived}
              />
              <Figure id="signed" label="Signed" value={s.signed} />
              <Figure
                id="verified"
                label="Verified at least once"
                value={s.verified}
              />
              <Figure
                id="problems"
                label="Failing verification"
                value={s.problems.length}
              />
            </Flex>
            <Text as="p" variant="body-small" data-testid="last-sweep">
              {s.lastSweep
                ? `Last sweep: ${sweepSummary(s.lastSweep)}.`
                : 'No sweep has run yet.'}
            </Text>
            <div>
              <Button
                variant="secondary"
                size="small"
                isDisabled={sweeping}
                onPress={sweep}
              >
                {sweeping ? 'Sweeping…' : 'Run sweep now'}
              </Button>
            </div>
          </Flex>
          <Text as="h3" variant="title-x-small">
            Recordings failing verification
          </Text>
          <TableRoot
            aria-label="Recordings failing verification"
            data-testid="integrity-problems"
          >
            <TableHeader>
              <Column isRowHeader>Conversation</Column>
              <Column>User</Column>
              <Column>Found</Column>
              <Column>Why</Column>
            </TableHeader>
            <TableBody
              renderEmptyState={() =>
                'None: every verified recording is intact.'
              }
            >
              {s.problems.map(p => (
                <Row key={p.conversationId} id={p.conversationId}>
                  <Cell>
                    <Link
                      href={
                        conversationLink?.({ id: p.conversationId }) ??
                        `/voice-recording/conversations/${p.conversationId}`
                      }
                      data-testid={`problem-${p.conversationId}`}
                    >
                      {p.number ?? p.conversationId}
                      {p.startedAt ? `, ${formatDateTime(p.startedAt)}` : ''}
                    </Link>
                  </Cell>
                  <Cell>
                    <PersonName entityRef={p.userRef} empty="—" />
                  </Cell>
                  <Cell>
                    {formatDateTime(p.checkedAt)}
                    {p.sweepId ? ' (sweep)' : ' (on request)'}
                  </Cell>
                  <Cell>
                    <Flex direction="column" gap="0">
                      <Text
                        as="span"
                        weight="bold"
                        style={{ color: READABLE_DANGER_TEXT }}
                      >
                        {OUTCOME_LABELS[p.outcome] ?? p.outcome}
                      </Text>
                      {p.message && (
                        <Text as="span" variant="body-small">
                          {p.message}
                        </Text>
                      )}
                    </Flex>
                  </Cell>
                </Row>
              ))}
            </TableBody>
          </TableRoot>
        </>
      )}
    </Flex>
  );
}
