import { isEmergencyNumber, normalizePhoneNumber, toE164 } from './phone';

describe('normalizePhoneNumber', () => {
  it('gives the same answer from its cache, per default country, and answers that cannot be altered', () => {
    const first = normalizePhoneNumber('0470 12 34 56', 'BE');
    expect(normalizePhoneNumber('0470 12 34 56', 'BE')).toBe(first);
    expect(first).toEqual({ ok: true, e164: '+32470123456' });
    // the same national digits read in another country
    expect(normalizePhoneNumber('0470 12 34 56', 'NL')).not.toEqual(first);
    expect(normalizePhoneNumber('0470 12 34 56', 'be')).toEqual(first);
    expect(Object.isFrozen(first)).toBe(true);
    // more inputs than the cache holds: still right
    for (let i = 0; i < 10_050; i++) normalizePhoneNumber(`+3247${String(i).padStart(7, '0')}`);
    expect(normalizePhoneNumber('0470 12 34 56', 'BE')).toEqual(first);
    expect(normalizePhoneNumber('+32470000017')).toEqual({ ok: true, e164: '+32470000017' });
  });

  it.each([
    ['0470 12 34 56', '+32470123456'],
    ['0470/12.34.56', '+32470123456'],
    ['+32 470 12 34 56', '+32470123456'],
    ['0032470123456', '+32470123456'],
    ['tel:+32470123456', '+32470123456'],
    ['sip:+32470123456@ims.example;user=phone', '+32470123456'],
    ['+33 6 12 34 56 78', '+33612345678'],
  ])('%s -> %s', (input, e164) => {
    expect(normalizePhoneNumber(input, 'BE')).toEqual({ ok: true, e164 });
  });

  it('reads national input in the configured default country', () => {
    expect(toE164('06 12 34 56 78', 'FR')).toBe('+33612345678');
  });

  it.each([
    ['', /empty/],
    ['hello', /not a phone number/],
    ['0470 12', /not a valid phone number/],
    ['+999 123', /not a valid phone number/],
  ])('rejects %j', (input, msg) => {
    expect(normalizePhoneNumber(input, 'BE')).toEqual({
      ok: false,
      error: expect.stringMatching(msg),
    });
  });

  it('rejects an unknown default country', () => {
    const r = normalizePhoneNumber('0470123456', 'XX');
    expect(r).toEqual({ ok: false, error: 'unknown default country "XX"' });
  });
});

describe('isEmergencyNumber', () => {
  it('matches the default list and international forms', () => {
    expect(isEmergencyNumber('112')).toBe(true);
    expect(isEmergencyNumber('+32 101')).toBe(true);
    expect(isEmergencyNumber('+32470123456')).toBe(false);
    expect(isEmergencyNumber(undefined)).toBe(false);
    expect(isEmergencyNumber('1120')).toBe(false);
  });
});
