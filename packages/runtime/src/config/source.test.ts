import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.js';
import { parseConfig } from './load.js';

const FILE = '/etc/kora/kora.yaml';
const TEXT = `plugins:
  enabled: [kora, slack]
  config:
    slack:
      channel: ops
      retry:
        attempts: 3
daemons:
  snapshot:
    fatal: false
    tasks:
      snapshot.compute:
        every: 10m
      snapshot.compute.hourly: { cron: "0 * * * *" }
`;

const { source } = parseConfig(TEXT, FILE);

describe('ConfigSource.lineOf', () => {
  it.each([
    ['plugins', 1],
    ['plugins.enabled', 2],
    ['plugins.enabled.1', 2],
    ['plugins.config.slack', 4],
    ['plugins.config.slack.channel', 5],
    ['plugins.config.slack.retry.attempts', 7],
    ['daemons.snapshot.fatal', 10],
    ['daemons.snapshot.tasks.snapshot.compute', 12],
    ['daemons.snapshot.tasks.snapshot.compute.every', 13],
    ['daemons.snapshot.tasks.snapshot.compute.hourly.cron', 14],
  ])('finds %s on line %i', (path, line) => {
    expect(source.lineOf(path)).toBe(line);
  });

  it('takes keys as an array too, so a key with dots needs no guessing', () => {
    expect(source.lineOf(['daemons', 'snapshot', 'tasks', 'snapshot.compute', 'every'])).toBe(13);
  });

  it('gives the nearest ancestor written in the file for a field left out', () => {
    expect(source.lineOf('plugins.config.slack.token')).toBe(4);
    expect(source.lineOf('daemons.snapshot.tasks.snapshot.compute.timeout')).toBe(12);
    expect(source.lineOf('hooks.timeout')).toBeUndefined();
  });

  it('follows aliases to where their anchor is written', () => {
    const aliased = parseConfig('plugins: { enabled: [] }\ndaemons:\n  a: &quiet\n    fatal: false\n  b: *quiet\n', FILE).source;
    expect(aliased.lineOf('daemons.b.fatal')).toBe(4);
  });
});

describe('ConfigError.withSource', () => {
  it('gives an error raised without a file (a plugin schema, the hook bus) the file and its lines', () => {
    const raised = new ConfigError('KORA_ERR_CONFIG_INVALID', undefined, [
      { path: 'plugins.config.slack.retry.attempts', message: 'expected a number <= 2' },
      { path: 'hooks.timeout', message: 'expected a positive number of milliseconds, got 0' },
    ]);
    expect(raised.message).not.toContain('(no config file)');
    const located = raised.withSource(source);
    expect(located).toBeInstanceOf(ConfigError);
    expect(located.file).toBe(FILE);
    expect(located.code).toBe('KORA_ERR_CONFIG_INVALID');
    expect(located.message).toBe(
      [`Invalid config in ${FILE}:`, '  - plugins.config.slack.retry.attempts (line 7): expected a number <= 2', '  - hooks.timeout: expected a positive number of milliseconds, got 0'].join('\n'),
    );
  });

  it('renders a headline template with the file once it is known', () => {
    const raised = new ConfigError('KORA_ERR_CONFIG_INVALID', undefined, [{ path: 'plugins.config.slack.channel', message: 'bad' }], (where) => `Invalid config for plugin "slack" in ${where}:`);
    expect(raised.message.split('\n')[0]).toBe('Invalid config for plugin "slack" in the config:');
    expect(raised.withSource(source).message.split('\n')).toEqual([`Invalid config for plugin "slack" in ${FILE}:`, '  - plugins.config.slack.channel (line 5): bad']);
  });

  it('adds lines to the daemon planner\'s issues', () => {
    const raised = new ConfigError('KORA_ERR_CONFIG_INVALID', FILE, [{ path: 'daemons.snapshot.tasks.snapshot.compute', message: 'daemon "snapshot" has no task "snapshot.compute"' }]);
    expect(raised.withSource(source).issues).toEqual([{ path: 'daemons.snapshot.tasks.snapshot.compute', message: 'daemon "snapshot" has no task "snapshot.compute"', line: 12 }]);
  });

  it('leaves an error about a plugin\'s own spec (a fixed headline, paths not in the file) as it was', () => {
    const raised = new ConfigError('KORA_ERR_SCHEDULE_INVALID', undefined, [{ path: 'tasks.x.every', message: 'must be greater than zero' }], 'Invalid schedule for task "x" registered by daemon "d" of plugin "p":');
    const located = raised.withSource(source);
    expect(located.file).toBeUndefined();
    expect(located.message).toBe(raised.message);
  });

  it('keeps lines an issue already has', () => {
    const raised = new ConfigError('KORA_ERR_CONFIG_INVALID', FILE, [{ path: 'plugins.enabled', message: 'x', line: 99 }]);
    expect(raised.withSource(source).issues[0]?.line).toBe(99);
  });
});
