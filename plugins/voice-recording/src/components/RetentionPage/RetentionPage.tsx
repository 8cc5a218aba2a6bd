import { useState } from 'react';
import useAsync from 'react-use/esm/useAsync';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import {
  Button,
  Cell,
  Column,
  Flex,
  Row,
  Skeleton,
  TableBody,
  TableHeader,
  TableRoot,
  Text,
} from '@backstage/ui';
import { useApi } from '@backstage/frontend-plugin-api';
import { describeRetentionPeriod } from '@mvr/plugin-voice-recording-common';
import { voiceRecordingApiRef } from '../../api/VoiceRecordingApi';
import type { RetentionPolicyView } from '../../api/retention';
import { ConfirmDialog } from '../ConfirmDialog/ConfirmDialog';
import { ErrorAlert } from '../ErrorAlert/ErrorAlert';
import { PersonName } from '../PersonName/PersonName';
import { SuccessAlert } from '../SuccessAlert/SuccessAlert';
import { RetentionPolicyDialog } from './RetentionPolicyDialog';

const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? '' : 's'}`;

type NumberNames = Map<string, { number: string; userRef: string }>;

/** What a policy applies to, with people and groups by name. */
function AppliesTo(props: {
  policy: RetentionPolicyView;
  numbers: NumberNames;
}) {
  const s = props.policy.scope;
  if (s.kind === 'default') return <>Every conversation</>;
  if (s.kind === 'groups')
    return (
      <Flex direction="column" gap="1">
        {s.groupRefs.map(g => (
          <span key={g}>
            <PersonName entityRef={g} />
          </span>
        ))}
      </Flex>
    );
  return (
    <Flex direction="column" gap="1">
      {s.numberIds.map(id => {
        const n = props.numbers.get(id);
        return (
          <span key={id}>
            {n ? (
              <>
                {n.number} (<PersonName entityRef={n.userRef} />)
              </>
            ) : (
              id
            )}
          </span>
        );
      })}
    </Flex>
  );
}

/**
 * Retention (Compliance, admins with `compliance.manage`): the regulatory minimum, the
 * policies (from the configuration, read-only, and from the portal) with what they
 * apply to and how many archived conversations each governs; create, change, delete.
 */
export function RetentionPage() {
  const api = useApi(voiceRecordingApiRef);
  const overview = useAsyncRetry(() => api.listRetentionPolicies(), [api]);
  const numbers = useAsync(async (): Promise<NumberNames> => {
    const needed = (overview.value?.policies ?? []).some(
      p => p.scope.kind === 'numbers',
    );
    if (!needed) return new Map();
    return new Map(
      (await api.listNumbers({})).items.map(n => [
        n.id,
        { number: n.number, userRef: n.userRef },
      ]),
    );
  }, [api, overview.value]);
  const [editing, setEditing] = useState<RetentionPolicyView | 'new'>();
  const [deleting, setDeleting] = useState<RetentionPolicyView>();
  const [notice, setNotice] = useState<string>();
  const [deleteError, setDeleteError] = useState<unknown>();

  if (overview.loading && !overview.value)
    return <Skeleton width="100%" height={120} />;
  if (overview.error || !overview.value)
    return (
      <ErrorAlert
        error={overview.error}
        title="Retention policies not loaded"
      />
    );
  const o = overview.value;

  return (
    <Flex direction="column" gap="4" style={{ minWidth: 0 }}>
      <Flex
        justify="between"
        align="center"
        gap="3"
        style={{ flexWrap: 'wrap' }}
      >
        <Text as="p" data-testid="retention-minimum">
          Regulatory minimum: {describeRetentionPeriod(o.minimumPeriod)} (
          {o.minimumPeriod}), {plural(o.minimumCount, 'conversation')} kept for
          it. The longest applicable policy wins.
        </Text>
        <Button variant="primary" onPress={() => setEditing('new')}>
          New policy
        </Button>
      </Flex>
      {notice && <SuccessAlert>{notice}</SuccessAlert>}
      <ErrorAlert error={deleteError} title="Policy not deleted" />
      <TableRoot aria-label="Retention policies">
        <TableHeader>
          <Column isRowHeader>Name</Column>
          <Column>Period</Column>
          <Column>Applies to</Column>
          <Column>Conversations</Column>
          <Column>Source</Column>
          <Column>Actions</Column>
        </TableHeader>
        <TableBody
          renderEmptyState={() => (
            <Text>
              No policy yet: every conversation is kept for the regulatory
              minimum.
            </Text>
          )}
        >
          {o.policies.map(p => (
            <Row key={p.id} id={p.id} data-testid={`policy-row-${p.id}`}>
              <Cell>{p.name}</Cell>
              <Cell>
                {describeRetentionPeriod(p.period)} ({p.period})
                {p.belowMinimum ? ' — below the minimum: never wins' : ''}
              </Cell>
              <Cell>
                <AppliesTo policy={p} numbers={numbers.value ?? new Map()} />
              </Cell>
              <Cell>{p.conversationCount}</Cell>
              <Cell>
                {p.source === 'config' ? 'Configuration (read-only)' : 'Portal'}
              </Cell>
              <Cell>
                {p.source === 'config' ? (
                  <Text variant="body-small" color="secondary">
                    Change it in app-config
                  </Text>
                ) : (
                  <Flex gap="2">
                    <Button
                      size="small"
                      variant="secondary"
                      aria-label={`Edit ${p.name}`}
                      onPress={() => setEditing(p)}
                    >
                      Edit
                    </Button>
                    <Button
                      size="small"
                      variant="secondary"
                      destructive
                      aria-label={`Delete ${p.name}`}
                      onPress={() => {
                        setDeleteError(undefined);
                        setDeleting(p);
                      }}
                    >
                      Delete
                    </Button>
                  </Flex>
                )}
              </Cell>
            </Row>
          ))}
        </TableBody>
      </TableRoot>
      {editing && (
        <RetentionPolicyDialog
          policy={editing === 'new' ? undefined : editing}
          minimumPeriod={o.minimumPeriod}
          onClose={() => setEditing(undefined)}
          onSaved={name => {
            setEditing(undefined);
            setNotice(`Policy ${name} saved; retention ends re-computed`);
            overview.retry();
          }}
        />
      )}
      <ConfirmDialog
        open={Boolean(deleting)}
        title={`Delete the retention policy ${deleting?.name ?? ''}?`}
        text={`Its ${plural(
          deleting?.conversationCount ?? 0,
          'conversation',
        )} get the retention of the next applicable policy, never less than the regulatory minimum.`}
        confirmLabel="Delete policy"
        onClose={() => setDeleting(undefined)}
        onConfirm={async () => {
          const p = deleting;
          if (!p) return;
          setDeleting(undefined);
          try {
            await api.deleteRetentionPolicy(p.id);
            setNotice(
              `Policy ${p.name} deleted; its conversations follow the other policies or the minimum`,
            );
          } catch (e) {
            setDeleteError(e);
          }
          overview.retry();
        }}
      />
    </Flex>
  );
}
