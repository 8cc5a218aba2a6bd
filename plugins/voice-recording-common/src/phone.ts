import {
  parsePhoneNumberFromString,
  CountryCode,
  isSupportedCountry,
} from 'libphonenumber-js/max';

export type PhoneNumberResult =
  | { ok: true; e164: string }
  | { ok: false; error: string };

/** results of normalizePhoneNumber, by default country and input (frozen, shared) */
const recentResults = new Map<string, PhoneNumberResult>();
const RECENT_RESULTS_MAX = 10_000;

/**
 * Validates and normalises a phone number to E.164.
 * National input (`0470 12 34 56`) is read in `defaultCountry` (ISO 3166 alpha-2, e.g. BE).
 * Accepts `+32...`, `0032...`, `tel:` and `sip:` forms.
 */
export function normalizePhoneNumber(
  input: string,
  defaultCountry: string = 'BE',
): PhoneNumberResult {
  // the same few numbers come back on every call of a recorded user (the recorder reads
  // each SIPREC INVITE's participants): libphonenumber's parse and validation cost about
  // half a millisecond, a lookup here a fraction of a microsecond
  const key = `${defaultCountry}\u0000${input}`;
  const known = recentResults.get(key);
  if (known) return known;
  const result = Object.freeze(normalizeUncached(input, defaultCountry)) as PhoneNumberResult;
  if (recentResults.size >= RECENT_RESULTS_MAX) {
    // the oldest entry goes (a Map iterates in insertion order)
    recentResults.delete(recentResults.keys().next().value as string);
  }
  recentResults.set(key, result);
  return result;
}

function normalizeUncached(input: string, defaultCountry: string): PhoneNumberResult {
  const raw = String(input ?? '').trim();
  if (!raw) return { ok: false, error: 'phone number is empty' };
  let s = raw.replace(/^(tel|sips?):/i, '').replace(/@.*$/, '').replace(/;.*$/, '');
  s = s.replace(/^00/, '+');
  if (/[^\d\s+().\-/]/.test(s)) {
    return { ok: false, error: `"${raw}" is not a phone number (unexpected characters)` };
  }
  const country = defaultCountry.toUpperCase();
  if (!isSupportedCountry(country)) {
    return { ok: false, error: `unknown default country "${defaultCountry}"` };
  }
  const parsed = parsePhoneNumberFromString(s, country as CountryCode);
  if (!parsed || !parsed.isValid()) {
    return { ok: false, error: `"${raw}" is not a valid phone number` };
  }
  return { ok: true, e164: parsed.number };
}

/** Like normalizePhoneNumber but throws an Error with the message. */
export function toE164(input: string, defaultCountry: string = 'BE'): string {
  const r = normalizePhoneNumber(input, defaultCountry);
  if (!r.ok) throw new Error(r.error);
  return r.e164;
}

/** Default emergency numbers: 112 (EU) and the Belgian 100 (ambulance/fire) and 101 (police). */
export const DEFAULT_EMERGENCY_NUMBERS = ['112', '100', '101'];

/**
 * True when `party` dials an emergency number: the digits equal one of the list
 * (`112`), or an international form whose national part is one (`+32112`).
 */
export function isEmergencyNumber(
  party: string | undefined,
  emergencyNumbers: string[] = DEFAULT_EMERGENCY_NUMBERS,
): boolean {
  if (!party) return false;
  const cleaned = String(party)
    .replace(/^(tel|sips?):/i, '')
    .replace(/@.*$/, '')
    .replace(/;.*$/, '')
    .trim();
  const digits = cleaned.replace(/\D/g, '');
  const list = emergencyNumbers.map(e => e.replace(/\D/g, '')).filter(Boolean);
  if (list.includes(digits)) return true;
  if (/^(\+|00)/.test(cleaned)) {
    const intl = cleaned.replace(/^00/, '+').replace(/[^\d+]/g, '');
    const parsed = parsePhoneNumberFromString(intl);
    if (parsed && list.includes(String(parsed.nationalNumber))) return true;
  }
  return false;
}
