import { describe, expect, it } from 'vitest';
import { parseConfig } from './load.js';
import { checkPluginConfig } from './plugin-config-check.js';

const TEXT = `plugins:
  enabled: [kora, slack, email]
  disabled: [email]
  config:
    kora: { greeting: hi }
    slack: { channel: ops }
    email: { from: kora@example.org }
    probes: { every: 5m }
    marvni: { mood: low }
daemons:
  reasoning_engine: { fatal: false }
  snapshto: { fatal: false }
`;
const { config, source } = parseConfig(TEXT, '/srv/kora/kora.yaml');

const plugins = [
  { id: 'kora', enabled: true, hasSchema: true },
  { id: 'slack', enabled: true, hasSchema: false },
  { id: 'email', enabled: false, hasSchema: false },
  { id: 'probes', enabled: false, hasSchema: false },
  { id: 'marvin', enabled: false, hasSchema: false },
];

describe('checkPluginConfig', () => {
  it('warns, with path and line, about plugin config nothing will check or read', () => {
    expect(checkPluginConfig({ config, source, plugins })).toEqual([
      { path: 'plugins.config.slack', line: 6, message: 'plugin "slack" declares no configSchema, so nothing checks this config: a misspelt key is silently ignored' },
      { path: 'plugins.config.email', line: 7, message: 'plugin "email" is in plugins.disabled, so this config is not used' },
      { path: 'plugins.config.probes', line: 8, message: 'plugin "probes" is not in plugins.enabled, so this config is not used: `kora plugins enable probes` enables it' },
      { path: 'plugins.config.marvni', line: 9, message: 'no plugin "marvni" was found in any source, so this config is not used (found: kora, slack, email, probes, marvin)' },
    ]);
  });

  it('warns about settings for a daemon no loaded plugin registers, when given the daemons', () => {
    const warnings = checkPluginConfig({ config, source, plugins, daemons: ['reasoning_engine', 'snapshot'] });
    expect(warnings.filter((w) => w.path.startsWith('daemons.'))).toEqual([
      { path: 'daemons.snapshto', line: 12, message: 'no loaded plugin registers a daemon "snapshto", so these settings are not used (known: reasoning_engine, snapshot)' },
    ]);
  });

  it('has nothing to say about a config every plugin checks', () => {
    const clean = parseConfig('plugins:\n  enabled: [kora]\n  config:\n    kora: {}\n', '/k.yaml');
    expect(checkPluginConfig({ config: clean.config, source: clean.source, plugins: [{ id: 'kora', enabled: true, hasSchema: true }], daemons: [] })).toEqual([]);
  });

  it('works without a source, with no lines', () => {
    expect(checkPluginConfig({ config, plugins: [] }).every((w) => w.line === undefined)).toBe(true);
  });
});
