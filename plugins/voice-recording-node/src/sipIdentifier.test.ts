import { createHash } from 'node:crypto';
import {
  STORED_SIP_IDENTIFIER_MAX_LENGTH,
  storedSipIdentifier,
} from './sipIdentifier';

describe('storedSipIdentifier', () => {
  it('keeps a legal Call-ID as it is, up to 1024 characters', () => {
    for (const id of [
      'a84b4c76e66710@pc33.atlanta.com',
      `x${'-._!%*+`\'~()<>:\\"/[]?{}'.repeat(3)}@h`,
      'c'.repeat(300),
      'd'.repeat(1024),
    ]) {
      expect(storedSipIdentifier(id)).toBe(id);
    }
  });

  it('escapes NUL, control bytes, space, non-ASCII, replacement characters and # itself, one-to-one', () => {
    expect(storedSipIdentifier('a\u0000b')).toBe('a#00b');
    expect(storedSipIdentifier('a\r\n\tb c')).toBe('a#0d#0a#09b#20c');
    expect(storedSipIdentifier('é\ufffd')).toBe('#c3#a9#ef#bf#bd');
    expect(storedSipIdentifier('a#00b')).toBe('a#2300b'); // not the same as a NUL
    expect(storedSipIdentifier('a#00b')).not.toBe(
      storedSipIdentifier('a\u0000b'),
    );
    expect(storedSipIdentifier('\u007f')).toBe('#7f');
  });

  it('bounds a longer identifier to 1024 characters ending with the SHA-256 of the whole', () => {
    const long = `${'e'.repeat(5000)}@host`;
    const stored = storedSipIdentifier(long);
    expect(stored).toHaveLength(STORED_SIP_IDENTIFIER_MAX_LENGTH);
    expect(
      stored.endsWith(
        ` sha256:${createHash('sha256').update(long).digest('hex')}`,
      ),
    ).toBe(true);
    expect(stored.startsWith('eeee')).toBe(true);
    // deterministic, and two identifiers with the same beginning stay apart
    expect(storedSipIdentifier(long)).toBe(stored);
    expect(storedSipIdentifier(`${'e'.repeat(5000)}@other`)).not.toBe(stored);
    // escapes count in the bound
    expect(storedSipIdentifier('\u0000'.repeat(400))).toHaveLength(
      STORED_SIP_IDENTIFIER_MAX_LENGTH,
    );
  });
});
