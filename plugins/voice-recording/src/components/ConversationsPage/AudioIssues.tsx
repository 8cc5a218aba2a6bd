import { Chip, Tooltip } from '@material-ui/core';
import { Alert, AlertTitle } from '@material-ui/lab';
import VolumeOffIcon from '@material-ui/icons/VolumeOff';
import {
  audioIssueText,
  Conversation,
} from '@mvr/plugin-voice-recording-common';

type WithAudioIssues = Pick<Conversation, 'audioIssues' | 'quality'>;

/** Readable texts of a conversation's audio issues, with the recorder's figures. */
export function audioIssueTexts(c: WithAudioIssues): string[] {
  return (c.audioIssues ?? []).map(issue => audioIssueText(issue, c.quality));
}

/**
 * The quality warnings other than the audio issues (the backend lists both; the
 * audio issues have their own chip and banner).
 */
export function otherQualityWarnings(
  c: WithAudioIssues & { qualityWarnings?: string[] },
): string[] {
  const issues = new Set(audioIssueTexts(c));
  return (c.qualityWarnings ?? []).filter(w => !issues.has(w));
}

/** Conversation list: a chip on a recording that holds no usable audio. */
export function AudioIssueChip(props: { conversation: WithAudioIssues }) {
  const texts = audioIssueTexts(props.conversation);
  if (texts.length === 0) return null;
  return (
    <Tooltip title={texts.join('; ')}>
      <Chip
        size="small"
        color="secondary"
        icon={<VolumeOffIcon />}
        label="No usable audio"
        aria-label={texts.join('; ')}
        data-testid="audio-issue-chip"
      />
    </Tooltip>
  );
}

/** Call page: a banner saying the recording holds no usable audio, and why. */
export function AudioIssuesBanner(props: { conversation: WithAudioIssues }) {
  const texts = audioIssueTexts(props.conversation);
  if (texts.length === 0) return null;
  return (
    <Alert severity="error" data-testid="audio-issues-banner">
      <AlertTitle>This recording holds no usable audio</AlertTitle>
      {texts.map(t => (
        <div key={t}>{t}.</div>
      ))}
      <div>
        The stored file is silence: it shows that the call took place, not what was
        said.
      </div>
    </Alert>
  );
}
