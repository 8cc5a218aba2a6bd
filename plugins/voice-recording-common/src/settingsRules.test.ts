import { validateNumberSettings } from './settingsRules';
import { NumberSettings } from './types';

const base: NumberSettings = {
  beep: true,
  smsOnStatusChange: false,
  statusMode: 'auto',
  activeStatus: 'professional',
  selfManaged: false,
  simultaneousCalls: true,
  timeZone: 'Europe/Brussels',
};

describe('validateNumberSettings', () => {
  it('accepts defaults', () => {
    expect(validateNumberSettings(base, { mvrActive: true, fmu: false })).toEqual([]);
  });
  it('refuses MVR on an FMU number', () => {
    expect(validateNumberSettings(base, { mvrActive: true, fmu: true })).toEqual([
      expect.objectContaining({ field: 'mvrActive', message: expect.stringMatching(/FMU/) }),
    ]);
    expect(validateNumberSettings(base, { mvrActive: false, fmu: true })).toEqual([]);
  });
  it('refuses Auto on a self-managed number', () => {
    expect(
      validateNumberSettings({ ...base, selfManaged: true }, { mvrActive: true, fmu: false })[0],
    ).toMatchObject({ field: 'statusMode', message: expect.stringMatching(/Manual/) });
    expect(
      validateNumberSettings(
        { ...base, selfManaged: true, statusMode: 'manual' },
        { mvrActive: true, fmu: false },
      ),
    ).toEqual([]);
  });
  it('refuses an unknown time zone and bad enums', () => {
    const errs = validateNumberSettings(
      { ...base, timeZone: 'Europe/Atlantis', statusMode: 'x' as any, activeStatus: 'y' as any },
      { mvrActive: true, fmu: false },
    );
    expect(errs.map(e => e.field).sort()).toEqual(['activeStatus', 'statusMode', 'timeZone']);
  });
});
