import { useEffect, useState } from 'react';
import { Button, Flex, Select } from '@backstage/ui';
import { DateField } from '../DateField/DateField';
import { PERIOD_PRESETS, lastDays, presetOf } from './healthText';

const CUSTOM = 'custom';

/**
 * The period of the Recording health figures: the last 7, 30 or 90 days, or chosen
 * days (From and To, inclusive). `from`/`to` empty: the backend's default (7 days).
 */
export function HealthPeriodPicker(props: {
  from?: string;
  to?: string;
  onChange: (period: { from?: string; to?: string }) => void;
}) {
  const preset = presetOf(props.from, props.to);
  const [custom, setCustom] = useState(preset === undefined);
  const [from, setFrom] = useState(props.from ?? '');
  const [to, setTo] = useState(props.to ?? '');
  useEffect(() => {
    setFrom(props.from ?? '');
    setTo(props.to ?? '');
  }, [props.from, props.to]);
  const reversed = Boolean(from && to && from > to);

  return (
    <Flex gap="3" align="end" style={{ flexWrap: 'wrap' }}>
      <div style={{ minWidth: '12rem' }}>
        <Select
          label="Period"
          value={custom || preset === undefined ? CUSTOM : String(preset)}
          onChange={key => {
            if (key === CUSTOM) {
              setCustom(true);
              return;
            }
            setCustom(false);
            const days = Number(key);
            // the default period is left out of the URL
            props.onChange(days === 7 ? {} : lastDays(days));
          }}
          options={[
            ...PERIOD_PRESETS.map(days => ({
              value: String(days),
              label: `Last ${days} days`,
            })),
            { value: CUSTOM, label: 'Chosen days' },
          ]}
        />
      </div>
      {(custom || preset === undefined) && (
        <form
          aria-label="Chosen days"
          onSubmit={e => {
            e.preventDefault();
            if (!reversed)
              props.onChange({ from: from || undefined, to: to || undefined });
          }}
          style={{
            display: 'flex',
            gap: 'var(--bui-space-3)',
            alignItems: 'end',
          }}
        >
          <DateField type="date" label="From" value={from} onChange={setFrom} />
          <DateField
            type="date"
            label="To"
            value={to}
            onChange={setTo}
            error={reversed ? 'To: must not be before From' : undefined}
          />
          <Button type="submit" variant="secondary" isDisabled={reversed}>
            Show
          </Button>
        </form>
      )}
    </Flex>
  );
}
