// The rules a task schedule must follow, in one place for both who check one: the config schema
// (an operator's override in kora.yaml, before any plugin loads) and schedule/resolve.ts (a
// plugin's own TaskSpec, merged with the override). Each returns the problem, or undefined.
import { createCron } from '../schedule/slots.js';
import { formatDuration } from '../time/duration.js';

/** The shortest period a task may have: a slot is a whole second (cron's resolution too), and anything faster is a busy loop with a ledger row per run. */
export const MIN_PERIOD_MS = 1000;

export const TIMEZONE_EXAMPLES = 'e.g. UTC, Europe/Berlin, America/New_York';

/** An `every` period in milliseconds: more than zero, at least the floor. */
export function periodProblem(everyMs: number): string | undefined {
  if (everyMs <= 0) return 'must be greater than zero';
  if (everyMs < MIN_PERIOD_MS) return `must be at least ${formatDuration(MIN_PERIOD_MS)}, got ${formatDuration(everyMs)}`;
  return undefined;
}

/** An interval's offset: shorter than the period it shifts. */
export function offsetProblem(offsetMs: number, everyMs: number): string | undefined {
  return offsetMs >= everyMs ? `must be less than the period (${formatDuration(everyMs)})` : undefined;
}

export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

export function timezoneProblem(zone: string): string | undefined {
  return isTimeZone(zone) ? undefined : `"${zone}" is not an IANA time zone (${TIMEZONE_EXAMPLES})`;
}

/**
 * A cron expression, parsed the way the scheduler parses it (croner, 5 or 6 fields). Whether it
 * ever fires is judged from the epoch: without a year field, a pattern that fires at all fires
 * again every year, so the answer does not depend on today's date and needs no clock.
 */
export function cronProblem(expression: string, timezone = 'UTC'): string | undefined {
  const text = expression.trim();
  if (text === '') return 'must not be empty';
  if (!isTimeZone(timezone)) return undefined; // reported on the timezone, where it can be fixed
  try {
    const cron = createCron(text, timezone);
    if (!cron.nextRun(new Date(0))) return `"${text}" never fires`;
  } catch (err) {
    return `"${text}" is not a valid cron expression: ${(err instanceof Error ? err.message : String(err)).replace(/^CronPattern: /, '')}`;
  }
  return undefined;
}
