import { describe, expect, it } from 'vitest';
import { DEFAULTS } from '../config.js';
import { analyzePhrasebook } from './phrasebook.js';
import { entry, reply } from './test-rows.test-helper.js';

const settings = DEFAULTS.phrasebook;
const q = 'When is the standup?';
const a = 'The standup is at 9:30 in the big room.';
const times = <T>(n: number, make: (i: number) => T) => Array.from({ length: n }, (_, i) => make(i));

describe('promote_phrasebook: audit rows → proposals', () => {
  it.each<[string, ReturnType<typeof reply>[], { keys: number; notes: number }]>([
    ['three asks, the same answer, words kept → one canned reply', times(3, () => reply({ question: q, answer: a, words: true })), { keys: 1, notes: 0 }],
    ['two asks are not enough', times(2, () => reply({ question: q, answer: a, words: true })), { keys: 0, notes: 0 }],
    ['spelled differently, the same question', [reply({ question: q, answer: a, words: true }), reply({ question: 'when is the STANDUP', answer: a, words: true }), reply({ question: ' When is the standup ', answer: a, words: true })], { keys: 1, notes: 0 }],
    ['answers that differ are not consistent', [reply({ question: q, answer: a, words: true }), reply({ question: q, answer: 'At ten.', words: true }), reply({ question: q, answer: 'Nine.', words: true })], { keys: 0, notes: 0 }],
    ['four of five the same answer is consistent enough (80%)', [...times(4, () => reply({ question: q, answer: a, words: true })), reply({ question: q, answer: 'Nine.', words: true })], { keys: 1, notes: 0 }],
    ['no words in the rows: noted, not proposed', times(3, () => reply({ question: q, answer: a })), { keys: 0, notes: 1 }],
    ['an answer cut short is never a canned reply', times(3, () => reply({ question: q, answer: a, words: true, cutAnswer: true })), { keys: 0, notes: 1 }],
    ['other routes do not count', times(3, () => reply({ route: 'cli', question: q, answer: a, words: true })), { keys: 0, notes: 0 }],
    ['rows without digests do not count', times(3, () => entry('llm.call', { route: 'slack_dm', prompt: q, answer: a })), { keys: 0, notes: 0 }],
  ])('%s', (_name, rows, expected) => {
    const { candidates, notes } = analyzePhrasebook(rows, settings);
    expect(candidates).toHaveLength(expected.keys);
    expect(notes).toHaveLength(expected.notes);
  });

  it('proposes the normalized question and the whole answer, with the counts', () => {
    const rows = [...times(4, () => reply({ question: q, answer: a, words: true })), reply({ question: q, answer: 'Nine.', words: true })];
    expect(analyzePhrasebook(rows, settings).candidates).toEqual([
      {
        key: expect.stringMatching(/^q:[0-9a-f]{16}$/),
        title: 'Answer the DM "when is the standup" with a canned reply',
        payload: { question: 'when is the standup', questionDigest: expect.any(String), answer: a, answerDigest: expect.any(String) },
        evidence: { asks: 5, sameAnswer: 4, consistency: '80%' },
      },
    ]);
  });

  it('does not depend on the order of the rows', () => {
    const rows = [reply({ question: q, answer: a, words: true }), reply({ question: q, answer: 'Nine.', words: true }), reply({ question: q, answer: a, words: true }), reply({ question: q, answer: 'Nine.', words: true })];
    const loose = { minAsks: 3, minConsistency: 0.5 };
    expect(analyzePhrasebook(rows, loose)).toEqual(analyzePhrasebook([...rows].reverse(), loose));
  });
});
