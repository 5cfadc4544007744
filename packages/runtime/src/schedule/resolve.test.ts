import { afterEach, describe, expect, it, vi } from 'vitest';
import type { TaskSpec } from '../daemons/types.js';
import { ConfigError } from '../errors.js';
import { at, DAY, HOUR, MINUTE } from './__fixtures__/harness.js';
import { describeSchedule, resolveTask, type TaskOverride } from './resolve.js';

const owner = { daemon: 'snapshot', pluginId: 'snap' };
const where = { file: '/etc/kora.yaml', path: 'daemons.snapshot.tasks.snapshot.compute' };
const NOW = at('2026-01-05T10:00:00Z');
const run = () => undefined;

function resolve(spec: Partial<TaskSpec>, override?: TaskOverride) {
  return resolveTask({ name: 'snapshot.compute', run, ...spec }, owner, override, where, NOW);
}

function issues(fn: () => unknown): { file: string | undefined; issues: readonly { path: string; message: string }[]; message: string } {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    const e = err as ConfigError;
    expect(e.code).toBe('KORA_ERR_SCHEDULE_INVALID');
    return { file: e.file, issues: e.issues, message: e.message };
  }
  throw new Error('expected a ConfigError');
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('resolveTask', () => {
  it('resolves an interval with its defaults: timeout = the period, missed = skip under an hour', () => {
    expect(resolve({ every: '5m' })).toEqual({
      name: 'snapshot.compute',
      daemon: 'snapshot',
      pluginId: 'snap',
      schedule: { kind: 'every', everyMs: 5 * MINUTE, offsetMs: 0 },
      runOnStart: false,
      timeoutMs: 5 * MINUTE,
      missed: 'skip',
      run,
    });
  });

  it('caps the default timeout at an hour and defaults missed to run-once from an hour up', () => {
    expect(resolve({ every: '1d' })).toMatchObject({ timeoutMs: HOUR, missed: 'run-once' });
    expect(resolve({ every: '1h' })).toMatchObject({ timeoutMs: HOUR, missed: 'run-once' });
    expect(resolve({ every: '59m' })).toMatchObject({ missed: 'skip' });
  });

  it('resolves a cron in UTC by default, with a 1h timeout and missed judged from the gap between fire times', () => {
    expect(resolve({ cron: '*/10 * * * *' })).toMatchObject({
      schedule: { kind: 'cron', expression: '*/10 * * * *', timezone: 'UTC' },
      timeoutMs: HOUR,
      missed: 'skip',
    });
    expect(resolve({ cron: '0 3 * * *', timezone: 'Europe/Berlin' })).toMatchObject({ schedule: { timezone: 'Europe/Berlin' }, missed: 'run-once' });
    // Uneven gaps (30m, then 23h30m): judged by the shortest.
    expect(resolve({ cron: '0,30 9 * * *' })).toMatchObject({ missed: 'skip' });
  });

  it('keeps the spec\'s offset, runOnStart, timeout and missed policy', () => {
    expect(resolve({ every: '1d', offset: '3h', runOnStart: true, timeout: '10m', missed: 'skip' })).toMatchObject({
      schedule: { kind: 'every', everyMs: DAY, offsetMs: 3 * HOUR },
      runOnStart: true,
      timeoutMs: 10 * MINUTE,
      missed: 'skip',
    });
    expect(resolve({ every: 30_000, timeout: 5000 })).toMatchObject({ schedule: { everyMs: 30_000 }, timeoutMs: 5000 });
  });

  it('returns null for a task the operator disabled', () => {
    expect(resolve({ every: '5m' }, { enabled: false })).toBeNull();
  });

  it('lets an override\'s every replace the spec\'s cron, and its cron replace the spec\'s every', () => {
    expect(resolve({ cron: '0 * * * *', timezone: 'Europe/Berlin' }, { every: '10m' })?.schedule).toEqual({ kind: 'every', everyMs: 10 * MINUTE, offsetMs: 0 });
    expect(resolve({ every: '5m' }, { cron: '0 9 * * 1-5', timezone: 'America/New_York' })?.schedule).toEqual({
      kind: 'cron',
      expression: '0 9 * * 1-5',
      timezone: 'America/New_York',
    });
  });

  it('applies the override\'s timeout, missed, offset and timezone', () => {
    expect(resolve({ every: '1h' }, { timeout: '2m', missed: 'skip', offset: '15m' })).toMatchObject({
      schedule: { everyMs: HOUR, offsetMs: 15 * MINUTE },
      timeoutMs: 2 * MINUTE,
      missed: 'skip',
    });
    expect(resolve({ cron: '0 9 * * *' }, { timezone: 'Asia/Tokyo' })?.schedule).toMatchObject({ timezone: 'Asia/Tokyo' });
  });

  it.each<[string, TaskOverride, string, RegExp]>([
    ['both every and cron', { every: '5m', cron: '* * * * *' }, 'cron', /either `every` or `cron`, not both/],
    ['a bad duration', { every: '5 minutes' }, 'every', /not a duration/],
    ['a zero period', { every: '0s' }, 'every', /greater than zero/],
    ['a sub-second period', { every: '500ms' }, 'every', /^must be at least 1s, got 500ms$/],
    ['a period of 999 ms', { every: '999ms' }, 'every', /at least 1s/],
    ['an invalid cron expression', { cron: '61 * * * *' }, 'cron', /not a valid cron expression/],
    ['a cron with the wrong number of fields', { cron: '* * * *' }, 'cron', /not a valid cron expression/],
    ['a cron that never fires', { cron: '0 0 30 2 *' }, 'cron', /never fires/],
    ['an unknown time zone', { cron: '0 9 * * *', timezone: 'Mars/Olympus' }, 'timezone', /not an IANA time zone/],
    ['a time zone on an interval', { every: '5m', timezone: 'UTC' }, 'timezone', /cron` schedules only/],
    ['an offset on a cron', { cron: '0 9 * * *', offset: '1m' }, 'offset', /`every` schedules only/],
    ['an offset of a whole period', { every: '1h', offset: '1h' }, 'offset', /less than the period/],
    ['a zero timeout', { timeout: '0s' }, 'timeout', /greater than zero/],
    ['an unknown missed policy', { missed: 'later' as never }, 'missed', /"skip" or "run-once"/],
  ])('rejects an override with %s, naming the file and the field', (_, override, field, message) => {
    const e = issues(() => resolve({ every: '5m' }, override));
    expect(e.file).toBe('/etc/kora.yaml');
    expect(e.issues).toEqual([{ path: `daemons.snapshot.tasks.snapshot.compute.${field}`, message: expect.stringMatching(message) }]);
    expect(e.message).toContain('/etc/kora.yaml');
  });

  it.each<[string, Partial<TaskSpec>, string]>([
    ['no schedule', {}, 'every'],
    ['both every and cron', { every: '5m', cron: '* * * * *' }, 'cron'],
    ['a bad duration', { every: '5 minutes' as never }, 'every'],
    ['a fractional period', { every: 1.5 }, 'every'],
    ['an invalid cron', { cron: 'every day' }, 'cron'],
    ['a zero period', { every: 0 }, 'every'],
    ['a sub-second period', { every: 250 }, 'every'],
    ['a negative period', { every: -5000 }, 'every'],
    ['an offset of more than the period', { every: '1m', offset: '90s' }, 'offset'],
    ['a negative offset', { every: '1m', offset: -1 }, 'offset'],
    ['an unknown time zone', { cron: '0 9 * * *', timezone: 'Mars/Olympus' }, 'timezone'],
  ])('rejects a spec with %s, naming the plugin, daemon and task', (_, spec, field) => {
    const e = issues(() => resolve(spec));
    expect(e.file).toBeUndefined();
    expect(e.issues.map((i) => i.path)).toEqual([`tasks.snapshot.compute.${field}`]);
    expect(e.message).toContain('task "snapshot.compute" registered by daemon "snapshot" of plugin "snap"');
    expect(e.message).toContain('(set daemons.snapshot.tasks.snapshot.compute in /etc/kora.yaml to override it)');
  });

  it('refuses a sub-second period with the same code and message from the spec as from the override', () => {
    const fromSpec = issues(() => resolve({ every: '200ms' }));
    const fromOverride = issues(() => resolve({ every: '5m' }, { every: '200ms' }));
    expect(fromSpec.issues).toEqual([{ path: 'tasks.snapshot.compute.every', message: 'must be at least 1s, got 200ms' }]);
    expect(fromOverride.issues).toEqual([{ path: 'daemons.snapshot.tasks.snapshot.compute.every', message: 'must be at least 1s, got 200ms' }]);
    expect(resolve({ every: '1s' })?.schedule).toEqual({ kind: 'every', everyMs: 1000, offsetMs: 0 });
    expect(resolve({ every: 1000, offset: 999 })?.schedule).toEqual({ kind: 'every', everyMs: 1000, offsetMs: 999 });
  });

  it('shows a cron expression as JSON, so a newline in it cannot start a line of the message', () => {
    const e = issues(() => resolve({ every: '5m' }, { cron: '0 9 * * *\nKora gateway running' }));
    expect(e.message.split('\n')).toHaveLength(2);
    expect(e.issues[0]?.message).toMatch(/^"0 9 \* \* \*\\nKora gateway running" is not a valid cron expression/);
  });

  it('takes the time from its caller, never from the process clock', () => {
    const dateNow = vi.spyOn(Date, 'now');
    expect(resolve({ cron: '*/10 * * * *' })).toMatchObject({ missed: 'skip' });
    expect(resolve({ every: '1h' })).toMatchObject({ missed: 'run-once' });
    expect(dateNow).not.toHaveBeenCalled();
  });

  it('does not judge a bad spec schedule the override replaces', () => {
    expect(resolve({ cron: 'nonsense' }, { every: '5m' })?.schedule).toMatchObject({ kind: 'every' });
  });

  it('reports every problem of an override at once', () => {
    const e = issues(() => resolve({ every: '5m' }, { every: '0s', timeout: 'soon' }));
    expect(e.issues.map((i) => i.path.split('.').pop())).toEqual(['every', 'timeout']);
  });
});

describe('describeSchedule', () => {
  it('says what the schedule is in config terms', () => {
    expect(describeSchedule({ kind: 'every', everyMs: 5 * MINUTE, offsetMs: 0 })).toBe('every 5m');
    expect(describeSchedule({ kind: 'every', everyMs: DAY, offsetMs: 3 * HOUR })).toBe('every 1d, offset 3h');
    expect(describeSchedule({ kind: 'cron', expression: '*/10 * * * *', timezone: 'UTC' })).toBe('cron */10 * * * * (UTC)');
  });
});
