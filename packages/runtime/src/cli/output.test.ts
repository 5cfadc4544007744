import { describe, expect, it } from 'vitest';
import { escapeControl, escaped } from './output.js';

describe('human output escaping', () => {
  it('writes newlines, tabs and carriage returns as escapes, on one line', () => {
    expect(escapeControl('a\nb\r\nc\td')).toBe('a\\nb\\r\\nc\\td');
  });

  it('writes other control characters, DEL, C1, line separators and bidi overrides as \\u escapes', () => {
    expect(escapeControl('\u001b[31mred\u0007\u007f\u0085\u2028\u202e\u2066')).toBe('\\u001b[31mred\\u0007\\u007f\\u0085\\u2028\\u202e\\u2066');
  });

  it('keeps ordinary text, accents and emoji as they are', () => {
    expect(escapeControl('naïve — 日本 🚀 "quoted" \\ back')).toBe('naïve — 日本 🚀 "quoted" \\ back');
  });

  it('escapes interpolated values only, not the template', () => {
    const name = 'x\nFAILED kora: forged';
    expect(escaped`line one\n  daemon ${name} ${3}`).toBe('line one\n  daemon x\\nFAILED kora: forged 3');
  });
});
