import { Alert } from '@backstage/ui';
import type { AuditChainVerification } from '@mvr/plugin-voice-recording-common';

const REASONS: Record<string, string> = {
  edited: 'an entry was changed',
  'deleted-before': 'entries were deleted',
  reordered: 'entries were moved',
  'bad-head-signature': 'a signed daily head does not verify',
  truncated: 'entries were removed from the end',
};

const count = (n: number) =>
  `${n.toLocaleString('en-GB')} ${n === 1 ? 'entry' : 'entries'}`;

/** The head hash, shortened for reading (the full value in the title). */
function ShortHash(props: { hash: string }) {
  return (
    <code
      title={props.hash}
      style={{ fontFamily: 'var(--bui-font-monospace)' }}
      data-testid="audit-head-hash"
    >
      {props.hash.slice(0, 16)}…
    </code>
  );
}

/**
 * The result of "Verify trail" (GET /audit/verify): intact with the number of entries
 * and the head hash, or the first broken link with the backend's explanation.
 */
export function AuditVerificationResult(props: {
  result: AuditChainVerification;
}) {
  const r = props.result;
  const heads =
    r.signedHeads !== undefined
      ? ` Signed daily heads checked: ${r.signedHeads}${
          r.lastSignedDay ? `, the latest for ${r.lastSignedDay}` : ''
        }${
          r.unsignedEntries
            ? ` (${count(r.unsignedEntries)} since, signed after the day ends)`
            : ''
        }.`
      : '';
  const accepted = r.acceptedBreaks?.length
    ? ` Breaks accepted after investigation: ${r.acceptedBreaks
        .map(b => `entry ${b.seq} (${REASONS[b.reason] ?? b.reason})`)
        .join(', ')}.`
    : '';
  if (r.ok)
    return (
      <Alert
        status="success"
        icon
        role="status"
        data-testid="audit-verify-result"
        title={`The audit trail is intact: ${count(r.checked)} verified.`}
        description={
          <>
            {r.headHash ? (
              <>
                Head hash <ShortHash hash={r.headHash} />.
              </>
            ) : (
              'The trail is empty.'
            )}
            {heads}
            {accepted}
          </>
        }
      />
    );
  const b = r.firstBroken;
  return (
    <Alert
      status="danger"
      icon
      role="alert"
      data-testid="audit-verify-result"
      title={`The audit trail is broken${
        b ? ` at entry ${b.seq}: ${REASONS[b.reason] ?? b.reason}` : ''
      }.`}
      description={
        <>
          {b?.message ? `${b.message}. ` : ''}
          {`${count(r.checked)} before it verified.`}
          {heads}
          {accepted}
        </>
      }
    />
  );
}
