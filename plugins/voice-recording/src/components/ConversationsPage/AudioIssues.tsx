import { Alert, Badge } from '@backstage/ui';
import {
  audioIssueText,
  Conversation,
} from '@mvr/plugin-voice-recording-common';

type WithAudioIssues = Pick<Conversation, 'audioIssues' | 'quality'>;

/** Issues that leave the recording without any usable audio (the file is silence). */
const SILENT = new Set<string>(['no-media', 'undecodable-codec']);

/** True when the recording holds no usable audio at all. */
export function isSilentRecording(c: WithAudioIssues): boolean {
  return (c.audioIssues ?? []).some(i => SILENT.has(i));
}

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

/**
 * Conversation list: a chip on a recording that holds no usable audio ("No usable
 * audio") or misses part of it ("Audio missing").
 */
export function AudioIssueChip(props: { conversation: WithAudioIssues }) {
  const texts = audioIssueTexts(props.conversation);
  if (texts.length === 0) return null;
  const silent = isSilentRecording(props.conversation);
  return (
    <Badge
      size="small"
      role="img"
      aria-label={texts.join('; ')}
      title={texts.join('; ')}
      data-testid="audio-issue-chip"
      style={{
        color: 'var(--bui-negative-fg-subdued)',
        background: 'var(--bui-negative-bg-subdued)',
        borderColor: 'var(--bui-negative-border)',
      }}
    >
      {silent ? 'No usable audio' : 'Audio missing'}
    </Badge>
  );
}

/** Call page: a banner saying the recording holds no usable audio (or misses some), and why. */
export function AudioIssuesBanner(props: { conversation: WithAudioIssues }) {
  const texts = audioIssueTexts(props.conversation);
  if (texts.length === 0) return null;
  const silent = isSilentRecording(props.conversation);
  return (
    <Alert
      status="danger"
      icon
      data-testid="audio-issues-banner"
      title={
        silent
          ? 'This recording holds no usable audio'
          : "Part of this call's audio is not in the recording"
      }
      description={
        <>
          {texts.map(t => (
            <div key={t}>{t}.</div>
          ))}
          {silent && (
            <div>
              The stored file is silence: it shows that the call took place, not
              what was said.
            </div>
          )}
        </>
      }
    />
  );
}
