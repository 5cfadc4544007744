import { describe, expect, it } from 'vitest';
import { DEFAULTS } from '../config.js';
import { analyzeRouterTuning, openingPattern } from './router-tuning.js';
import { escalation, reply } from './test-rows.test-helper.js';

const settings = { ...DEFAULTS.router_tuning, minMatches: 4 };
const SHOULD = String.raw`\bshould (we|i)\b`;
const times = <T>(n: number, make: (i: number) => T) => Array.from({ length: n }, (_, i) => make(i));
const cheap = (question: string) => reply({ route: 'cli', question, answer: 'ok' });

describe('promote_router_tuning: audit rows → proposals', () => {
  it.each<[string, ReturnType<typeof reply>[], string[]]>([
    ['an opening escalated 3 of 3 times → add it', [...times(3, (i) => escalation(`Is it worth doing ${i}?`)), ...times(3, (i) => cheap(`Is it worth doing ${i}?`))], [`add:${openingPattern('is it worth')}`]],
    ['escalated 3 of 10 times is under half', [...times(3, (i) => escalation(`Is it worth ${i}`)), ...times(10, (i) => cheap(`Is it worth ${i}`))], []],
    ['twice is not enough', [...times(2, () => escalation('Is it worth it')), ...times(2, () => cheap('Is it worth it'))], []],
    ['a one-word opening is too broad', [...times(3, () => escalation('Why?')), ...times(3, () => cheap('Why?'))], []],
    ['an opening some pattern matched already is not proposed', times(3, () => escalation('should we go', SHOULD)), []],
    ['a pattern whose answers were all short → remove it', times(4, () => reply({ route: 'cli', question: 'should we?', answer: 'Yes.', pattern: SHOULD, output: 20 })), [`remove:${SHOULD}`]],
    ['a pattern whose answers were long stays', times(4, () => reply({ route: 'cli', question: 'should we?', answer: 'A long answer', pattern: SHOULD, output: 900 })), []],
    ['three matches are under minMatches', times(3, () => reply({ route: 'cli', question: 'should we?', answer: 'Yes.', pattern: SHOULD, output: 20 })), []],
  ])('%s', (_name, rows, keys) => {
    expect(analyzeRouterTuning(rows, settings).candidates.map((c) => c.key)).toEqual(keys);
  });

  it('writes an anchored pattern that matches the opening however it is typed', () => {
    const re = new RegExp(openingPattern("what's the plan"), 'iu');
    expect(re.test('What’s   the plan for Q3?')).toBe(true);
    expect(re.test('So what is the plan')).toBe(false);
    expect(openingPattern('v2.1 is')).toBe(String.raw`^v2\.1\s+is\b`);
  });
});
