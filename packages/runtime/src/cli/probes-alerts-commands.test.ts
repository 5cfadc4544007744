// `kora probes` and `kora alerts` without --json: what the answers of GET /api/probes and
// GET /api/alerts look like on a terminal.
import { describe, expect, it } from 'vitest';
import { formatAlerts, formatProbes } from './probes-alerts-commands.js';

const at = Date.UTC(2026, 0, 1, 12);

describe('kora probes', () => {
  it('prints one line per probe with its recent states oldest first, and the legend', () => {
    const text = formatProbes({
      probes: [
        { name: 'vercel', kind: 'preset', target: 'GET api.vercel.com/v2/user', latest: { state: 'unconfigured', latencyMs: null, detail: 'KORA_VERCEL_TOKEN is not set', at }, history: [{ state: 'unconfigured', latencyMs: null, detail: null, at }] },
        {
          name: 'site',
          kind: 'http',
          target: 'GET example.com/health',
          latest: { state: 'down', latencyMs: 12, detail: 'HTTP 500, expected 2xx or 3xx', at },
          history: [
            { state: 'down', latencyMs: 12, detail: null, at },
            { state: 'error', latencyMs: 12, detail: null, at },
            { state: 'ok', latencyMs: 9, detail: null, at },
          ],
        },
        { name: 'new', kind: 'http', target: 'GET example.com/', latest: null, history: [] },
      ],
    });
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^probe\s+state\s+latency\s+at\s+recent\s+detail$/);
    expect(lines[1]).toMatch(/^vercel\s+unconfigured\s+2026-01-01T12:00:00.000Z\s+-\s+KORA_VERCEL_TOKEN is not set$/);
    expect(lines[2]).toMatch(/^site\s+down\s+12 ms\s+2026-01-01T12:00:00.000Z\s+\.EX\s+HTTP 500, expected 2xx or 3xx$/);
    expect(lines[3]).toMatch(/^new\s+not run yet$/);
    expect(lines[4]).toContain('X down');
    expect(formatProbes({ probes: [] })).toBe('No probe is configured.');
  });
});

describe('kora alerts', () => {
  it('prints the open alerts and what was said', () => {
    const text = formatAlerts({
      open: [{ key: 'probe:site', severity: 'critical', title: 'Probe site is down', detail: 'HTTP 500', openedAt: at, lastNotifiedAt: at }],
      events: [{ at, key: 'probe:site', kind: 'opened', severity: 'critical', title: 'Probe site is down' }],
    });
    expect(text).toContain('Open alerts (1):');
    expect(text).toMatch(/critical\s+Probe site is down\s+probe:site\s+2026-01-01T12:00:00.000Z/);
    expect(text).toMatch(/2026-01-01T12:00:00.000Z\s+opened\s+Probe site is down/);
    expect(formatAlerts({ open: [], events: [] })).toBe('Open alerts (0):\nNo alert is open.\n\nRecently said:\nNothing said yet.');
  });
});
