import { Config } from '@backstage/config';

const KEY = 'voiceRecording.auditTrail.acceptedBreaks';

/**
 * `voiceRecording.auditTrail.acceptedBreaks` (docs/audit-trail.md "A broken trail"):
 * the entry numbers of breaks accepted after an investigation. Throws naming the key
 * on anything but whole numbers from 0 up.
 */
export function readAcceptedBreaks(config: Config): Set<number> {
  const value = config.getOptional(KEY);
  if (value === undefined) return new Set();
  if (
    !Array.isArray(value) ||
    !value.every(v => typeof v === 'number' && Number.isInteger(v) && v >= 0)
  )
    throw new Error(
      `${KEY}: must be a list of entry numbers (whole numbers from 0), got ${JSON.stringify(
        value,
      )}`,
    );
  return new Set(value as number[]);
}
