import { IANAZone } from 'luxon';
import { NumberSettings } from './types';

export interface FieldError {
  field: string;
  message: string;
}

/** Rules that tie a number's settings together. Returns every broken rule. */
export function validateNumberSettings(
  settings: NumberSettings,
  flags: { mvrActive: boolean; fmu: boolean },
): FieldError[] {
  const errors: FieldError[] = [];
  if (flags.mvrActive && flags.fmu) {
    errors.push({
      field: 'mvrActive',
      message: 'MVR cannot be activated on an FMU (Fixed Mobile Unification) number',
    });
  }
  if (settings.statusMode !== 'auto' && settings.statusMode !== 'manual') {
    errors.push({ field: 'statusMode', message: 'must be "auto" or "manual"' });
  }
  if (settings.activeStatus !== 'professional' && settings.activeStatus !== 'private') {
    errors.push({ field: 'activeStatus', message: 'must be "professional" or "private"' });
  }
  if (settings.selfManaged && settings.statusMode === 'auto') {
    errors.push({
      field: 'statusMode',
      message:
        'a self-managed number cannot be on Auto: it must be Manual with active status Professional',
    });
  }
  if (!settings.timeZone || !IANAZone.isValidZone(settings.timeZone)) {
    errors.push({
      field: 'timeZone',
      message: `"${settings.timeZone}" is not an IANA time zone (e.g. Europe/Brussels)`,
    });
  }
  return errors;
}
