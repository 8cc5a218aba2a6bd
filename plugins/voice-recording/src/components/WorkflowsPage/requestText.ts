import { DateTime } from 'luxon';
import type {
  AccessRequestState,
  CaseAccessMode,
  CaseLabelMode,
  CaseRight,
} from '@mvr/plugin-voice-recording-common';

/** The rights as the forms and lists name them. */
export const RIGHT_LABELS: Record<CaseRight, string> = {
  list: 'List',
  playback: 'Play back',
  label: 'Add/remove label',
};

export const STATE_LABELS: Record<AccessRequestState, string> = {
  pending: 'Pending',
  approved: 'Approved',
  rejected: 'Rejected',
  expired: 'Expired',
  revoked: 'Revoked',
};

export const ACCESS_MODE_LABELS: Record<CaseAccessMode, string> = {
  none: 'None',
  selected: 'Selected users and groups',
  everyone: 'Everyone',
};

export const LABEL_MODE_LABELS: Record<CaseLabelMode, string> = {
  owner: 'Owner only',
  selected: 'Selected users and groups',
};

/** "List, Play back" in the order of the form. */
export function rightsText(rights: CaseRight[]): string {
  const order: CaseRight[] = ['list', 'playback', 'label'];
  return order
    .filter(r => rights.includes(r))
    .map(r => RIGHT_LABELS[r])
    .join(', ');
}

/** A date and time in the viewer's zone, with the zone: "5 Jan 2027, 23:59 CET". */
export function formatDateTime(iso: string | undefined): string {
  if (!iso) return '';
  const dt = DateTime.fromISO(iso);
  if (!dt.isValid) return iso;
  return dt.toFormat('d LLL yyyy, HH:mm ZZZZ');
}

/** A `yyyy-MM-dd` date as people read it: "5 Mar 2027". */
export function formatDate(date: string): string {
  const dt = DateTime.fromISO(date);
  return dt.isValid ? dt.toFormat('d LLL yyyy') : date;
}

/**
 * `yyyy-MM-dd` (a date input's value) → the end of that day in the viewer's zone as
 * ISO 8601, the moment a request expires; undefined for an invalid date.
 */
export function endOfDayIso(date: string): string | undefined {
  const dt = DateTime.fromISO(date);
  if (!date || !dt.isValid) return undefined;
  return dt.endOf('day').toUTC().toISO() ?? undefined;
}

/** `yyyy-MM-dd` of today + `days` in the viewer's zone. */
export function dateInDays(days: number, now = DateTime.now()): string {
  return now.plus({ days }).toISODate() ?? '';
}
