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
import { rootRouteRef, TAB_PATHS, WORKFLOW_PATHS } from '../../routes';
import type { Case } from '@mvr/plugin-voice-recording-common';
import { voiceRecordingApiRef } from '../../api/VoiceRecordingApi';
import { ErrorAlert } from '../ErrorAlert/ErrorAlert';
import { LabelChip } from '../LabelChip/LabelChip';
import { PersonName } from '../PersonName/PersonName';
import {
  ACCESS_MODE_LABELS,
  LABEL_MODE_LABELS,
} from '../WorkflowsPage/requestText';
import { CaseDialog } from './CaseDialog';
import { SuccessAlert } from '../SuccessAlert/SuccessAlert';
import { useVoiceRecordingPermissions } from '../../hooks/useVoiceRecordingPermissions';
import { PlaceLegalHoldDialog } from '../LegalHoldsPage/PlaceLegalHoldDialog';
import { LegalHoldBadge } from '../LegalHoldsPage/LegalHoldBadge';

function accessSummary(c: Case): string {
  return [
    `List: ${ACCESS_MODE_LABELS[c.access.list.mode]}`,
    `Play back: ${ACCESS_MODE_LABELS[c.access.playback.mode]}`,
    `Label: ${LABEL_MODE_LABELS[c.access.label.mode]}`,
  ].join(' · ');
}

/**
 * Cases (admins): title, status, owner, label as a coloured chip and the access
 * settings; create a case (with an existing or a new label) and edit one.
 */
export function CasesPage() {
  const api = useApi(voiceRecordingApiRef);
  const root = useRouteRef(rootRouteRef);
  const requestsOf = (c: Case) =>
    `${(root?.() ?? '/voice-recording').replace(/\/$/, '')}/${
      TAB_PATHS.workflows
    }/${WORKFLOW_PATHS.allRequests}?case=${encodeURIComponent(c.id)}`;
  const data = useAsyncRetry(async () => {
    const [cases, labels] = await Promise.all([
      api.listCases(),
      api.listLabels(),
    ]);
    return { cases: cases.items, labels: labels.items };
  }, [api]);
  const [editing, setEditing] = useState<Case | 'new'>();
  // legal holds (admins with legal-hold.manage): the standing hold of each case
  const perms = useVoiceRecordingPermissions();
  const holds = useAsyncRetry(async () => {
    if (!perms.canManageLegalHolds) return new Map<string, string[]>();
    const all = (await api.listLegalHolds()).items.filter(
      h => h.state !== 'released',
    );
    const byCase = new Map<string, string[]>();
    for (const h of all)
      byCase.set(h.caseId, [...(byCase.get(h.caseId) ?? []), h.reference]);
    return byCase;
  }, [api, perms.canManageLegalHolds]);
  const [holding, setHolding] = useState<Case>();
  const [notice, setNotice] = useState<string>();

  const open = (value: Case | 'new') => {
    setNotice(undefined);
    setEditing(value);
  };

  return (
    <Flex direction="column" gap="4">
      <Text as="p" variant="body-small" color="secondary">
        A conversation belongs to a case when it carries the case&apos;s label.
        The access settings say who may list and play back its conversations and
        who may add or remove its label; access requests add people for a
        limited time.
      </Text>
      <Flex direction="column" gap="2">
        <div>
          <Button variant="primary" onPress={() => open('new')}>
            New case
          </Button>
        </div>
        {notice && <SuccessAlert>{notice}</SuccessAlert>}
      </Flex>
      {data.loading && !data.value && <Skeleton width="100%" height={120} />}
      <ErrorAlert error={data.error} />
      {data.value && (
        <TableRoot aria-label="Cases" data-testid="cases-table">
          <TableHeader>
            <Column isRowHeader>Title</Column>
            <Column>Label</Column>
            <Column>Status</Column>
            <Column>Owner</Column>
            <Column>Access</Column>
            <Column>Actions</Column>
          </TableHeader>
          <TableBody renderEmptyState={() => 'No cases yet.'}>
            {data.value.cases.map(c => (
              <Row key={c.id} id={c.id} data-testid={`case-row-${c.id}`}>
                <Cell>{c.title}</Cell>
                <Cell>
                  <LabelChip label={c.label} />
                </Cell>
                <Cell>
                  <Flex gap="2" align="center" style={{ flexWrap: 'wrap' }}>
                    {c.status === 'open' ? 'Open' : 'Closed'}
                    {holds.value?.get(c.id) && (
                      <LegalHoldBadge
                        conversation={{
                          legalHold: true,
                          legalHolds: holds.value.get(c.id)!.map(reference => ({
                            id: reference,
                            caseId: c.id,
                            caseTitle: c.title,
                            reference,
                            state: 'active' as const,
                          })),
                        }}
                      />
                    )}
                  </Flex>
                </Cell>
                <Cell>
                  <PersonName entityRef={c.ownerRef} />
                </Cell>
                <Cell>{accessSummary(c)}</Cell>
                <Cell>
                  <Flex gap="3" align="center" style={{ flexWrap: 'wrap' }}>
                    <Button
                      size="small"
                      variant="secondary"
                      aria-label={`Edit ${c.title}`}
                      onPress={() => open(c)}
                    >
                      Edit
                    </Button>
                    <Link
                      href={requestsOf(c)}
                      aria-label={`Access requests of ${c.title}`}
                    >
                      Requests
                    </Link>
                    {perms.canManageLegalHolds &&
                      holds.value &&
                      !holds.value.get(c.id) && (
                        <Button
                          size="small"
                          variant="secondary"
                          aria-label={`Place legal hold on ${c.title}`}
                          onPress={() => {
                            setNotice(undefined);
                            setHolding(c);
                          }}
                        >
                          Place legal hold
                        </Button>
                      )}
                  </Flex>
                </Cell>
              </Row>
            ))}
          </TableBody>
        </TableRoot>
      )}
      {holding && (
        <PlaceLegalHoldDialog
          fixedCase={holding}
          onClose={() => setHolding(undefined)}
          onPlaced={h => {
            setHolding(undefined);
            setNotice(
              `Legal hold ${h.reference} placed on ${h.caseTitle}: ${
                h.conversationCount ?? 0
              } conversation${h.conversationCount === 1 ? '' : 's'} held`,
            );
            holds.retry();
          }}
        />
      )}
      {editing && data.value && (
        <CaseDialog
          key={editing === 'new' ? 'new' : editing.id}
          value={editing === 'new' ? undefined : editing}
          labels={data.value.labels}
          onClose={() => setEditing(undefined)}
          onSaved={(saved, created) => {
            setEditing(undefined);
            setNotice(`Case ${saved.title} ${created ? 'created' : 'saved'}`);
            data.retry();
          }}
        />
      )}
    </Flex>
  );
}
