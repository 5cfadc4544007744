import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.js';
import { parseConfigText } from './load.js';
import { cronProblem, MIN_PERIOD_MS, offsetProblem, periodProblem, timezoneProblem } from './schedule-rules.js';

const FILE = '/etc/kora/kora.yaml';

function issuesOf(yaml: string): string[] {
  try {
    parseConfigText(`plugins:\n  enabled: [kora]\n${yaml}`, FILE);
  } catch (err) {
    if (err instanceof ConfigError) return err.message.split('\n').slice(1).map((l) => l.replace(/^ {2}- /, ''));
    throw err;
  }
  return [];
}

const task = (override: string) => `daemons:\n  snapshot:\n    tasks:\n      snapshot.compute: ${override}\n`;
const TASK_PATH = 'daemons.snapshot.tasks.snapshot.compute';

describe('durations checked with the file', () => {
  it.each([
    ['hooks:\n  timeout: 0s\n', 'hooks.timeout (line 4): must be greater than zero'],
    ['hooks:\n  timeout: 30d\n', 'hooks.timeout (line 4): must be at most 24d20h (the longest a timer can wait)'],
    ['gateway:\n  drainBudget: soon\n', 'gateway.drainBudget (line 4): expected a duration: an integer and a unit, e.g. 500ms, 30s, 5m, 2h, 1d'],
    ['store:\n  ledger: { maxAge: 0d }\n', 'store.ledger.maxAge (line 4): must be greater than zero'],
    ['store:\n  audit: { maxAge: 90 days }\n', 'store.audit.maxAge (line 4): expected a duration: an integer and a unit, e.g. 500ms, 30s, 5m, 2h, 1d'],
    ['daemons:\n  web: { startTimeout: 0ms }\n', 'daemons.web.startTimeout (line 4): must be greater than zero'],
    ['daemons:\n  web: { stopTimeout: 99999999999999999999d }\n', 'daemons.web.stopTimeout (line 4): expected a duration: an integer and a unit, e.g. 500ms, 30s, 5m, 2h, 1d'],
    [task('{ every: 5m, timeout: 0s }'), `${TASK_PATH}.timeout (line 6): must be greater than zero`],
  ])('refuses %j', (yaml, issue) => {
    expect(issuesOf(yaml)).toEqual([issue]);
  });

  it('accepts a zero drain budget (abort runs at once) and the longest timer', () => {
    expect(issuesOf('gateway: { drainBudget: 0s }\nhooks: { timeout: 24d }\n')).toEqual([]);
  });
});

describe('task overrides checked with the file', () => {
  it.each([
    ['{ every: 0s }', `${TASK_PATH}.every (line 6): must be greater than zero`],
    ['{ every: 500ms }', `${TASK_PATH}.every (line 6): must be at least 1s, got 500ms`],
    ['{ every: 5m, cron: "* * * * *" }', `${TASK_PATH}.cron (line 6): set either \`every\` or \`cron\`, not both`],
    ['{ cron: "61 * * * *" }', `${TASK_PATH}.cron (line 6): "61 * * * *" is not a valid cron expression: Invalid value for minute: 61`],
    ['{ cron: "0 0 30 2 *" }', `${TASK_PATH}.cron (line 6): "0 0 30 2 *" never fires`],
    ['{ cron: "0 9 * * *", timezone: Mars/Olympus }', `${TASK_PATH}.timezone (line 6): "Mars/Olympus" is not an IANA time zone (e.g. UTC, Europe/Berlin, America/New_York)`],
    ['{ every: 5m, timezone: UTC }', `${TASK_PATH}.timezone (line 6): applies to \`cron\` schedules only`],
    ['{ cron: "0 9 * * *", offset: 1m }', `${TASK_PATH}.offset (line 6): applies to \`every\` schedules only`],
    ['{ every: 1h, offset: 1h }', `${TASK_PATH}.offset (line 6): must be less than the period (1h)`],
    ['{ enabled: "no" }', `${TASK_PATH}.enabled (line 6): Invalid input: expected boolean, received string`],
    ['{ missed: always }', `${TASK_PATH}.missed (line 6): Invalid option: expected one of "skip"|"run-once"`],
  ])('refuses %s', (override, issue) => {
    expect(issuesOf(task(override))).toEqual([issue]);
  });

  it.each(['{ every: 1s }', '{ every: 1d, offset: 3h }', '{ cron: "*/10 * * * *" }', '{ cron: "*/5 * * * * *" }', '{ cron: "0 9 * * 1-5", timezone: Europe/Berlin }', '{ enabled: false }', '{ timezone: Europe/Paris }'])(
    'accepts %s',
    (override) => {
      expect(issuesOf(task(override))).toEqual([]);
    },
  );

  it('names the line of the field inside a block mapping', () => {
    expect(issuesOf('daemons:\n  snapshot:\n    tasks:\n      snapshot.compute:\n        enabled: true\n        every: 100ms\n')).toEqual([`${TASK_PATH}.every (line 8): must be at least 1s, got 100ms`]);
  });

  it('points an unknown key at its own line', () => {
    expect(issuesOf('daemons:\n  snapshot:\n    tasks:\n      snapshot.compute:\n        every: 5m\n        evry: 5m\n')).toEqual([
      `${TASK_PATH} (line 8): unknown key "evry" (check the spelling; \`kora config schema\` lists every key)`,
    ]);
  });
});

describe('the shared schedule rules', () => {
  it('put the period floor at one second', () => {
    expect(MIN_PERIOD_MS).toBe(1000);
    expect(periodProblem(999)).toMatch(/at least 1s/);
    expect(periodProblem(1000)).toBeUndefined();
    expect(periodProblem(0)).toBe('must be greater than zero');
  });

  it('judge offsets, zones and crons', () => {
    expect(offsetProblem(59_999, 60_000)).toBeUndefined();
    expect(offsetProblem(60_000, 60_000)).toMatch(/less than the period/);
    expect(timezoneProblem('America/New_York')).toBeUndefined();
    expect(cronProblem('0 9 * * *', 'America/New_York')).toBeUndefined();
    expect(cronProblem('  ')).toBe('must not be empty');
    expect(cronProblem('every day')).toMatch(/is not a valid cron expression/);
  });
});
