import { describe, expect, it } from 'vitest';
import { normalizeText, openingWords, textDigest, valueDigest } from './digest.js';

describe('digests for the audit rows', () => {
  it.each<[string, string, string]>([
    ['case, spaces and a trailing question mark', '  When is   the STANDUP? ', 'when is the standup'],
    ['curly apostrophes', 'What’s on today…', "what's on today"],
    ['full-width letters (NFKC)', 'ｄｅｐｌｏｙ now!', 'deploy now'],
    ['inner punctuation stays', 'Is v2.1 out?', 'is v2.1 out'],
  ])('normalizes %s', (_name, input, expected) => {
    expect(normalizeText(input)).toBe(expected);
  });

  it('gives two spellings of one question one digest, and another question another', () => {
    expect(textDigest('When is the standup?')).toBe(textDigest('when is the  standup'));
    expect(textDigest('When is the standup?')).not.toBe(textDigest('When is the retro?'));
    expect(textDigest('x')).toMatch(/^[0-9a-f]{16}$/);
  });

  it('digests values by their content, whatever the key order', () => {
    expect(valueDigest({ a: 1, b: [1, { c: 2, d: 3 }] })).toBe(valueDigest({ b: [1, { d: 3, c: 2 }], a: 1 }));
    expect(valueDigest({ a: 1 })).not.toBe(valueDigest({ a: 2 }));
    expect(valueDigest(undefined)).toBe(valueDigest(null));
  });

  it('keeps at most three words of a question', () => {
    expect(openingWords('Is it worth migrating the database?')).toBe('is it worth');
    expect(openingWords('Hi')).toBe('hi');
    expect(openingWords('?!')).toBe('');
  });
});
