import { describe, expect, it } from 'vitest';
import { configSchema } from '../config/schema.js';
import { HOOK_KINDS, type HookKind } from '../hooks/catalog.js';
import { emptyRegistrations } from './context.js';
import type { PluginRecord } from './loader.js';
import { declaredHookWarnings, notEnabledNotices } from './notices.js';

const kindOf = (defined: Record<string, HookKind> = {}) => (hook: string) => (HOOK_KINDS as Record<string, HookKind>)[hook] ?? defined[hook];

describe('declaredHookWarnings', () => {
  it('says nothing for declared hooks that were registered, catalogued or not', () => {
    expect(declaredHookWarnings('p', ['gateway_started', 'p_custom'], ['gateway_started', 'p_custom'], kindOf())).toEqual([]);
  });

  it('names a declared hook never registered; a defined custom hook is not called uncatalogued', () => {
    expect(declaredHookWarnings('p', ['p_custom'], [], kindOf({ p_custom: 'observe' }))).toEqual([
      'plugin "p": its manifest (kora.hooks) names hook "p_custom", which its register() never registered (a stale manifest, or a hook registered only under some config)',
    ]);
  });

  it('suggests the nearest catalogued name only when one is close', () => {
    const [typo, far] = declaredHookWarnings('p', ['pre_llm_cal', 'weather_report'], [], kindOf());
    expect(typo).toMatch(/names hook "pre_llm_cal", which is not in the hook catalog .*; did you mean "pre_llm_call"\?$/);
    expect(far).not.toContain('did you mean');
  });
});

describe('notEnabledNotices', () => {
  const record = (id: string, source: PluginRecord['source'], state: PluginRecord['state'] = 'not_enabled'): PluginRecord => ({
    id, name: id, version: '1.0.0', source, path: `/p/${id}`, description: '', hostApi: '^1.0.0', enabled: false, critical: false, state,
    error: null, errorCode: null, registered: emptyRegistrations(), hasConfigSchema: false, manifest: null, shadows: [],
  });

  it('names installed and configured plugins with the command, not bundled or disabled ones', () => {
    const config = configSchema.parse({ plugins: { enabled: [], disabled: ['off'], config: { web: { port: 1 }, off: {} } } });
    const notices = notEnabledNotices([record('mine', 'installed'), record('web', 'bundled'), record('slack', 'bundled'), record('off', 'user', 'disabled')], config);
    expect(notices).toEqual([
      { id: 'mine', configured: false, message: 'plugin "mine" is installed at /p/mine (source installed) but is not in plugins.enabled, so it does not load: `kora plugins enable mine` enables it' },
      { id: 'web', configured: true, message: 'plugin "web" has config under plugins.config.web but is not in plugins.enabled, so it does not load: `kora plugins enable web` enables it' },
    ]);
  });
});
