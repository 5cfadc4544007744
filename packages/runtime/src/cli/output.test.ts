import { describe, expect, it } from 'vitest';
import { KoraError } from '../errors.js';
import { createSecretScrubber } from '../log/scrubber.js';
import { pino } from 'pino';
import { escapeControl, escaped, readableLogLines, reportError } from './output.js';

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

describe('reportError', () => {
  it("scrubs the gateway's secrets, and secret shapes without a scrubber, from a printed error", () => {
    const lines: string[] = [];
    const io = { out: (t: string) => lines.push(t), err: (t: string) => lines.push(t) };
    const err = new KoraError('KORA_ERR_DAEMON_START', 'db refused tok-fatal-9876 at postgres://u:pw-in-url@db/k');
    expect(reportError(io, err, createSecretScrubber({ env: { X_TOKEN: 'tok-fatal-9876' } }))).toBe(1);
    reportError(io, err);
    expect(lines[0]).toBe('kora: KoraError: db refused [redacted] at postgres://u:[redacted]@db/k\n  (KORA_ERR_DAEMON_START)');
    expect(lines[1]).toContain('postgres://u:[redacted]@db/k');
  });
});

describe('readable log lines (inspection commands on a terminal)', () => {
  it('writes each log line as `kora: <level>: <message>`, one line each, control characters escaped', () => {
    const err: string[] = [];
    const logger = pino({ level: 'warn' }, readableLogLines({ out: () => {}, err: (t) => void err.push(t) }));
    logger.warn({ plugin: 'x' }, 'plugin "x" registered hook "gateway_start"; did you mean "gateway_started"?');
    logger.error('line one\nkora: warning: forged');
    logger.info('not shown at warn');
    expect(err).toEqual(['kora: warning: plugin "x" registered hook "gateway_start"; did you mean "gateway_started"?', 'kora: error: line one\\nkora: warning: forged']);
  });
});
