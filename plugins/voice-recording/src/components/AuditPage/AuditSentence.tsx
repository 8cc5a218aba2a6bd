import { Fragment } from 'react';
import { Link } from '@backstage/ui';
import { useRouteRef } from '@backstage/frontend-plugin-api';
import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import type { AuditEntry } from '../../api/VoiceRecordingApi';
import { conversationDetailRouteRef, numberDetailRouteRef } from '../../routes';
import { PersonName } from '../PersonName/PersonName';
import { SentencePart, auditSentence, auditWhen } from './auditSentences';

/** `user:default/alice` for a user or group ref, else undefined (a service, `capture:…`). */
export function catalogRef(ref: string): string | undefined {
  try {
    const parsed = parseEntityRef(ref);
    const kind = parsed.kind.toLocaleLowerCase('en-US');
    return kind === 'user' || kind === 'group'
      ? stringifyEntityRef(parsed)
      : undefined;
  } catch {
    return undefined;
  }
}

/** A person of a sentence: display name linked to the catalog, the ref on hover. */
function Person(props: { refString: string }) {
  const ref = catalogRef(props.refString);
  // a service (`capture:siprec`, `plugin:…`) is no catalog entity: shown as it is
  if (!ref) return <span title={props.refString}>{props.refString}</span>;
  return <PersonName entityRef={ref} />;
}

function Part(props: { part: SentencePart }) {
  const conversationLink = useRouteRef(conversationDetailRouteRef);
  const numberLink = useRouteRef(numberDetailRouteRef);
  const { part } = props;
  switch (part.kind) {
    case 'text':
      return <>{part.text}</>;
    case 'person':
      return <Person refString={part.ref} />;
    case 'conversation':
      return conversationLink ? (
        <Link
          href={conversationLink({ id: part.id })}
          title={`conversation ${part.id}`}
        >
          {part.label}
        </Link>
      ) : (
        <>{part.label}</>
      );
    case 'number':
      return part.id && numberLink ? (
        <Link href={numberLink({ id: part.id })}>{part.number}</Link>
      ) : (
        <>{part.number}</>
      );
    default:
      return null;
  }
}

/**
 * An audit entry as a sentence with links (people by their catalog display name, via
 * the catalog's entity presentation API, which batches the look-ups of a page): "Alice Martin played conversation
 * +32471234567 → +32476333444 (0:14) on 4 Dec 23:03".
 */
export function AuditSentence(props: {
  entry: AuditEntry;
  /** Leave out " on <time>" (e.g. when a column already shows it). */
  withoutTime?: boolean;
}) {
  const parts = auditSentence(props.entry);
  return (
    <span data-testid="audit-sentence">
      {parts.map((part, i) => (
        <Fragment key={i}>
          <Part part={part} />
        </Fragment>
      ))}
      {!props.withoutTime && (
        <>
          {' on '}
          <time dateTime={props.entry.at} title={props.entry.at}>
            {auditWhen(props.entry.at)}
          </time>
        </>
      )}
    </span>
  );
}
