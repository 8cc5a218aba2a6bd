import { useState } from 'react';
import useAsync from 'react-use/esm/useAsync';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import {
  Button,
  Cell,
  Column,
  Flex,
  Row,
  Select,
  Skeleton,
  TableBody,
  TableHeader,
  TableRoot,
  Text,
} from '@backstage/ui';
import { identityApiRef, useApi } from '@backstage/frontend-plugin-api';
import { useSearchParams } from 'react-router-dom';
import type {
  LegalHold,
  LegalHoldState,
} from '@mvr/plugin-voice-recording-common';
import { voiceRecordingApiRef } from '../../api/VoiceRecordingApi';
import { ErrorAlert } from '../ErrorAlert/ErrorAlert';
import { PersonName } from '../PersonName/PersonName';
import { SuccessAlert } from '../SuccessAlert/SuccessAlert';
import { formatDateTime } from '../ConversationsPage/format';
import { HOLD_STATE_LABELS, HoldStateBadge } from './LegalHoldBadge';
import { HoldStepDialog, PlaceLegalHoldDialog } from './PlaceLegalHoldDialog';

type Step = {
  hold: LegalHold;
  kind: 'request' | 'approve' | 'reject' | 'cancel';
};

const STEP_TEXT: Record<
  Step['kind'],
  {
    title: (h: LegalHold) => string;
    explanation: string;
    field: string;
    required: boolean;
    confirm: string;
    done: (h: LegalHold) => string;
  }
> = {
  request: {
    title: h => `Request the release of ${h.reference}`,
    explanation:
      'Another admin must approve the release; until then the conversations stay held.',
    field: 'Reason',
    required: true,
    confirm: 'Request release',
    done: h => `Release of ${h.reference} requested: another admin approves it`,
  },
  approve: {
    title: h => `Approve the release of ${h.reference}`,
    explanation:
      'Once released, its conversations are no longer held: they can be deleted at the end of their retention and the label removed.',
    field: 'Comment',
    required: false,
    confirm: 'Approve release',
    done: h => `Legal hold ${h.reference} released`,
  },
  reject: {
    title: h => `Reject the release of ${h.reference}`,
    explanation: 'The hold stands; the requester is told your reason.',
    field: 'Reason',
    required: true,
    confirm: 'Reject release',
    done: h => `Release of ${h.reference} rejected: the hold stands`,
  },
  cancel: {
    title: h => `Withdraw your release request of ${h.reference}`,
    explanation: 'The hold stands as before your request.',
    field: 'Comment',
    required: false,
    confirm: 'Withdraw request',
    done: h => `Release request of ${h.reference} withdrawn`,
  },
};

/**
 * Legal holds (Compliance, admins with `legal-hold.manage`): every hold with its case,
 * reference, state, who placed it and how many conversations it holds now; place a hold,
 * request its release, and (another admin) approve or reject it. The requester's own
 * approve button is disabled with the reason.
 */
export function LegalHoldsPage() {
  const api = useApi(voiceRecordingApiRef);
  const identityApi = useApi(identityApiRef);
  const [state, setState] = useState<LegalHoldState | 'all'>('all');
  const holds = useAsyncRetry(
    async () =>
      (await api.listLegalHolds(state === 'all' ? {} : { state })).items,
    [api, state],
  );
  const me = useAsync(
    async () =>
      (await identityApi.getBackstageIdentity()).userEntityRef.toLowerCase(),
    [identityApi],
  );
  const [placing, setPlacing] = useState(false);
  const cases = useAsync(
    async () => (placing ? (await api.listCases()).items : []),
    [api, placing],
  );
  const [step, setStep] = useState<Step>();
  // the notifications link here with ?hold=<id>: that hold first, marked
  const [params] = useSearchParams();
  const linked = params.get('hold');
  const rows = (holds.value ?? [])
    .slice()
    .sort((a, b) => Number(b.id === linked) - Number(a.id === linked));
  const [notice, setNotice] = useState<string>();

  const act = (s: Step) => async (text: string) => {
    const { hold, kind } = s;
    const calls: Record<Step['kind'], () => Promise<LegalHold>> = {
      request: () => api.requestLegalHoldRelease(hold.id, text),
      approve: () => api.approveLegalHoldRelease(hold.id, text || undefined),
      reject: () => api.rejectLegalHoldRelease(hold.id, text),
      cancel: () => api.cancelLegalHoldRelease(hold.id, text || undefined),
    };
    const done = await calls[kind]();
    setStep(undefined);
    setNotice(STEP_TEXT[kind].done(done));
    holds.retry();
  };

  const actions = (h: LegalHold) => {
    if (h.state === 'active')
      return (
        <Button
          size="small"
          variant="secondary"
          aria-label={`Request release of ${h.reference}`}
          onPress={() => setStep({ hold: h, kind: 'request' })}
        >
          Request release
        </Button>
      );
    if (h.state !== 'release-requested') return null;
    const mine = Boolean(me.value && h.releaseRequestedBy === me.value);
    return (
      <Flex direction="column" gap="1">
        <Flex gap="2" style={{ flexWrap: 'wrap' }}>
          <Button
            size="small"
            variant="primary"
            isDisabled={mine || !me.value}
            aria-label={`Approve release of ${h.reference}`}
            aria-describedby={mine ? `own-request-${h.id}` : undefined}
            onPress={() => setStep({ hold: h, kind: 'approve' })}
          >
            Approve release
          </Button>
          {mine ? (
            <Button
              size="small"
              variant="secondary"
              aria-label={`Withdraw request for ${h.reference}`}
              onPress={() => setStep({ hold: h, kind: 'cancel' })}
            >
              Withdraw request
            </Button>
          ) : (
            <Button
              size="small"
              variant="secondary"
              aria-label={`Reject release of ${h.reference}`}
              isDisabled={!me.value}
              onPress={() => setStep({ hold: h, kind: 'reject' })}
            >
              Reject
            </Button>
          )}
        </Flex>
        {mine && (
          <Text
            as="span"
            variant="body-small"
            id={`own-request-${h.id}`}
            data-testid={`own-request-${h.id}`}
          >
            You requested this release: another admin must approve it.
          </Text>
        )}
      </Flex>
    );
  };

  return (
    <Flex direction="column" gap="4">
      <Text as="p" variant="body-small" color="secondary">
        A legal hold on a case holds every conversation carrying its label, now
        or later: held conversations are not deleted at the end of their
        retention and nobody can remove the label. Releasing a hold needs two
        admins: one requests it with a reason, another approves.
      </Text>
      <Flex gap="3" align="end" style={{ flexWrap: 'wrap' }}>
        <Button
          variant="primary"
          onPress={() => {
            setNotice(undefined);
            setPlacing(true);
          }}
        >
          Place legal hold
        </Button>
        <div style={{ minWidth: '14rem' }}>
          <Select
            label="State"
            value={state}
            onChange={key => key && setState(key as LegalHoldState | 'all')}
            options={[
              { value: 'all', label: 'All' },
              ...(Object.keys(HOLD_STATE_LABELS) as LegalHoldState[]).map(
                s => ({ value: s, label: HOLD_STATE_LABELS[s] }),
              ),
            ]}
          />
        </div>
      </Flex>
      {notice && <SuccessAlert>{notice}</SuccessAlert>}
      {holds.loading && !holds.value && <Skeleton width="100%" height={120} />}
      <ErrorAlert error={holds.error} title="Legal holds not shown" />
      {holds.value && (
        <TableRoot aria-label="Legal holds" data-testid="legal-holds-table">
          <TableHeader>
            <Column isRowHeader>Case</Column>
            <Column>Reference</Column>
            <Column>State</Column>
            <Column>Placed</Column>
            <Column>Held</Column>
            <Column>Release</Column>
            <Column>Actions</Column>
          </TableHeader>
          <TableBody renderEmptyState={() => 'No legal holds.'}>
            {rows.map(h => (
              <Row key={h.id} id={h.id} data-testid={`hold-row-${h.id}`}>
                <Cell>
                  <Flex direction="column" gap="1">
                    <Text as="span">{h.caseTitle}</Text>
                    {h.id === linked && (
                      <Text
                        as="span"
                        variant="body-small"
                        weight="bold"
                        data-testid="hold-linked"
                      >
                        From your notification
                      </Text>
                    )}
                  </Flex>
                </Cell>
                <Cell>
                  <Flex direction="column" gap="1">
                    <Text as="span" weight="bold">
                      {h.reference}
                    </Text>
                    <Text as="span" variant="body-small">
                      {h.reason}
                    </Text>
                  </Flex>
                </Cell>
                <Cell>
                  <HoldStateBadge state={h.state} />
                </Cell>
                <Cell>
                  <Flex direction="column" gap="1">
                    <PersonName entityRef={h.placedBy} />
                    <Text as="span" variant="body-small">
                      {formatDateTime(h.placedAt)}
                    </Text>
                  </Flex>
                </Cell>
                <Cell data-testid={`hold-count-${h.id}`}>
                  {h.state === 'released'
                    ? '—'
                    : `${h.conversationCount ?? 0} conversation${
                        h.conversationCount === 1 ? '' : 's'
                      }`}
                </Cell>
                <Cell>
                  {h.releaseRequestedBy ? (
                    <Flex direction="column" gap="1">
                      <Text as="span" variant="body-small">
                        Requested by{' '}
                        <PersonName entityRef={h.releaseRequestedBy} />:{' '}
                        {h.releaseReason}
                      </Text>
                      {h.releasedBy && (
                        <Text as="span" variant="body-small">
                          Approved by <PersonName entityRef={h.releasedBy} />{' '}
                          {h.releasedAt ? formatDateTime(h.releasedAt) : ''}
                        </Text>
                      )}
                    </Flex>
                  ) : (
                    ''
                  )}
                </Cell>
                <Cell>{actions(h)}</Cell>
              </Row>
            ))}
          </TableBody>
        </TableRoot>
      )}
      {placing && (
        <PlaceLegalHoldDialog
          cases={cases.value ?? []}
          onClose={() => setPlacing(false)}
          onPlaced={h => {
            setPlacing(false);
            setNotice(
              `Legal hold ${h.reference} placed on ${h.caseTitle}: ${
                h.conversationCount ?? 0
              } conversation${h.conversationCount === 1 ? '' : 's'} held`,
            );
            holds.retry();
          }}
        />
      )}
      {step && (
        <HoldStepDialog
          key={`${step.hold.id}-${step.kind}`}
          title={STEP_TEXT[step.kind].title(step.hold)}
          explanation={STEP_TEXT[step.kind].explanation}
          fieldLabel={STEP_TEXT[step.kind].field}
          required={STEP_TEXT[step.kind].required}
          confirmLabel={STEP_TEXT[step.kind].confirm}
          destructive={step.kind === 'approve'}
          onClose={() => setStep(undefined)}
          act={act(step)}
        />
      )}
    </Flex>
  );
}
