import { describe, expect, it } from 'vitest';
import { createTestBus, llmEvent, toolCall } from './__fixtures__/bus.js';
import { defineHook } from './define-hook.js';

describe('plugin-defined hooks (defineHook, bus.define)', () => {
  it('dispatches a defined first hook as first: the first claim with its plugin, later callbacks not called', async () => {
    const { bus, log } = createTestBus();
    const tone = defineHook<{ readonly route: string }, string | null>('marvin_reply_tone', 'first');
    const called: string[] = [];
    bus.register('a', tone, () => void called.push('a'));
    bus.register('b', tone, async ({ route }) => {
      called.push('b');
      return `gloomy on ${route}`;
    });
    bus.register('c', tone, () => {
      called.push('c');
      return 'cheerful';
    });
    await expect(bus.dispatch(tone, { route: 'slack' })).resolves.toEqual({ value: 'gloomy on slack', pluginId: 'b' });
    expect(called).toEqual(['a', 'b']);
    expect(log.at('warn')).toEqual([]);
  });

  it('returns the kind’s empty result for a defined hook nobody registered on', async () => {
    const { bus } = createTestBus();
    await expect(bus.dispatch(defineHook<object>('nobody_first', 'first'), {})).resolves.toBeNull();
    await expect(bus.dispatch(defineHook<object>('nobody_guard', 'guard'), {})).resolves.toEqual({ blocked: false, reasons: [] });
    await expect(bus.dispatch(defineHook<object>('nobody_collect', 'collect'), {})).resolves.toEqual([]);
  });

  it('refuses to define a catalogued name, whatever the kind', () => {
    expect(() => defineHook('pre_tool_call', 'guard')).toThrow(expect.objectContaining({ code: 'KORA_ERR_HOOK_DEFINE', hook: 'pre_tool_call' }));
    const { bus } = createTestBus();
    expect(() => bus.define('transform_llm_output', 'collect')).toThrow(expect.objectContaining({ code: 'KORA_ERR_HOOK_DEFINE' }));
  });

  it('refuses an unknown kind or an empty name (a manifest or a plain-JS plugin can give either)', () => {
    const { bus } = createTestBus();
    expect(() => bus.define('marvin_mood', 'parallel' as never)).toThrow(expect.objectContaining({ code: 'KORA_ERR_HOOK_DEFINE', message: expect.stringContaining('parallel') as string }));
    expect(() => defineHook('', 'first')).toThrow(expect.objectContaining({ code: 'KORA_ERR_HOOK_DEFINE' }));
  });

  it('refuses the same name with two kinds, naming both and who defined it first', async () => {
    const { bus } = createTestBus();
    bus.define('marvin_mood', 'first', 'marvin');
    bus.define('marvin_mood', 'first', 'other');
    expect(() => bus.define('marvin_mood', 'collect', 'other')).toThrow(
      expect.objectContaining({ code: 'KORA_ERR_HOOK_KIND_CONFLICT', message: expect.stringMatching(/first by plugin "marvin".*collect.*"other"/) as string }),
    );
    const asCollect = defineHook<object>('marvin_mood', 'collect');
    expect(() => bus.register('web', asCollect, () => 1)).toThrow(expect.objectContaining({ code: 'KORA_ERR_HOOK_KIND_CONFLICT' }));
    await expect(bus.dispatch(asCollect, {})).rejects.toMatchObject({ code: 'KORA_ERR_HOOK_KIND_CONFLICT' });
  });

  it('applies a manifest’s classification to registrations made by name, and dispatchCustom follows it', async () => {
    const { bus, log } = createTestBus();
    bus.define('marvin_mood', 'first', 'marvin');
    bus.registerCustom('marvin', 'marvin_mood', () => null);
    bus.registerCustom('kora', 'marvin_mood', () => 'gloomy');
    await expect(bus.dispatchCustom('marvin_mood', {})).resolves.toEqual({ value: 'gloomy', pluginId: 'kora' });
    expect(log.at('warn')).toEqual([]);
  });

  it('reclassifies callbacks registered on a name before it was defined', async () => {
    const { bus } = createTestBus();
    bus.registerCustom('a', 'marvin_mood', () => 'first answer');
    bus.registerCustom('b', 'marvin_mood', () => 'second answer');
    await expect(bus.dispatchCustom('marvin_mood', {})).resolves.toEqual(['first answer', 'second answer']);
    bus.define('marvin_mood', 'first');
    await expect(bus.dispatchCustom('marvin_mood', {})).resolves.toEqual({ value: 'first answer', pluginId: 'a' });
  });

  it('keeps one bus’s definitions to itself', async () => {
    const one = createTestBus();
    const two = createTestBus();
    one.bus.define('marvin_mood', 'first');
    two.bus.define('marvin_mood', 'collect');
    two.bus.registerCustom('a', 'marvin_mood', () => 'x');
    await expect(two.bus.dispatchCustom('marvin_mood', {})).resolves.toEqual(['x']);
  });
});

describe('hook names outside the catalog', () => {
  it('refuses to register an unclassified name that looks like a guard, since as collect it would block nothing', () => {
    const { bus } = createTestBus();
    for (const name of ['pre_tool_calls', 'pre_tool_call_v2', 'pre_tool_cal', 'pre_tol_call']) {
      expect(() => bus.registerCustom('a', name, () => ({ block: true, reason: 'no' }))).toThrow(
        expect.objectContaining({ code: 'KORA_ERR_HOOK_UNCLASSIFIED_GUARD', hook: name, message: expect.stringContaining('did you mean "pre_tool_call"?') as string }),
      );
    }
    expect(bus.registrations()).toEqual([]);
  });

  it('refuses a mistyped guard through register too (a plain-JS plugin is not type-checked)', () => {
    const { bus } = createTestBus();
    expect(() => bus.register('a', 'pre_tool_calls' as 'pre_tool_call', () => null)).toThrow(expect.objectContaining({ code: 'KORA_ERR_HOOK_UNCLASSIFIED_GUARD' }));
  });

  it('rejects dispatching an unclassified guard-like name instead of letting the call through', async () => {
    const { bus } = createTestBus();
    await expect(bus.dispatchCustom('pre_tool_calls', toolCall)).rejects.toMatchObject({ code: 'KORA_ERR_HOOK_UNCLASSIFIED_GUARD' });
  });

  it('lets a plugin define its own guard under a guard-like name', async () => {
    const { bus } = createTestBus();
    const budget = defineHook<{ readonly tool: string }>('pre_tool_call_budget', 'guard');
    bus.register('a', budget, () => ({ block: true, reason: 'over budget' }));
    await expect(bus.dispatch(budget, { tool: 'x' })).resolves.toEqual({ blocked: true, reasons: [{ pluginId: 'a', reason: 'over budget' }] });
  });

  it('warns with the nearest catalogued name when there is one close enough, and still dispatches as collect', async () => {
    const { bus, log } = createTestBus();
    bus.registerCustom('a', 'gateway_start', () => 'hello');
    bus.registerCustom('b', 'marvin_mood', () => 'gloomy');
    const [typo, own] = log.at('warn');
    expect(typo!.msg).toContain('did you mean "gateway_started"?');
    expect(own!.msg).not.toContain('did you mean');
    await expect(bus.dispatchCustom('gateway_start', llmEvent)).resolves.toEqual(['hello']);
  });

  it('keeps dispatchUnknown as the old name of dispatchCustom', async () => {
    const { bus } = createTestBus();
    bus.registerCustom('a', 'marvin_mood', () => 'gloomy');
    await expect(bus.dispatchUnknown('marvin_mood', {})).resolves.toEqual(['gloomy']);
    await expect(bus.dispatchUnknown('pre_tool_call', toolCall)).rejects.toMatchObject({ code: 'KORA_ERR_USAGE' });
  });
});
