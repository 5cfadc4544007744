import { parseDocument } from 'yaml';
import { describe, expect, it } from 'vitest';
import { setPluginList } from './config-edit.js';

const COMMENTED = `# Kora config for the ops box.
home: ./.kora-home        # aligned comment

plugins:
  # Load order = identity precedence.
  enabled:
    - kora                # the agent
    # admin surfaces
    - web                 # admin UI
  disabled: [ legacy ]    # never load

  config:
    kora: {}

log:
  level: info   # keep it quiet
`;

const lists = (text: string) => {
  const plugins = (parseDocument(text).toJS() as { plugins: Record<string, unknown> }).plugins;
  return { enabled: plugins.enabled, disabled: plugins.disabled };
};

describe('setPluginList', () => {
  it('moves and adds block-list items, keeping each item\'s comments and every other byte', () => {
    const out = setPluginList(COMMENTED, 'enabled', ['marvin', 'web', 'kora']);
    expect(out).toBe(
      COMMENTED.replace(
        '    - kora                # the agent\n    # admin surfaces\n    - web                 # admin UI\n',
        '    - marvin\n    # admin surfaces\n    - web                 # admin UI\n    - kora                # the agent\n',
      ),
    );
    expect(lists(out)).toEqual({ enabled: ['marvin', 'web', 'kora'], disabled: ['legacy'] });
  });

  it('rewrites a flow list in place, keeping its padding and the comment after it', () => {
    const out = setPluginList(COMMENTED, 'disabled', ['legacy', 'marvin']);
    expect(out).toBe(COMMENTED.replace('disabled: [ legacy ]    # never load', 'disabled: [ legacy, marvin ]    # never load'));
  });

  it('writes an unpadded flow list the way it was written', () => {
    expect(setPluginList('plugins:\n  enabled: [kora] # order\n', 'enabled', ['marvin', 'kora'])).toBe('plugins:\n  enabled: [marvin, kora] # order\n');
  });

  it('adds a missing list under plugins, after enabled, at the same indentation', () => {
    const text = 'plugins:\n    enabled: [kora]   # just Kora\n    config: {}\n# end\n';
    expect(setPluginList(text, 'disabled', ['marvin'])).toBe('plugins:\n    enabled: [kora]   # just Kora\n    disabled: [marvin]\n    config: {}\n# end\n');
  });

  it('fills an empty or null value', () => {
    expect(setPluginList('plugins:\n  enabled: [kora]\n  disabled:   # none yet\n', 'disabled', ['x'])).toBe('plugins:\n  enabled: [kora]\n  disabled: [x]   # none yet\n');
    expect(setPluginList('plugins:\n  enabled: [kora]\n  disabled: ~\n', 'disabled', ['x'])).toBe('plugins:\n  enabled: [kora]\n  disabled: [x]\n');
  });

  it('turns a block list that becomes empty into [] so it does not read as null', () => {
    const out = setPluginList('plugins:\n  enabled: [kora]\n  disabled:\n    - marvin\nlog: {}\n', 'disabled', []);
    expect(out).toBe('plugins:\n  enabled: [kora]\n  disabled: []\nlog: {}\n');
  });

  it('keeps a file without a final newline without one', () => {
    expect(setPluginList('plugins:\n  enabled:\n    - kora', 'enabled', ['kora', 'marvin'])).toBe('plugins:\n  enabled:\n    - kora\n    - marvin');
  });

  it('quotes an id that plain YAML would read as something else', () => {
    expect(lists(setPluginList('plugins:\n  enabled: [kora]\n', 'enabled', ['kora', 'null'])).enabled).toEqual(['kora', 'null']);
  });

  it('falls back to the Document API for a flow-style plugins map, still keeping comments', () => {
    const out = setPluginList('# top\nplugins: { enabled: [kora] } # inline\n', 'enabled', ['marvin', 'kora']);
    expect(lists(out).enabled).toEqual(['marvin', 'kora']);
    expect(out).toContain('# top');
    expect(out).toContain('# inline');
  });
});
