// From a daemon's TaskSpec plus the operator's override in kora.yaml to the one schedule the
// scheduler runs. Invalid schedules are errors that say where to fix them, never defaults.
// Pure (the time comes in as an argument), so `kora config check` runs the same checks as boot.
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
/** The shortest interval a task may have: below a second, a task is a busy loop, not a schedule. */
export const MIN_PERIOD_MS = 1000;
const MISSED_POLICIES: readonly string[] = ['skip', 'run-once'] satisfies MissedPolicy[];

/** Where a task's override lives: the config file and the override's dotted path in it. */
export interface TaskOverrideLocation {
  file?: string;
  /** e.g. `daemons.snapshot.tasks.snapshot.compute`; default built from the daemon and task names. */
  path?: string;
}

/**
 * Resolve a task, or return null when the operator disabled it; an invalid schedule throws a
 * ConfigError `KORA_ERR_SCHEDULE_INVALID` whose issues give the field's path and whose message
 * names the task and the kora.yaml path that overrides it, whether the bad value came from the
 * spec or the override. `now` is the gateway's clock reading: it only picks which fire times a
 * cron's period is judged from.
 */
export function resolveTask(
  spec: TaskSpec,
  owner: { daemon: string; pluginId: string },
  override: TaskOverride | undefined,
  where: TaskOverrideLocation,
  now: number,
): ResolvedTask | null {
  override ??= {};
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
    let everyMs = issues.duration(src, 'every', every);
    if (everyMs === 0) issues.add(src, 'every', `must be greater than zero: the shortest period is ${formatDuration(MIN_PERIOD_MS)}`);
    else if (everyMs !== undefined && everyMs < MIN_PERIOD_MS) issues.add(src, 'every', `must be at least ${formatDuration(MIN_PERIOD_MS)}, got ${formatDuration(everyMs)}`);
    if (everyMs !== undefined && everyMs < MIN_PERIOD_MS) everyMs = undefined;
    // An override of `every` keeps the spec's offset: both describe the same kind of schedule.
    const offsetSrc = override.offset !== undefined ? 'override' : 'spec';
    const offset = override.offset ?? spec.offset;
    const offsetMs = offset === undefined ? 0 : issues.duration(offsetSrc, 'offset', offset);
    if (everyMs !== undefined && offsetMs !== undefined) {
      if (offsetMs >= everyMs) issues.add(offsetSrc, 'offset', `must be less than the period (${formatDuration(everyMs)})`);
      else schedule = { kind: 'every', everyMs, offsetMs };
      periodMs = everyMs;
    }
  } else if (cron !== undefined) {
    if (override.offset !== undefined) issues.add('override', 'offset', 'applies to `every` schedules only');
    if (!fromOverride && spec.offset !== undefined) issues.add('spec', 'offset', 'applies to `every` schedules only');
    const tzSrc = override.timezone !== undefined ? 'override' : 'spec';
    const timezone = override.timezone ?? spec.timezone ?? 'UTC';
    const expression = typeof cron === 'string' ? cron.trim() : '';
    if (typeof timezone !== 'string' || !isTimeZone(timezone)) {
      issues.add(tzSrc, 'timezone', `${quote(timezone)} is not an IANA time zone (e.g. UTC, Europe/Berlin, America/New_York)`);
    } else if (typeof cron !== 'string') {
      issues.add(src, 'cron', `must be a cron expression (text), got ${quote(cron)}`);
    } else {
      let grid: CronGrid | undefined;
      try {
        grid = new CronGrid(expression, timezone);
      } catch (err) {
        issues.add(src, 'cron', `${quote(expression)} is not a valid cron expression: ${cronMessage(err)}`);
      }
      // croner converts to the zone only when it computes a fire time, so a zone it refuses shows here.
      if (grid) {
        try {
          periodMs = cronPeriod(grid, now);
          if (periodMs === undefined) issues.add(src, 'cron', `${quote(expression)} never fires`);
          else schedule = { kind: 'cron', expression, timezone };
        } catch (err) {
          issues.add(tzSrc, 'timezone', `${quote(timezone)} is refused by the cron library: ${cronMessage(err)}`);
        }
      }
    }
  }

  const timeoutSrc = override.timeout !== undefined ? 'override' : 'spec';
  const timeout = override.timeout ?? spec.timeout;
  let timeoutMs = timeout === undefined ? undefined : issues.duration(timeoutSrc, 'timeout', timeout);
  if (timeoutMs === 0) issues.add(timeoutSrc, 'timeout', 'must be greater than zero');

  const missedSrc = override.missed !== undefined ? 'override' : 'spec';
  const missed = override.missed ?? spec.missed;
  if (missed !== undefined && !MISSED_POLICIES.includes(missed)) issues.add(missedSrc, 'missed', `must be "skip" or "run-once", got ${quote(missed)}`);

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

// croner's message quotes the expression as given, so it is escaped like a quoted value.
function cronMessage(err: unknown): string {
  return escapeControls((err instanceof Error ? err.message : String(err)).replace(/^Cron(Pattern|Date): /, ''));
}

// A value from a spec or kora.yaml, shown as JSON so a newline in it cannot start a line of its own.
function quote(value: unknown): string {
  return escapeControls(JSON.stringify(value) ?? String(value));
}

// Control characters as JSON escapes, and also DEL, the C1 controls and the Unicode line
// separators, which JSON.stringify leaves as they are.
function escapeControls(text: string): string {
  let out = '';
  for (const c of text) {
    const code = c.charCodeAt(0);
    if (code < 0x20) out += JSON.stringify(c).slice(1, -1);
    else if ((code >= 0x7f && code <= 0x9f) || code === 0x2028 || code === 0x2029) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += c;
  }
  return out;
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
      this.add(src, field, `expected a whole number of milliseconds, got ${quote(value)}`);
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
    // The plugin's mistake, but the operator need not wait for a fix: an override replaces it.
    return new ConfigError(
      'KORA_ERR_SCHEDULE_INVALID',
      undefined,
      this.#spec,
      `Invalid schedule for task "${this.#task}" registered by daemon "${owner.daemon}" of plugin "${owner.pluginId}" (set ${this.#overridePath} in ${file ?? 'kora.yaml'} to override it):`,
    );
  }
}
