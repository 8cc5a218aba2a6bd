import { Table, TableBody, TableCell, TableRow } from '@material-ui/core';
import type { RecordedNumberWithStatus } from '@mvr/plugin-voice-recording-common';
import { PersonName } from '../PersonName/PersonName';
import type { ReactNode } from 'react';

const yesNo = (v: boolean) => (v ? 'Yes' : 'No');

/** Read-only settings of a number. */
export function NumberSettingsSummary(props: {
  number: RecordedNumberWithStatus;
}) {
  const { number } = props;
  const s = number.settings;
  const rows: [string, ReactNode][] = [
    ['User', <PersonName entityRef={number.userRef} />],
    ['MVR active', yesNo(number.mvrActive)],
    ['FMU', yesNo(number.fmu)],
    ['Status mode', s.statusMode === 'auto' ? 'Auto' : 'Manual'],
    [
      'Active status',
      s.activeStatus === 'professional' ? 'Professional' : 'Private',
    ],
    ['Beep', yesNo(s.beep)],
    ['SMS on status change', yesNo(s.smsOnStatusChange)],
    ['Self-management', yesNo(s.selfManaged)],
    ['Simultaneous calls', yesNo(s.simultaneousCalls)],
    ['Time zone', s.timeZone],
    ['Planning model', number.planningModel ?? '—'],
  ];
  return (
    <Table
      size="small"
      aria-label="Settings"
      data-testid="number-settings-summary"
    >
      <TableBody>
        {rows.map(([k, v]) => (
          <TableRow key={k}>
            <TableCell component="th" scope="row">
              {k}
            </TableCell>
            <TableCell>{v}</TableCell>
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );
}
