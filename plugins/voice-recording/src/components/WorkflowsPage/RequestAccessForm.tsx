import { useState } from 'react';
import { DateTime } from 'luxon';
import { useSearchParams } from 'react-router-dom';
import useAsync from 'react-use/esm/useAsync';
import {
  Button,
  Card,
  CardBody,
  Checkbox,
  CheckboxGroup,
  Flex,
  Link,
  Select,
  Skeleton,
  Text,
  TextAreaField,
} from '@backstage/ui';
import { useApi, useRouteRef } from '@backstage/frontend-plugin-api';
import type {
  AccessRequest,
  CaseRight,
} from '@mvr/plugin-voice-recording-common';
import { voiceRecordingApiRef } from '../../api/VoiceRecordingApi';
import { accessRequestRouteRef } from '../../routes';
import { ErrorAlert } from '../ErrorAlert/ErrorAlert';
import { FieldErrorText } from '../FieldErrorText/FieldErrorText';
import { DateField } from '../DateField/DateField';
import {
  RIGHT_LABELS,
  dateInDays,
  endOfDayIso,
  formatDate,
  formatDateTime,
} from './requestText';
import { SuccessAlert } from '../SuccessAlert/SuccessAlert';

const DEFAULT_DAYS = 30;

/**
 * The last date the form offers: the latest day whose end (the request's expiration)
 * is within `maxDays` days from now, as the backend counts it.
 */
export function lastExpiryDate(maxDays: number, now = DateTime.now()): string {
  // as the backend counts: maxDays × 24 h from now
  const limit = now.plus({ milliseconds: maxDays * 86_400_000 });
  const last = dateInDays(maxDays, now);
  const end = endOfDayIso(last);
  return end && Date.parse(end) > limit.toMillis()
    ? dateInDays(maxDays - 1, now)
    : last;
}

/**
 * Workflows → Request access: pick an open case (by its title: the form shows nothing
 * else of a case, which one may have no right on), say why, which rights (list and
 * play back by default) and until when (at most the portal's
 * `accessRequests.maxExpiryDays`). The request goes to the admins; its state shows in
 * My requests.
 */
export function RequestAccessForm() {
  const api = useApi(voiceRecordingApiRef);
  const requestLink = useRouteRef(accessRequestRouteRef);
  const cases = useAsync(() => api.listRequestableCases(), [api]);
  // `?case=<id>`: a link from a case or a call preselects it.
  const [searchParams] = useSearchParams();
  const [caseId, setCaseId] = useState<string | undefined>(
    searchParams.get('case') ?? undefined,
  );
  const [reason, setReason] = useState('');
  const [rights, setRights] = useState<CaseRight[]>(['list', 'playback']);
  // the date chosen; until then DEFAULT_DAYS ahead, or the last date allowed if earlier
  const [chosenExpiry, setExpires] = useState<string>();
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState<unknown>();
  const [sent, setSent] = useState<AccessRequest>();
  const [busy, setBusy] = useState(false);

  const chosen = cases.value?.items.find(c => c.id === caseId);
  // A preselected case that is not open (or unknown) is no choice.
  const selectedId = chosen ? caseId : undefined;

  // A changed form starts a new action: the last result is stale.
  const changed = () => {
    setSent(undefined);
    setError(undefined);
  };

  const maxDays = cases.value?.maxExpiryDays;
  const lastDate = maxDays ? lastExpiryDate(maxDays) : undefined;
  const defaultDate = dateInDays(DEFAULT_DAYS);
  const expires =
    chosenExpiry ??
    (lastDate && lastDate < defaultDate ? lastDate : defaultDate);

  const submit = async () => {
    const expiresAt = endOfDayIso(expires);
    const found: Record<string, string> = {};
    if (!selectedId) found.case = 'Choose a case';
    if (!reason.trim()) found.reason = 'Say why you need access';
    if (!rights.length) found.rights = 'Ask for at least one right';
    if (!expiresAt) found.expires = 'Choose an expiration date';
    else if (Date.parse(expiresAt) <= Date.now())
      found.expires = 'The expiration date must be in the future';
    else if (lastDate && expires > lastDate)
      found.expires = `The expiration date must be ${formatDate(
        lastDate,
      )} at the latest (${maxDays} days)`;
    setErrors(found);
    setSent(undefined);
    setError(undefined);
    if (Object.keys(found).length || !selectedId || !expiresAt) return;
    setBusy(true);
    try {
      const created = await api.createAccessRequest({
        caseId: selectedId,
        reason: reason.trim(),
        rights,
        expiresAt,
      });
      setSent(created);
      setReason('');
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  if (cases.loading) return <Skeleton width="100%" height={120} />;
  if (cases.error) return <ErrorAlert error={cases.error} />;
  const openCases = cases.value?.items ?? [];

  return (
    <Card>
      <CardBody>
        <Flex direction="column" gap="4" style={{ maxWidth: '40rem' }}>
          <Text as="p" color="secondary">
            Ask for access to the conversations of a case. An admin approves or
            rejects your request; you see the decision in My requests.
          </Text>
          {!openCases.length ? (
            <Text as="p">No open case to request access to.</Text>
          ) : (
            <Select
              label="Case"
              placeholder="Choose a case"
              value={selectedId ?? null}
              onChange={key => {
                setCaseId(key ? String(key) : undefined);
                setErrors(e => ({ ...e, case: '' }));
                changed();
              }}
              options={openCases.map(c => ({ value: c.id, label: c.title }))}
              isInvalid={Boolean(errors.case)}
            />
          )}
          <FieldErrorText>{errors.case}</FieldErrorText>
          <TextAreaField
            label="Reason"
            value={reason}
            onChange={v => {
              setReason(v);
              if (v.trim()) setErrors(e => ({ ...e, reason: '' }));
              changed();
            }}
            isInvalid={Boolean(errors.reason)}
          />
          <FieldErrorText>{errors.reason}</FieldErrorText>
          <CheckboxGroup
            label="Rights"
            value={rights}
            onChange={v => {
              setRights(v as CaseRight[]);
              if (v.length) setErrors(e => ({ ...e, rights: '' }));
              changed();
            }}
            isInvalid={Boolean(errors.rights)}
          >
            {(Object.keys(RIGHT_LABELS) as CaseRight[]).map(r => (
              <Checkbox key={r} value={r}>
                {RIGHT_LABELS[r]}
              </Checkbox>
            ))}
          </CheckboxGroup>
          <FieldErrorText>{errors.rights}</FieldErrorText>
          <DateField
            type="date"
            maxWidth="16rem"
            label="Expiration date"
            value={expires}
            min={dateInDays(1)}
            max={lastDate}
            onChange={v => {
              setExpires(v);
              setErrors(e => ({ ...e, expires: '' }));
              changed();
            }}
            description={`Your access ends at the end of this day (your time zone); a request not decided by then expires.${
              lastDate
                ? ` At most ${maxDays} days ahead: ${formatDate(
                    lastDate,
                  )} at the latest.`
                : ''
            }`}
            error={errors.expires}
          />
          <Flex direction="column" gap="2">
            <div>
              <Button
                variant="primary"
                onPress={submit}
                isDisabled={busy || !openCases.length}
              >
                Request access
              </Button>
            </div>
            <ErrorAlert error={error} title="Request not sent" />
            {sent && (
              <SuccessAlert>
                <>
                  Request sent for {sent.caseTitle}, until{' '}
                  {formatDateTime(sent.expiresAt)}: an admin will decide.{' '}
                  <Link href={requestLink?.({ id: sent.id }) ?? '#'}>
                    View request
                  </Link>
                </>
              </SuccessAlert>
            )}
          </Flex>
        </Flex>
      </CardBody>
    </Card>
  );
}
