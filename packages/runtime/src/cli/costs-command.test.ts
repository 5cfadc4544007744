// `kora costs`: the table it prints from GET /api/costs.
import { describe, expect, it } from 'vitest';
import { formatCosts } from './costs-command.js';

describe('kora costs: the table', () => {
  const answer = {
    at: 0,
    rung: 'warn_75',
    windows: [
      { window: 'rolling_24h', since: Date.UTC(2026, 0, 1), calls: 3, costUsd: 7.5, budgetUsd: 10, rung: 'warn_75' },
      { window: 'month', since: Date.UTC(2026, 0, 1), calls: 3, costUsd: 7.5, budgetUsd: null, rung: 'normal' },
    ],
    peaks: { rolling_24h: 'downshift_90', month: 'normal' },
    days: 7,
    daily: [{ day: '2026-01-01', model: 'claude-haiku-4-5', calls: 3, costUsd: 7.5 }],
  };

  it('prints the rung, each window against its budget with its peak, and the spend per day and model', () => {
    const lines = formatCosts(answer).split('\n');
    expect(lines[0]).toBe('Cost rung: warn_75');
    expect(lines[2]).toMatch(/^window\s+since\s+calls\s+cost USD\s+budget USD\s+used\s+rung\s+peak$/);
    expect(lines[3]).toMatch(/^rolling_24h\s+2026-01-01T00:00:00\.000Z\s+3\s+7\.5000\s+10\.0000\s+75%\s+warn_75\s+downshift_90$/);
    expect(lines[4]).toMatch(/^month\s+.*\s+none\s+normal\s+normal$/);
    expect(lines[7]).toMatch(/^2026-01-01\s+claude-haiku-4-5\s+3\s+7\.5000$/);
  });

  it('says so when there were no calls', () => {
    expect(formatCosts({ ...answer, daily: [] })).toContain('No model calls in the last 7 day(s) (UTC).');
  });
});
