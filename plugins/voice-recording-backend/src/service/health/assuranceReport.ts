import {
  calendarDayBounds,
  calendarDayOf,
  CoverageFigures,
  csvRow,
  RecordingAlarm,
  RecordingAttention,
} from '@mvr/plugin-voice-recording-common';
import { stringify as stringifyCsv } from 'csv-stringify/sync';
import { DateTime } from 'luxon';
import { CoverageDayRow } from '../../database/CoverageStore';
import { attentionOf, dayOf, emptyFigures } from './coverageFigures';

/** One number's line of the report. */
export interface AssuranceReportLine {
  row: CoverageDayRow;
  /** the owner's display name from the catalog, when known */
  ownerName?: string;
  attention: RecordingAttention;
  /** the number's alarms that were unresolved at some time that day */
  alarms: RecordingAlarm[];
}

/** The daily recording assurance report: per number expected vs recorded, problems and their handling. */
export interface AssuranceReport {
  /** YYYY-MM-DD */
  day: string;
  timeZone: string;
  /** ISO 8601 */
  generatedAt: string;
  /** false while the day is not over (today: figures so far) */
  complete: boolean;
  lines: AssuranceReportLine[];
  /** alarms about a recorder, not a number (idle-recorder) */
  recorderAlarms: RecordingAlarm[];
  totals: CoverageFigures & {
    numbers: number;
    numbersNeedingAttention: number;
    alarms: number;
  };
}

/** Builds the report of `day` from its coverage rows and the alarms unresolved that day. */
export function buildAssuranceReport(input: {
  day: string;
  timeZone: string;
  now: Date;
  rows: CoverageDayRow[];
  alarms: RecordingAlarm[];
  ownerNames: Map<string, string>;
}): AssuranceReport {
  const { day, timeZone, now, rows, alarms, ownerNames } = input;
  const byNumber = new Map<string, RecordingAlarm[]>();
  const recorderAlarms: RecordingAlarm[] = [];
  for (const a of alarms) {
    if (!a.numberId) {
      recorderAlarms.push(a);
      continue;
    }
    const list = byNumber.get(a.numberId) ?? [];
    list.push(a);
    byNumber.set(a.numberId, list);
  }
  const totals = {
    ...emptyFigures(),
    numbers: 0,
    numbersNeedingAttention: 0,
    alarms: alarms.length,
  };
  const lines = rows.map(row => {
    const own = byNumber.get(row.numberId) ?? [];
    // an alarm of the day counts in the day's attention even if it is resolved since
    const attention = attentionOf(
      dayOf(row),
      own.map(a => ({
        ...a,
        state: a.state === 'resolved' ? 'open' : a.state,
      })),
    );
    totals.numbers += 1;
    if (attention !== 'ok') totals.numbersNeedingAttention += 1;
    totals.expectedSeconds += row.expectedSeconds;
    totals.recordedCalls += row.recordedCalls;
    totals.recordedSeconds += row.recordedSeconds;
    totals.refusedCalls += row.refusedCalls;
    for (const [k, v] of Object.entries(row.refusedByReason))
      totals.refusedByReason[k] = (totals.refusedByReason[k] ?? 0) + v;
    totals.warningQualityCalls += row.warningQualityCalls;
    totals.failedQualityCalls += row.failedQualityCalls;
    const ownerName = ownerNames.get(row.userRef.toLowerCase());
    return {
      row,
      ...(ownerName ? { ownerName } : {}),
      attention,
      alarms: own,
    };
  });
  return {
    day,
    timeZone,
    generatedAt: now.toISOString(),
    complete: now.getTime() >= calendarDayBounds(day, timeZone).end,
    lines,
    recorderAlarms,
    totals,
  };
}

/** `7:05` hours and minutes of a number of seconds. */
export function hoursMinutes(seconds: number): string {
  const minutes = Math.round(seconds / 60);
  return `${Math.floor(minutes / 60)}:${String(minutes % 60).padStart(2, '0')}`;
}

function reasonsText(byReason: Record<string, number>): string {
  return Object.entries(byReason)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([reason, n]) => `${reason}=${n}`)
    .join('; ');
}

function localTime(iso: string | undefined, timeZone: string): string {
  if (!iso) return '';
  return DateTime.fromISO(iso, { zone: timeZone }).toFormat('yyyy-LL-dd HH:mm');
}

/** One sentence on an alarm and how it was handled. */
export function alarmHandling(a: RecordingAlarm, timeZone: string): string {
  const parts = [
    `${a.kind} (${a.severity}): ${a.summary}`,
    `raised ${localTime(a.raisedAt, timeZone)}`,
  ];
  if (a.acknowledgedAt)
    parts.push(
      `acknowledged ${localTime(a.acknowledgedAt, timeZone)} by ${
        a.acknowledgedBy ?? 'unknown'
      }${a.acknowledgeComment ? `: ${a.acknowledgeComment}` : ''}`,
    );
  parts.push(
    a.resolvedAt
      ? `resolved ${localTime(a.resolvedAt, timeZone)}`
      : 'not resolved',
  );
  return parts.join('; ');
}

const CSV_COLUMNS = [
  'day',
  'number',
  'owner',
  'ownerName',
  'recorder',
  'expectedSeconds',
  'expected',
  'recordedCalls',
  'recordedSeconds',
  'refusedCalls',
  'refusedByReason',
  'warningQualityCalls',
  'failedQualityCalls',
  'lastRecordedCallAt',
  'attention',
  'alarms',
] as const;

/**
 * The report as CSV: one line per number, then one per recorder alarm; every cell
 * through csvCell (numbers, names and alarm comments come from outside).
 */
export function assuranceReportCsv(r: AssuranceReport): string {
  const alarmsText = (alarms: RecordingAlarm[]) =>
    alarms.map(a => alarmHandling(a, r.timeZone)).join(' | ');
  const lines = r.lines.map(l =>
    csvRow({
      day: r.day,
      number: l.row.number,
      owner: l.row.userRef,
      ownerName: l.ownerName ?? '',
      recorder: '',
      expectedSeconds: l.row.expectedSeconds,
      expected: hoursMinutes(l.row.expectedSeconds),
      recordedCalls: l.row.recordedCalls,
      recordedSeconds: l.row.recordedSeconds,
      refusedCalls: l.row.refusedCalls,
      refusedByReason: reasonsText(l.row.refusedByReason),
      warningQualityCalls: l.row.warningQualityCalls,
      failedQualityCalls: l.row.failedQualityCalls,
      lastRecordedCallAt: l.row.lastRecordedCallAt ?? '',
      attention: l.attention,
      alarms: alarmsText(l.alarms),
    }),
  );
  const recorders = r.recorderAlarms.map(a =>
    csvRow({
      day: r.day,
      number: '',
      owner: '',
      ownerName: '',
      recorder: a.recorderInstance ?? '',
      expectedSeconds: '',
      expected: '',
      recordedCalls: '',
      recordedSeconds: '',
      refusedCalls: '',
      refusedByReason: '',
      warningQualityCalls: '',
      failedQualityCalls: '',
      lastRecordedCallAt: '',
      attention: a.severity,
      alarms: alarmsText([a]),
    }),
  );
  return stringifyCsv([...lines, ...recorders], {
    header: true,
    columns: [...CSV_COLUMNS],
  });
}

/** Text for HTML (element content and attribute values). */
export function escapeHtml(value: unknown): string {
  return String(value ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

const STYLE = `
  body { font: 11pt/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #111; margin: 2em; }
  h1 { font-size: 16pt; margin: 0 0 .2em; }
  p.meta { color: #444; margin: 0 0 1em; }
  table { border-collapse: collapse; width: 100%; margin: 0 0 1.5em; }
  th, td { border: 1px solid #999; padding: .25em .4em; text-align: left; vertical-align: top; }
  th { background: #eee; }
  td.n { text-align: right; font-variant-numeric: tabular-nums; }
  tr.failed td.attention { font-weight: bold; color: #a00; }
  tr.warning td.attention { font-weight: bold; color: #8a5a00; }
  ul.alarms { margin: 0; padding-left: 1.1em; }
  @media print {
    body { margin: 0; font-size: 9pt; }
    @page { size: A4 landscape; margin: 12mm; }
    thead { display: table-header-group; }
    tr { break-inside: avoid; page-break-inside: avoid; }
    a { color: inherit; text-decoration: none; }
  }
`;

/** The report as a standalone HTML page a browser prints to PDF (every value escaped). */
export function assuranceReportHtml(r: AssuranceReport): string {
  const e = escapeHtml;
  const alarmList = (alarms: RecordingAlarm[]) =>
    alarms.length
      ? `<ul class="alarms">${alarms
          .map(a => `<li>${e(alarmHandling(a, r.timeZone))}</li>`)
          .join('')}</ul>`
      : '';
  const t = r.totals;
  const rows = r.lines
    .map(
      l => `<tr class="${e(l.attention)}">
<td>${e(l.row.number)}</td>
<td>${
        l.ownerName
          ? `${e(l.ownerName)}<br><small>${e(l.row.userRef)}</small>`
          : e(l.row.userRef)
      }</td>
<td class="n">${e(hoursMinutes(l.row.expectedSeconds))}</td>
<td class="n">${e(l.row.recordedCalls)}</td>
<td class="n">${e(hoursMinutes(l.row.recordedSeconds))}</td>
<td class="n">${e(l.row.refusedCalls)}</td>
<td>${e(reasonsText(l.row.refusedByReason))}</td>
<td class="n">${e(l.row.warningQualityCalls)}</td>
<td class="n">${e(l.row.failedQualityCalls)}</td>
<td>${e(localTime(l.row.lastRecordedCallAt, r.timeZone))}</td>
<td class="attention">${e(l.attention)}</td>
<td>${alarmList(l.alarms)}</td>
</tr>`,
    )
    .join('\n');
  const recorderSection = r.recorderAlarms.length
    ? `<h2>Recorders</h2>
<table><thead><tr><th>Recorder</th><th>Alarm and handling</th></tr></thead><tbody>
${r.recorderAlarms
  .map(
    a =>
      `<tr><td>${e(a.recorderInstance ?? '')}</td><td>${e(
        alarmHandling(a, r.timeZone),
      )}</td></tr>`,
  )
  .join('\n')}
</tbody></table>`
    : '';
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Recording assurance report ${e(r.day)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>Recording assurance report: ${e(r.day)}</h1>
<p class="meta">Days in ${e(r.timeZone)}. Generated ${e(
    localTime(r.generatedAt, r.timeZone),
  )}${r.complete ? '' : ' (the day is not over: figures so far)'}.
${e(t.numbers)} numbers, ${e(t.numbersNeedingAttention)} needing attention;
expected ${e(hoursMinutes(t.expectedSeconds))} h, ${e(
    t.recordedCalls,
  )} calls recorded (${e(hoursMinutes(t.recordedSeconds))} h), ${e(
    t.refusedCalls,
  )} refused, ${e(t.warningQualityCalls)} with quality warnings, ${e(
    t.failedQualityCalls,
  )} failed; ${e(t.alarms)} alarms.</p>
<table>
<thead><tr>
<th>Number</th><th>Owner</th><th>Expected (h)</th><th>Recorded calls</th><th>Recorded (h)</th>
<th>Refused</th><th>Refused by reason</th><th>Quality warnings</th><th>Failed quality</th>
<th>Last recorded call</th><th>Attention</th><th>Alarms and handling</th>
</tr></thead>
<tbody>
${rows}
</tbody>
</table>
${recorderSection}
</body>
</html>
`;
}

/** The day a report is about by default: yesterday in the time zone (the last complete day). */
export function lastCompleteDay(now: Date, timeZone: string): string {
  return DateTime.fromISO(calendarDayOf(now, timeZone), { zone: 'UTC' })
    .minus({ days: 1 })
    .toISODate()!;
}
