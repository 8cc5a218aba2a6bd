import { usageText } from './usage';

describe('usageText', () => {
  it.each([
    [0, 0, 'Used by no number'],
    [1, 1, 'Used by 1 number (it follows it)'],
    [1, 0, 'Used by 1 number (it no longer follows it)'],
    [3, 3, 'Used by 3 numbers (all follow it)'],
    [3, 0, 'Used by 3 numbers (none follows it any more)'],
    [3, 2, 'Used by 3 numbers (2 follow it, 1 no longer does)'],
    [3, 1, 'Used by 3 numbers (1 follows it, 2 no longer do)'],
  ])('used by %i, followed by %i: %s', (usedBy, followedBy, text) => {
    expect(usageText({ usedBy, followedBy })).toBe(text);
  });
});
