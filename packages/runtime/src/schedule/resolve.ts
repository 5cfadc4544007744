// From a daemon's TaskSpec plus the operator's override in kora.yaml to the one schedule the
// scheduler runs. Invalid schedules are errors that say where to fix them, never defaults.
import { ConfigError, type ConfigIssue } from '../errors.js';
import type { MissedPolicy, TaskSpec } from '../daemons/types.js';
import { formatDuration, parseDuration } from '../time/duration.js';
import { CronGrid, type TaskSchedule } from './slots.js';

export type { TaskSchedule } from './slots.js';

/** `daemons.<daemon>.tasks.<task>` in kora.yaml. */
export interface TaskOverride {
  every?: string;
  cron?: string;
  timezone?: string;
  enabled?: boolean;
  timeout?: string;
  missed?: MissedPolicy;
  offset?: string;
}

export interface ResolvedTask {
  name: string;
  daemon: string;
  pluginId: string;
  schedule: TaskSchedule;
  runOnStart: boolean;
  timeoutMs: number;
  missed: MissedPolicy;
  run: TaskSpec['run'];
}

const HOUR = 3_600_000;
const MISSED_POLICIES: readonly string[] = ['skip', 'run-once'] satisfies MissedPolicy[];

/**
 * Resolve a task, or return null when the operator disabled it. `where.path` is the override's
 * dotted path in the config file (e.g. `daemons.snapshot.tasks.snapshot.compute`); `now` only
 * picks which fire times a cron's period is judged from.
 */
export function resolveTask(
  spec: TaskSpec,
  owner: { daemon: string; pluginId: string },
  override: TaskOverride = {},
  where: { file?: string; path?: string } = {},
  now: number = Date.now(),
): ResolvedTask | null {
  if (override.enabled === false) return null;
  const issues = new Issues(spec.name, where.path ?? `daemons.${owner.daemon}.tasks.${spec.name}`);

  // The override's schedule, when it has one, replaces the spec's whole schedule.
  const fromOverride = override.every !== undefined || override.cron !== undefined;
  const src: 'override' | 'spec' = fromOverride ? 'override' : 'spec';
  const every = fromOverride ? override.every : spec.every;
  const cron = fromOverride ? override.cron : spec.cron;
  if ((every === undefined) === (cron === undefined)) {
    issues.add(src, every === undefined ? 'every' : 'cron', every === undefined ? 'needs a schedule: set `every` (e.g. 5m) or `cron`' : 'set either `every` or `cron`, not both');
    throw issues.error(owner, where.file);
  }

  let schedule: TaskSchedule | undefined;
  let periodMs: number | undefined;
  if (every !== undefined) {
    if (override.timezone !== undefined) issues.add('override', 'timezone', 'applies to `cron` schedules only');
    if (!fromOverride && spec.timezone !== undefined) issues.add('spec', 'timezone', 'applies to `cron` schedules only');
    const everyMs = issues.duration(src, 'every', every);
    if (everyMs === 0) issues.add(src, 'every', 'must be greater than zero');
    // An override of `every` keeps the spec's offset: both describe the same kind of schedule.
    const offsetSrc = override.offset !== undefined ? 'override' : 'spec';
    const offset = override.offset ?? spec.offset;
    const offsetMs = offset === undefined ? 0 : issues.duration(offsetSrc, 'offset', offset);
    if (everyMs !== undefined && everyMs > 0 && offsetMs !== undefined) {
      if (offsetMs >= everyMs) issues.add(offsetSrc, 'offset', `must be less than the period (${formatDuration(everyMs)})`);
      else schedule = { kind: 'every', everyMs, offsetMs };
      periodMs = everyMs;
    }
  } else if (cron !== undefined) {
    if (override.offset !== undefined) issues.add('override', 'offset', 'applies to `every` schedules only');
    if (!fromOverride && spec.offset !== undefined) issues.add('spec', 'offset', 'applies to `every` schedules only');
    const tzSrc = override.timezone !== undefined ? 'override' : 'spec';
    const timezone = override.timezone ?? spec.timezone ?? 'UTC';
    const expression = cron.trim();
    if (!isTimeZone(timezone)) {
      issues.add(tzSrc, 'timezone', `"${timezone}" is not an IANA time zone (e.g. UTC, Europe/Berlin, America/New_York)`);
    } else {
      try {
        periodMs = cronPeriod(new CronGrid(expression, timezone), now);
        if (periodMs === undefined) issues.add(src, 'cron', `"${expression}" never fires`);
        else schedule = { kind: 'cron', expression, timezone };
      } catch (err) {
        issues.add(src, 'cron', `"${expression}" is not a valid cron expression: ${cronMessage(err)}`);
      }
    }
  }

  const timeoutSrc = override.timeout !== undefined ? 'override' : 'spec';
  const timeout = override.timeout ?? spec.timeout;
  let timeoutMs = timeout === undefined ? undefined : issues.duration(timeoutSrc, 'timeout', timeout);
  if (timeoutMs === 0) issues.add(timeoutSrc, 'timeout', 'must be greater than zero');

  const missedSrc = override.missed !== undefined ? 'override' : 'spec';
  const missed = override.missed ?? spec.missed;
  if (missed !== undefined && !MISSED_POLICIES.includes(missed)) issues.add(missedSrc, 'missed', `must be "skip" or "run-once", got "${String(missed)}"`);

  if (!issues.empty || !schedule || periodMs === undefined) throw issues.error(owner, where.file);

  timeoutMs ??= schedule.kind === 'every' ? Math.min(periodMs, HOUR) : HOUR;
  return {
    name: spec.name,
    daemon: owner.daemon,
    pluginId: owner.pluginId,
    schedule,
    runOnStart: spec.runOnStart === true,
    timeoutMs,
    missed: missed ?? (periodMs < HOUR ? 'skip' : 'run-once'),
    run: spec.run,
  };
}

// "every 5m", "every 1d, offset 3h", "cron 0 9 * * 1-5 (Europe/Berlin)".
export function describeSchedule(s: TaskSchedule): string {
  if (s.kind === 'cron') return `cron ${s.expression} (${s.timezone})`;
  return `every ${formatDuration(s.everyMs)}${s.offsetMs ? `, offset ${formatDuration(s.offsetMs)}` : ''}`;
}

// A cron's period, for the defaults: the shortest gap among its next few fire times, so a
// pattern with uneven gaps (`0,30 9 * * *`) is judged by its busiest stretch wherever `now` falls.
function cronPeriod(grid: CronGrid, now: number): number | undefined {
  let prev = grid.nextSlotAfter(now);
  if (!Number.isFinite(prev)) return undefined;
  let shortest: number | undefined;
  for (let i = 0; i < 4; i++) {
    const next = grid.nextSlotAfter(prev);
    if (!Number.isFinite(next)) break;
    shortest = Math.min(shortest ?? Infinity, next - prev);
    prev = next;
  }
  // A pattern that fires once and never again (a date long past its year) has no period; treat it as long.
  return shortest ?? Infinity;
}

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

function cronMessage(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).replace(/^CronPattern: /, '');
}

// Problems found while resolving, kept apart by who can fix them: the operator (config file) or
// the plugin author (the spec passed to registerDaemon).
class Issues {
  readonly #task: string;
  readonly #overridePath: string;
  readonly #override: ConfigIssue[] = [];
  readonly #spec: ConfigIssue[] = [];

  constructor(task: string, overridePath: string) {
    this.#task = task;
    this.#overridePath = overridePath;
  }

  get empty(): boolean {
    return this.#override.length === 0 && this.#spec.length === 0;
  }

  add(src: 'override' | 'spec', field: string, message: string): void {
    if (src === 'override') this.#override.push({ path: `${this.#overridePath}.${field}`, message });
    else this.#spec.push({ path: `tasks.${this.#task}.${field}`, message });
  }

  duration(src: 'override' | 'spec', field: string, value: string | number): number | undefined {
    try {
      const ms = parseDuration(value, field);
      if (Number.isSafeInteger(ms)) return ms;
      this.add(src, field, `expected a whole number of milliseconds, got ${value}`);
    } catch (err) {
      this.add(src, field, err instanceof Error ? err.message.replace(`${field}: `, '') : String(err));
    }
    return undefined;
  }

  error(owner: { daemon: string; pluginId: string }, file: string | undefined): ConfigError {
    // The operator's mistakes first: they can fix those without waiting for a plugin release.
    if (this.#override.length > 0) {
      return new ConfigError('KORA_ERR_SCHEDULE_INVALID', file, this.#override, `Invalid schedule for task "${this.#task}" in ${file ?? 'the config'}:`);
    }
    return new ConfigError(
      'KORA_ERR_SCHEDULE_INVALID',
      undefined,
      this.#spec,
      `Invalid schedule for task "${this.#task}" registered by daemon "${owner.daemon}" of plugin "${owner.pluginId}":`,
    );
  }
}
