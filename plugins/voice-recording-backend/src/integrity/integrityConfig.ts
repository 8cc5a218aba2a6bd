import { Config, readDurationFromConfig } from '@backstage/config';
import { HumanDuration } from '@backstage/types';

export interface IntegritySweepConfig {
  enabled: boolean;
  /** Share of the archive re-hashed per run, (0, 1]. */
  share: number;
  /** Backstage scheduler frequency: a duration or a cron expression. */
  frequency: HumanDuration | { cron: string };
  /** Text for the portal, e.g. `every 24 hours`. */
  frequencyText: string;
}

function durationText(d: HumanDuration): string {
  return Object.entries(d)
    .map(
      ([unit, n]) => `${n} ${Number(n) === 1 ? unit.replace(/s$/, '') : unit}`,
    )
    .join(' ');
}

/**
 * `voiceRecording.integrity.sweep`: `enabled` (default true), `share` (default 0.05 of
 * the archive per run), `frequency` (a duration such as `{ hours: 24 }`, or a cron
 * expression; default every 24 hours). Throws naming the key.
 */
export function readIntegritySweepConfig(root: Config): IntegritySweepConfig {
  const c = root.getOptionalConfig('voiceRecording.integrity.sweep');
  const share = c?.getOptionalNumber('share') ?? 0.05;
  if (!(share > 0 && share <= 1))
    throw new Error(
      `voiceRecording.integrity.sweep.share: ${share} is not a share of the archive in (0, 1], e.g. 0.05`,
    );
  let frequency: IntegritySweepConfig['frequency'] = { hours: 24 };
  let frequencyText = 'every 24 hours';
  if (c?.has('frequency')) {
    const raw = c.get('frequency');
    if (typeof raw === 'string') {
      if (raw.trim().split(/\s+/).length < 5)
        throw new Error(
          `voiceRecording.integrity.sweep.frequency: "${raw}" is not a cron expression (or give a duration, e.g. { hours: 24 })`,
        );
      frequency = { cron: raw };
      frequencyText = `cron ${raw}`;
    } else {
      try {
        frequency = readDurationFromConfig(c, { key: 'frequency' });
      } catch (e) {
        throw new Error(
          `voiceRecording.integrity.sweep.frequency: ${(e as Error).message}`,
        );
      }
      frequencyText = `every ${durationText(frequency)}`;
    }
  }
  return {
    enabled: c?.getOptionalBoolean('enabled') ?? true,
    share,
    frequency,
    frequencyText,
  };
}
