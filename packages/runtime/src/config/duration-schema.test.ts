import { describe, expect, expectTypeOf, it } from 'vitest';
import * as z from 'zod';
import { consumerRetry, duration, durationMs, durationOrMs } from '../index.js';
import { validatePluginConfig } from '../plugins/loader.js';
import type { Duration } from '../time/duration.js';

describe('the duration schema for plugin configs', () => {
  it('keeps a duration as written, typed Duration, so TaskSpec.every takes it as it is', () => {
    expect(duration.parse(' 5m ')).toBe('5m');
    expectTypeOf(duration.parse('5m')).toEqualTypeOf<Duration>();
    expect(z.object({ every: duration.default('1m') }).parse({})).toEqual({ every: '1m' });
  });

  it('parses to milliseconds with durationMs', () => {
    expect(durationMs.parse('2s')).toBe(2000);
    expect(durationMs.parse('1d')).toBe(86_400_000);
  });

  it("refuses what the runtime's grammar refuses, with kora.yaml's own message", () => {
    for (const schema of [duration, durationMs]) {
      const r = schema.safeParse('5 minutes');
      expect(r.success).toBe(false);
      expect(r.error?.issues[0]?.message).toBe('expected a duration: an integer and a unit, e.g. 500ms, 30s, 5m, 2h, 1d (got "5 minutes")');
    }
    expect(duration.safeParse('5').success).toBe(false);
  });

  it('names the plugin config field in the config error', () => {
    const definition = { id: 'demo', configSchema: z.strictObject({ every: duration.default('1m') }), register() {} };
    expect(() => validatePluginConfig(definition, { every: 'soon' }, '/p/kora.yaml', 'demo')).toThrow(/plugins\.config\.demo\.every: expected a duration: .*\(got "soon"\)/);
  });

  it("reads a consumer's retry settings: 1–50 deliveries, a backoff as a duration or ms, nothing else", () => {
    expect(consumerRetry.parse({ attempts: 3, backoff: '10s' })).toEqual({ attempts: 3, backoff: '10s' });
    expect(consumerRetry.parse({ backoff: 2_000 })).toEqual({ backoff: 2_000 });
    expect(consumerRetry.safeParse({ attempts: 0 }).success).toBe(false);
    expect(consumerRetry.safeParse({ attempts: 51 }).success).toBe(false);
    expect(consumerRetry.safeParse({ backoff: 'soon' }).success).toBe(false);
    expect(consumerRetry.safeParse({ retries: 2 }).success).toBe(false);
  });

  it('takes ms or a duration as given, and says which grammar a bad one missed, not "Invalid input"', () => {
    expect(durationOrMs.parse(' 10s ')).toBe('10s');
    expect(durationOrMs.parse(2_000)).toBe(2_000);
    const definition = { id: 'demo', configSchema: z.strictObject({ dm: consumerRetry.optional() }), register() {} };
    expect(() => validatePluginConfig(definition, { dm: { backoff: 'soon' } }, '/p/kora.yaml', 'demo')).toThrow(/plugins\.config\.demo\.dm\.backoff: expected a duration: .*\(got "soon"\)/);
    for (const bad of [0, -5, 1.5, true, null]) {
      expect(() => validatePluginConfig(definition, { dm: { backoff: bad } }, '/p/kora.yaml', 'demo')).toThrow(/dm\.backoff: expected a number of ms \(a positive integer\) or a duration: /);
    }
  });
});
