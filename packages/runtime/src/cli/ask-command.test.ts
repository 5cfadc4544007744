// `kora ask` / `kora usage` without a gateway: finding none, and the usage table.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { formatUsage, locateAdminApi } from './ask-command.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('kora ask: finding the gateway', () => {
  it('says to start the gateway when the home has no status file', () => {
    const home = mkdtempSync(join(tmpdir(), 'kora-ask-'));
    dirs.push(home);
    expect(() => locateAdminApi({ env: { KORA_HOME: home }, cwd: home })).toThrow(
      expect.objectContaining({ code: 'KORA_ERR_GATEWAY_NOT_RUNNING', message: expect.stringContaining('start it with `kora daemon`') }),
    );
  });
});

describe('kora usage: the table', () => {
  const row = { day: '2026-01-01', model: 'claude-haiku-4-5', calls: 12, failed: 1, inputTokens: 12345, outputTokens: 678, cacheReadTokens: 9, cacheWriteTokens: 0, costUsd: 0.01234567 };

  it('aligns a line per day and model under its header, and totals', () => {
    const out = formatUsage({ days: 7, rows: [row, { ...row, day: '2026-01-02', model: 'claude-sonnet-4-6', calls: 3, failed: 0, costUsd: 1.5 }], total: { calls: 15, costUsd: 1.51234567 } });
    const lines = out.split('\n');
    expect(lines[0]).toMatch(/^day\s+model\s+calls\s+failed\s+input\s+output\s+cache read\s+cache write\s+cost USD$/);
    expect(lines[1]).toMatch(/^2026-01-01\s+claude-haiku-4-5\s+12\s+1\s+12345\s+678\s+9\s+0\s+0\.0123$/);
    expect(lines[2]).toMatch(/^2026-01-02\s+claude-sonnet-4-6\s+3\s+0\s+12345\s+678\s+9\s+0\s+1\.5000$/);
    // Numbers are right-aligned: every row ends at the header's end.
    expect(lines[1]!.length).toBe(lines[0]!.length);
    expect(lines[3]).toBe('Total the last 7 days (UTC): 15 call(s), 1.5123 USD.');
  });

  it('says so when there were no calls, and escapes a model name that would forge a line', () => {
    expect(formatUsage({ days: 1, rows: [], total: { calls: 0, costUsd: 0 } })).toBe('No model calls today (UTC).');
    expect(formatUsage({ days: 1, rows: [{ ...row, model: 'x\nforged' }], total: { calls: 12, costUsd: 0 } }).split('\n')).toHaveLength(3);
  });
});
