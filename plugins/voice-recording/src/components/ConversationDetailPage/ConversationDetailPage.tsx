import { ReactNode, useState } from 'react';
import { Link as RouterLink, useParams } from 'react-router-dom';
import useAsync from 'react-use/esm/useAsync';
import useAsyncFn from 'react-use/esm/useAsyncFn';
import {
  Box,
  Button,
  Card,
  CardContent,
  Grid,
  LinearProgress,
  Link,
  Table,
  TableBody,
  TableCell,
  TableHead,
  TableRow,
  Typography,
} from '@material-ui/core';
import { Alert } from '@material-ui/lab';
import GetAppIcon from '@material-ui/icons/GetApp';
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
  AudioIssuesBanner,
  otherQualityWarnings,
} from '../ConversationsPage/AudioIssues';
import { Player } from '../Player/Player';
import { AccessHistory } from './AccessHistory';
import { ParticipantHistory } from './ParticipantHistory';
import { PersonName } from '../PersonName/PersonName';

const DIRECTION_ARROW: Record<string, string> = {
  incoming: '←',
  outgoing: '→',
  unknown: '↔',
};

function Field(props: { label: string; children: ReactNode }) {
  return (
    <>
      <Grid item xs={5} md={4}>
        <Typography variant="body2" color="textSecondary">
          {props.label}
        </Typography>
      </Grid>
      <Grid item xs={7} md={8}>
        <Typography variant="body2" component="div">
          {props.children ?? '—'}
        </Typography>
      </Grid>
    </>
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
  return (
    <Table size="small" aria-label="Participants" data-testid="participants">
      <TableHead>
        <TableRow>
          <TableCell>Role</TableCell>
          <TableCell>Number</TableCell>
          <TableCell>Name</TableCell>
          <TableCell>Address</TableCell>
        </TableRow>
      </TableHead>
      <TableBody>
        {props.participants.map((p, i) => (
          <TableRow key={`${p.aor}-${i}`}>
            <TableCell>
              {p.recorded ? 'Recorded user' : 'Other party'}
            </TableCell>
            <TableCell>{p.number ?? '—'}</TableCell>
            <TableCell>{p.name ?? '—'}</TableCell>
            <TableCell>{p.aor}</TableCell>
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );
}

/**
 * One recorded conversation: metadata, participants, DTMF, quality, the player and,
 * for admins, the MP3 download and the access history.
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
  const back = (
    <Link component={RouterLink} to={listPath}>
      ← Conversations
    </Link>
  );

  if (loading) return <LinearProgress />;
  if (error) {
    if (errorStatus(error) === 404) {
      return (
        <Box display="flex" flexDirection="column" gridGap={16}>
          {back}
          <Alert severity="warning" data-testid="conversation-not-visible">
            {id} is not a conversation you can see.
          </Alert>
        </Box>
      );
    }
    return (
      <Box display="flex" flexDirection="column" gridGap={16}>
        {back}
        <ErrorAlert error={error} />
      </Box>
    );
  }
  if (!conversation) return null;

  const labels = channelLabels(conversation);
  const figures = qualityFigures(conversation.quality);

  return (
    <Box display="flex" flexDirection="column" gridGap={16}>
      {back}
      <Box display="flex" alignItems="center" gridGap={16} flexWrap="wrap">
        <Typography
          variant="h5"
          component="h1"
          data-testid="conversation-title"
        >
          {conversation.number}{' '}
          {DIRECTION_ARROW[conversation.direction ?? 'unknown']}{' '}
          {conversation.otherParty ?? 'unknown'}
        </Typography>
        <QualityWarnings warnings={otherQualityWarnings(conversation)} />
        <Box flex={1} />
        {perms.canDownloadConversations && (
          <Button
            variant="outlined"
            color="primary"
            startIcon={<GetAppIcon />}
            disabled={download.loading || !conversation.audio?.available}
            onClick={() => runDownload()}
          >
            Download MP3
          </Button>
        )}
      </Box>
      <ErrorAlert error={download.error} title="Download failed" />
      <AudioIssuesBanner conversation={conversation} />

      <Card>
        <CardContent>
          <Player
            conversation={conversation}
            labels={labels}
            onPlaybackRecorded={() => setHistoryReload(r => r + 1)}
          />
        </CardContent>
      </Card>

      <Grid container spacing={2}>
        <Grid item xs={12} md={6}>
          <Card>
            <CardContent>
              <Typography variant="h6" component="h2">
                Call
              </Typography>
              <Typography
                variant="caption"
                color="textSecondary"
                data-testid="conversation-zone"
              >
                {viewerZoneLabel()}
              </Typography>
              <Grid container spacing={1} data-testid="conversation-metadata">
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
                <Field label="Codec">{conversation.codec}</Field>
                <Field label="Audio format">{conversation.format}</Field>
                <Field label="SHA-256">
                  <code style={{ wordBreak: 'break-all' }}>
                    {conversation.sha256 ?? '—'}
                  </code>
                </Field>
                <Field label="SIP Call-ID">{conversation.sipCallId}</Field>
                <Field label="Capture">
                  {conversation.captureSource}
                  {conversation.captureInstance
                    ? ` on ${conversation.captureInstance}`
                    : ''}
                </Field>
              </Grid>
            </CardContent>
          </Card>
        </Grid>
        <Grid item xs={12} md={6}>
          <Card>
            <CardContent>
              <Typography variant="h6" component="h2">
                Participants
              </Typography>
              <ParticipantsTable participants={conversation.participants} />
              {conversation.participantHistory?.length ? (
                <Box mt={2}>
                  <Typography variant="h6" component="h2">
                    Who was on the call
                  </Typography>
                  <ParticipantHistory
                    history={conversation.participantHistory}
                    endedAt={conversation.endedAt}
                  />
                </Box>
              ) : null}
              <Box mt={2}>
                <Typography variant="h6" component="h2">
                  DTMF
                </Typography>
                {conversation.dtmf.length === 0 ? (
                  <Typography variant="body2">No DTMF digits.</Typography>
                ) : (
                  <ul data-testid="dtmf-list" aria-label="DTMF digits">
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
              </Box>
              <Box mt={2}>
                <Typography variant="h6" component="h2">
                  Quality
                </Typography>
                {figures.length === 0 ? (
                  <Typography variant="body2">No measurements.</Typography>
                ) : (
                  <Table
                    size="small"
                    aria-label="Quality figures"
                    data-testid="quality-figures"
                  >
                    <TableBody>
                      {figures.map(([label, value]) => (
                        <TableRow key={label}>
                          <TableCell>{label}</TableCell>
                          <TableCell>{value}</TableCell>
                        </TableRow>
                      ))}
                    </TableBody>
                  </Table>
                )}
              </Box>
            </CardContent>
          </Card>
        </Grid>
      </Grid>

      {perms.canReadAudit && (
        <Card>
          <CardContent>
            <AccessHistory conversationId={id} reload={historyReload} />
          </CardContent>
        </Card>
      )}
    </Box>
  );
}
