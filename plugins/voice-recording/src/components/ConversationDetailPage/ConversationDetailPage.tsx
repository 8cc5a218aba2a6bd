import { ReactNode, useState } from 'react';
import { useParams } from 'react-router-dom';
import useAsync from 'react-use/esm/useAsync';
import useAsyncFn from 'react-use/esm/useAsyncFn';
import {
  Alert,
  Button,
  Card,
  CardBody,
  Flex,
  Grid,
  Link,
  Skeleton,
  Text,
} from '@backstage/ui';
import { useApi, useRouteRef } from '@backstage/frontend-plugin-api';
import type {
  ConversationParticipant,
  ConversationQuality,
} from '@mvr/plugin-voice-recording-common';
import {
  ConversationDetail,
  voiceRecordingApiRef,
} from '../../api/VoiceRecordingApi';
import { errorStatus } from '../../api/errors';
import { rootRouteRef, TAB_PATHS } from '../../routes';
import { useVoiceRecordingPermissions } from '../../hooks/useVoiceRecordingPermissions';
import { ErrorAlert } from '../ErrorAlert/ErrorAlert';
import { saveFile } from '../BulkSchedulingPage/files';
import {
  formatDateTime,
  viewerZoneLabel,
  formatDuration,
  partyLabel,
  splitParticipants,
} from '../ConversationsPage/format';
import { QualityWarnings } from '../ConversationsPage/QualityWarnings';
import {
  QualityCheckDetails,
  QualityVerdictBadge,
} from '../QualityCheck/QualityCheck';
import {
  AudioIssuesBanner,
  otherQualityWarnings,
} from '../ConversationsPage/AudioIssues';
import { Player } from '../Player/Player';
import { RecordingSignatureStatus } from '../IntegrityPage/RecordingSignatureStatus';
import { AccessHistory } from './AccessHistory';
import { ParticipantHistory } from './ParticipantHistory';
import { ConversationLabels } from './ConversationLabels';
import { LegalHoldBadge } from '../LegalHoldsPage/LegalHoldBadge';
import { PersonName } from '../PersonName/PersonName';
import { DataTable, RowTh, Td, Th } from '../ConversationsPage/DataTable';

const DIRECTION_ARROW: Record<string, string> = {
  incoming: '←',
  outgoing: '→',
  unknown: '↔',
};

/** One line of the call's metadata: a term and its value (in a `<dl>`). */
function Field(props: { label: string; children: ReactNode }) {
  return (
    <>
      <dt>
        <Text variant="body-medium" color="secondary">
          {props.label}
        </Text>
      </dt>
      <dd style={{ margin: 0, minWidth: 0 }}>
        <Text as="div" variant="body-medium">
          {props.children ?? '—'}
        </Text>
      </dd>
    </>
  );
}

/** A card's section heading. */
function SectionTitle(props: { children: ReactNode }) {
  return (
    <Text as="h2" variant="title-x-small">
      {props.children}
    </Text>
  );
}

/** Figures of `quality` worth showing, in a stable order, then any others. */
export function qualityFigures(
  quality: ConversationQuality | undefined,
): Array<[string, string]> {
  if (!quality) return [];
  const known: Array<[keyof ConversationQuality, string]> = [
    ['packetsReceived', 'Packets received'],
    ['packetsLost', 'Packets lost'],
    ['gaps', 'Gaps'],
    ['gapMs', 'Gap duration (ms)'],
    ['jitterMs', 'Jitter (ms)'],
    ['oneSided', 'One-sided media'],
  ];
  const rows: Array<[string, string]> = [];
  const show = (v: unknown) => {
    if (typeof v === 'boolean') return v ? 'yes' : 'no';
    return String(v);
  };
  for (const [key, label] of known) {
    if (quality[key] !== undefined) rows.push([label, show(quality[key])]);
  }
  if (
    typeof quality.packetsReceived === 'number' &&
    typeof quality.packetsLost === 'number' &&
    quality.packetsReceived + quality.packetsLost > 0
  ) {
    const pct =
      (100 * quality.packetsLost) /
      (quality.packetsReceived + quality.packetsLost);
    rows.push(['Packet loss', `${pct.toFixed(2)} %`]);
  }
  for (const [key, value] of Object.entries(quality)) {
    if (known.some(([k]) => k === key)) continue;
    if (value === null || typeof value === 'object') continue;
    rows.push([key, show(value)]);
  }
  return rows;
}

function channelLabels(c: ConversationDetail): [string, string] {
  const { recorded, other } = splitParticipants(c.participants);
  return [
    `Recorded user: ${partyLabel(c.number, recorded)}`,
    `Other party: ${partyLabel(c.otherParty, other)}`,
  ];
}

function ParticipantsTable(props: { participants: ConversationParticipant[] }) {
  // a semantic table (automatic column widths): BUI's Table has fixed, equal
  // columns that cut the phone numbers in a half-width card
  return (
    <DataTable aria-label="Participants" data-testid="participants">
      <thead>
        <tr>
          <Th>Role</Th>
          <Th>Number</Th>
          <Th>Name</Th>
          <Th>Address</Th>
        </tr>
      </thead>
      <tbody>
        {props.participants.map((p, i) => (
          <tr key={`${p.aor}-${i}`}>
            <Td>{p.recorded ? 'Recorded user' : 'Other party'}</Td>
            <Td style={{ whiteSpace: 'nowrap' }}>{p.number ?? '—'}</Td>
            <Td>{p.name ?? '—'}</Td>
            <Td style={{ overflowWrap: 'anywhere' }}>{p.aor}</Td>
          </tr>
        ))}
      </tbody>
    </DataTable>
  );
}

/**
 * One recorded conversation: metadata, participants, DTMF, quality, the player, its
 * labels (add to / remove from a case where allowed) and, for admins, the MP3
 * download and the access history.
 */
export function ConversationDetailPage() {
  const { id = '' } = useParams();
  const api = useApi(voiceRecordingApiRef);
  const root = useRouteRef(rootRouteRef);
  const perms = useVoiceRecordingPermissions();
  const [historyReload, setHistoryReload] = useState(0);

  const {
    value: conversation,
    loading,
    error,
  } = useAsync(() => api.getConversation(id), [api, id]);
  const [download, runDownload] = useAsyncFn(async () => {
    const file = await api.downloadConversation(id);
    saveFile(file.blob, file.fileName);
    setHistoryReload(r => r + 1);
  }, [api, id]);

  const listPath = `${(root?.() ?? '/voice-recording').replace(/\/$/, '')}/${
    TAB_PATHS.conversations
  }`;
  const back = <Link href={listPath}>← Conversations</Link>;

  if (loading)
    return (
      <Skeleton
        width="100%"
        height={4}
        role="progressbar"
        aria-label="Loading the conversation"
      />
    );
  if (error) {
    if (errorStatus(error) === 404) {
      return (
        <Flex direction="column" gap="4">
          {back}
          <Alert
            status="warning"
            icon
            data-testid="conversation-not-visible"
            title={`${id} is not a conversation you can see.`}
          />
        </Flex>
      );
    }
    return (
      <Flex direction="column" gap="4">
        {back}
        <ErrorAlert error={error} />
      </Flex>
    );
  }
  if (!conversation) return null;

  const labels = channelLabels(conversation);
  const figures = qualityFigures(conversation.quality);

  return (
    <Flex direction="column" gap="4" style={{ minWidth: 0 }}>
      {back}
      <Flex align="center" gap="4" style={{ flexWrap: 'wrap' }}>
        <Text as="h1" variant="title-medium" data-testid="conversation-title">
          {conversation.number}{' '}
          {DIRECTION_ARROW[conversation.direction ?? 'unknown']}{' '}
          {conversation.otherParty ?? 'unknown'}
        </Text>
        <QualityVerdictBadge check={conversation.qualityCheck} />
        {!conversation.qualityCheck && (
          <QualityWarnings warnings={otherQualityWarnings(conversation)} />
        )}
        <LegalHoldBadge conversation={conversation} />
        <div style={{ flex: 1 }} />
        {perms.canDownloadConversations && (
          <Button
            variant="secondary"
            iconStart={<span aria-hidden="true">⬇</span>}
            isDisabled={download.loading || !conversation.audio?.available}
            onPress={() => runDownload()}
          >
            Download MP3
          </Button>
        )}
      </Flex>
      <ErrorAlert error={download.error} title="Download failed" />
      <AudioIssuesBanner conversation={conversation} />

      <Card>
        <CardBody>
          <Player
            conversation={conversation}
            labels={labels}
            onPlaybackRecorded={() => setHistoryReload(r => r + 1)}
          />
          {conversation.audio?.available && (
            <RecordingSignatureStatus conversationId={conversation.id} />
          )}
        </CardBody>
      </Card>

      <Card>
        <CardBody>
          <ConversationLabels
            key={conversation.id}
            conversationId={conversation.id}
            labels={conversation.labels ?? []}
            onChanged={() => setHistoryReload(r => r + 1)}
            heldCaseIds={conversation.legalHolds?.map(h => h.caseId)}
          />
        </CardBody>
      </Card>

      <Grid.Root columns={{ initial: '1', xl: '2' }} gap="4">
        <Card style={{ minWidth: 0 }}>
          <CardBody>
            <Flex direction="column" gap="2">
              <SectionTitle>Call</SectionTitle>
              <Text
                as="p"
                variant="body-small"
                color="secondary"
                data-testid="conversation-zone"
                style={{ margin: 0 }}
              >
                {viewerZoneLabel()}
              </Text>
              <dl
                data-testid="conversation-metadata"
                style={{
                  display: 'grid',
                  gridTemplateColumns: 'minmax(8rem, 1fr) 2fr',
                  gap: 'var(--bui-space-1) var(--bui-space-3)',
                  margin: 0,
                }}
              >
                <Field label="Recorded number">{conversation.number}</Field>
                <Field label="Other party">{conversation.otherParty}</Field>
                <Field label="User">
                  <PersonName entityRef={conversation.userRef} />
                </Field>
                <Field label="Direction">{conversation.direction}</Field>
                <Field label="Start">
                  {formatDateTime(conversation.startedAt)}
                </Field>
                <Field label="End">
                  {formatDateTime(conversation.endedAt)}
                </Field>
                <Field label="Duration">
                  {formatDuration(conversation.durationMs)}
                </Field>
                <Field label="State">
                  {conversation.state}
                  {conversation.endedBy ? ` (${conversation.endedBy})` : ''}
                  {conversation.failureReason
                    ? `: ${conversation.failureReason}`
                    : ''}
                </Field>
                {conversation.recordingStopped ? (
                  <Field label="Recording stopped">
                    {formatDateTime(conversation.recordingStopped.at)}:{' '}
                    {conversation.recordingStopped.message}
                  </Field>
                ) : null}
                {conversation.retentionUntil ? (
                  <Field label="Kept until">
                    <span data-testid="retention-until">
                      {formatDateTime(conversation.retentionUntil)}
                      {conversation.legalHold
                        ? ' (then kept while a legal hold stands)'
                        : ''}
                    </span>
                  </Field>
                ) : null}
                <Field label="Codec">{conversation.codec}</Field>
                <Field label="Audio format">{conversation.format}</Field>
                <Field label="SHA-256">
                  <code
                    style={{
                      wordBreak: 'break-all',
                      fontFamily: 'var(--bui-font-monospace)',
                    }}
                  >
                    {conversation.sha256 ?? '—'}
                  </code>
                </Field>
                <Field label="SIP Call-ID">
                  <span style={{ overflowWrap: 'anywhere' }}>
                    {conversation.sipCallId}
                  </span>
                </Field>
                <Field label="Capture">
                  {conversation.captureSource}
                  {conversation.captureInstance
                    ? ` on ${conversation.captureInstance}`
                    : ''}
                </Field>
              </dl>
            </Flex>
          </CardBody>
        </Card>
        <Card style={{ minWidth: 0 }}>
          <CardBody>
            <Flex direction="column" gap="3">
              <SectionTitle>Participants</SectionTitle>
              <div style={{ overflowX: 'auto' }}>
                <ParticipantsTable participants={conversation.participants} />
              </div>
              {conversation.participantHistory?.length ? (
                <>
                  <SectionTitle>Who was on the call</SectionTitle>
                  <div style={{ overflowX: 'auto' }}>
                    <ParticipantHistory
                      history={conversation.participantHistory}
                      endedAt={conversation.endedAt}
                    />
                  </div>
                </>
              ) : null}
              <SectionTitle>DTMF</SectionTitle>
              {conversation.dtmf.length === 0 ? (
                <Text as="p" variant="body-medium" style={{ margin: 0 }}>
                  No DTMF digits.
                </Text>
              ) : (
                <ul
                  data-testid="dtmf-list"
                  aria-label="DTMF digits"
                  style={{ margin: 0, fontSize: 'var(--bui-font-size-3)' }}
                >
                  {conversation.dtmf.map((d, i) => {
                    const offset =
                      Date.parse(d.at) - Date.parse(conversation.startedAt);
                    return (
                      <li key={`${d.at}-${i}`}>
                        <strong>{d.digit}</strong> at {formatDuration(offset)}
                        {d.party ? ` from ${d.party}` : ''}
                        {d.durationMs ? ` (${d.durationMs} ms)` : ''}
                      </li>
                    );
                  })}
                </ul>
              )}
              <SectionTitle>Quality</SectionTitle>
              <QualityCheckDetails check={conversation.qualityCheck} />
              {figures.length === 0 ? (
                <Text as="p" variant="body-medium" style={{ margin: 0 }}>
                  No measurements.
                </Text>
              ) : (
                <DataTable
                  aria-label="Quality figures"
                  data-testid="quality-figures"
                >
                  <tbody>
                    {figures.map(([label, value]) => (
                      <tr key={label}>
                        <RowTh>{label}</RowTh>
                        <Td>{value}</Td>
                      </tr>
                    ))}
                  </tbody>
                </DataTable>
              )}
            </Flex>
          </CardBody>
        </Card>
      </Grid.Root>

      {perms.canReadAudit && (
        <Card>
          <CardBody>
            <AccessHistory conversationId={id} reload={historyReload} />
          </CardBody>
        </Card>
      )}
    </Flex>
  );
}
