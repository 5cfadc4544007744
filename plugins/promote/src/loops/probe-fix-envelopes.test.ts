import { describe, expect, it } from 'vitest';
import { analyzeProbeFixEnvelopes, errorSignature } from './probe-fix-envelopes.js';
import { entry, probeWake, T0 } from './test-rows.test-helper.js';

const settings = { minFailures: 3 };
const HOUR = 3_600_000;

describe('promote_probe_fix_envelopes: audit rows → envelopes', () => {
  it.each<[string, ReturnType<typeof probeWake>[], string[]]>([
    ['the same probe failing the same way 3 times → one envelope', [probeWake('vercel', 'down', 'HTTP 500', T0), probeWake('vercel', 'down', 'HTTP 500', T0 + HOUR), probeWake('vercel', 'down', 'HTTP 500', T0 + 2 * HOUR)], ['vercel|down: http 500']],
    ['twice is not enough', [probeWake('vercel', 'down', 'HTTP 500', T0), probeWake('vercel', 'down', 'HTTP 500', T0 + HOUR)], []],
    ['a 401 is not a 500', [probeWake('vercel', 'down', 'HTTP 500', T0), probeWake('vercel', 'down', 'HTTP 401', T0 + HOUR), probeWake('vercel', 'down', 'HTTP 500', T0 + 2 * HOUR)], []],
    ['durations and ports differ, the failure is the same', [probeWake('sentry', 'error', 'timed out after 10s', T0), probeWake('sentry', 'error', 'timed out after 12s', T0 + HOUR), probeWake('sentry', 'error', 'timed out after 9.5s', T0 + 2 * HOUR)], ['sentry|error: timed out after <duration>']],
    ['a probe that is ok does not count', [probeWake('fly', 'ok', '', T0), probeWake('fly', 'ok', '', T0 + HOUR), probeWake('fly', 'ok', '', T0 + 2 * HOUR)], []],
    ['three turns to bad within one second (the task run by hand) are three failures', [0, 1, 2].map((i) => probeWake('fly', 'down', 'HTTP 503', T0 + i * 100)), ['fly|down: http 503']],
    ['the name and the reason under their other keys', [0, 1, 2].map((i) => entry('probe.wake_requested', { name: 'doppler', to: 'degraded', reason: 'slow', at: T0 + i * HOUR }, T0 + i * HOUR, 'probes')), ['doppler|degraded: slow']],
    ['seams the probes plugin does not write are not read', [0, 1, 2].map((i) => entry(i === 0 ? 'probe.failed' : 'probe.result', { probe: 'fly', state: 'down', detail: 'HTTP 503', at: T0 + i * HOUR }, T0 + i * HOUR, 'probes')), []],
    ['the probes plugin\'s own rows (heartbeat_probes: previous, latencyMs, a null detail)', [0, 1, 2].map((i) => entry('probe.wake_requested', { probe: 'fly', state: 'error', previous: 'ok', detail: null, latencyMs: null, at: T0 + i * HOUR }, T0 + i * HOUR, 'probes')), ['fly|error']],
    ['other seams are not read', [0, 1, 2].map((i) => entry('probe_wake.failed', { probe: 'x', state: 'down', detail: 'y' }, T0 + i * HOUR, 'probes')), []],
  ])('%s', (_name, rows, keys) => {
    expect(analyzeProbeFixEnvelopes(rows, settings).candidates.map((c) => c.key)).toEqual(keys);
  });

  it('says when it was first and last seen, how often, with the latest detail and no action yet', () => {
    const rows = [probeWake('vercel', 'down', 'HTTP 500 at 2026-01-10T01:00:00Z', T0 + 2 * HOUR), probeWake('vercel', 'down', 'HTTP 500 at 2026-01-10T00:00:00Z', T0), probeWake('vercel', 'down', 'HTTP 500 at 2026-01-10T03:00:00Z', T0 + 3 * HOUR)];
    expect(analyzeProbeFixEnvelopes(rows, settings).candidates[0]?.payload).toEqual({
      probe: 'vercel',
      signature: 'down: http 500 at <time>',
      state: 'down',
      detail: 'HTTP 500 at 2026-01-10T03:00:00Z',
      firstSeen: T0,
      lastSeen: T0 + 3 * HOUR,
      count: 3,
      suggestedAction: null,
    });
  });

  it.each([
    ['connect ECONNREFUSED 127.0.0.1:54321', 'connect econnrefused 127.0.0.1:<n>'],
    ['request 5f2b1c9a-1111-4a4a-9b9b-0123456789ab failed', 'request <id> failed'],
    ['deploy dpl_8f3a9c2b7e1d: HTTP 502', 'deploy dpl_8f3a9c2b7e1d: http 502'],
    ['took 812ms', 'took <duration>'],
  ])('signature of "%s"', (detail, expected) => {
    expect(errorSignature('down', detail)).toBe(`down: ${expected}`);
  });
});
