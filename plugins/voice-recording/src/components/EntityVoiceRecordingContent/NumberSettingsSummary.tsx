import type { RecordedNumberWithStatus } from '@mvr/plugin-voice-recording-common';
import { PersonName } from '../PersonName/PersonName';
import type { ReactNode } from 'react';
import { planningModelCell } from '../NumbersPage/NumbersTable';

const yesNo = (v: boolean) => (v ? 'Yes' : 'No');

const cell = {
  padding: 'var(--bui-space-2) var(--bui-space-3)',
  borderBottom: '1px solid var(--bui-border-1)',
  textAlign: 'left' as const,
  verticalAlign: 'top' as const,
  overflowWrap: 'anywhere' as const,
};

/** Read-only settings of a number (a two-column table: setting, value). */
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
    ['Planning model', planningModelCell(number)],
  ];
  return (
    <table
      aria-label="Settings"
      data-testid="number-settings-summary"
      style={{
        width: '100%',
        borderCollapse: 'collapse',
        fontSize: 'var(--bui-font-size-3)',
        color: 'var(--bui-fg-primary)',
      }}
    >
      <tbody>
        {rows.map(([k, v]) => (
          <tr key={k}>
            <th
              scope="row"
              style={{
                ...cell,
                fontWeight: 'var(--bui-font-weight-bold)' as any,
                color: 'var(--bui-fg-secondary)',
              }}
            >
              {k}
            </th>
            <td style={cell}>{v}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
