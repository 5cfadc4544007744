import { describe, expect, it } from 'vitest';
import { flushMicrotasks } from '../time/clock.js';
import { createTestBus, llmEvent, toolCall } from './__fixtures__/bus.js';

describe('hook registration and order', () => {
  it('calls callbacks in registration order across plugins', async () => {
    const { bus } = createTestBus();
    const called: string[] = [];
    for (const id of ['kora', 'marvin', 'web']) bus.register(id, 'on_session_start', () => void called.push(id));
    await bus.dispatch('on_session_start', { sessionId: 's1' });
    await bus.dispatch('on_session_start', { sessionId: 's2' });
    expect(called).toEqual(['kora', 'marvin', 'web', 'kora', 'marvin', 'web']);
  });

  it('keeps the order when a sync callback sits between async ones: each waits for the one before', async () => {
    const { bus } = createTestBus();
    const events: string[] = [];
    bus.register('a', 'pre_llm_call', async () => {
      events.push('a start');
      await flushMicrotasks(2);
      events.push('a end');
      return 'a';
    });
    bus.register('b', 'pre_llm_call', () => {
      events.push('b');
      return 'b';
    });
    bus.register('c', 'pre_llm_call', async () => {
      events.push('c start');
      await Promise.resolve();
      events.push('c end');
      return 'c';
    });
    await expect(bus.dispatch('pre_llm_call', llmEvent)).resolves.toEqual(['a', 'b', 'c']);
    expect(events).toEqual(['a start', 'a end', 'b', 'c start', 'c end']);
  });

  it('accepts a thenable that is not a native promise', async () => {
    const { bus } = createTestBus();
    const thenable = { then: (resolve: (v: string) => void) => resolve('from thenable') };
    bus.register('a', 'pre_llm_call', () => thenable as unknown as Promise<string>);
    await expect(bus.dispatch('pre_llm_call', llmEvent)).resolves.toEqual(['from thenable']);
  });

  it('warns on an unknown hook name (plugin, name, collect) and dispatches it as collect', async () => {
    const { bus, log } = createTestBus();
    bus.registerCustom('marvin', 'marvin_mood', () => 'gloomy');
    bus.registerCustom('kora', 'marvin_mood', async () => null);
    bus.registerCustom('web', 'marvin_mood', async () => 'bored');
    const warnings = log.at('warn');
    expect(warnings).toHaveLength(3);
    expect(warnings[0]).toMatchObject({ pluginId: 'marvin', hook: 'marvin_mood' });
    expect(warnings[0]!.msg).toMatch(/marvin.*marvin_mood.*collect/);
    await expect(bus.dispatchUnknown('marvin_mood', {})).resolves.toEqual(['gloomy', 'bored']);
  });

  it('refuses dispatchUnknown for a catalogued hook, so a guard cannot be run as collect', async () => {
    const { bus } = createTestBus();
    bus.register('a', 'pre_tool_call', () => ({ block: true, reason: 'no' }));
    await expect(bus.dispatchUnknown('pre_tool_call', toolCall)).rejects.toMatchObject({ code: 'KORA_ERR_USAGE' });
  });

  it('removePlugin removes only that plugin’s callbacks, on every hook', async () => {
    const { bus } = createTestBus();
    const called: string[] = [];
    bus.register('a', 'pre_llm_call', () => void called.push('a:pre'));
    bus.register('b', 'pre_llm_call', () => void called.push('b:pre'));
    bus.register('a', 'post_llm_call', () => void called.push('a:post'));
    bus.register('b', 'post_llm_call', () => void called.push('b:post'));
    bus.removePlugin('a');
    await bus.dispatch('pre_llm_call', llmEvent);
    await bus.dispatch('post_llm_call', llmEvent);
    expect(called).toEqual(['b:pre', 'b:post']);
    expect(bus.registrations()).toEqual([
      { pluginId: 'b', hook: 'pre_llm_call' },
      { pluginId: 'b', hook: 'post_llm_call' },
    ]);
  });

  it('the function register returns removes exactly that registration, once', async () => {
    const { bus } = createTestBus();
    const called: string[] = [];
    const first = bus.register('a', 'pre_llm_call', () => void called.push('first'));
    bus.register('a', 'pre_llm_call', () => void called.push('second'));
    first();
    first();
    await bus.dispatch('pre_llm_call', llmEvent);
    expect(called).toEqual(['second']);
    expect(bus.registrations()).toEqual([{ pluginId: 'a', hook: 'pre_llm_call' }]);
  });

  it('skips a callback removed while a dispatch is under way, and does not add one registered meanwhile', async () => {
    const { bus } = createTestBus();
    const called: string[] = [];
    bus.register('a', 'pre_llm_call', async () => {
      called.push('a');
      bus.removePlugin('b');
      bus.register('c', 'pre_llm_call', () => void called.push('c'));
    });
    bus.register('b', 'pre_llm_call', () => void called.push('b'));
    await bus.dispatch('pre_llm_call', llmEvent);
    expect(called).toEqual(['a']);
    await bus.dispatch('pre_llm_call', llmEvent);
    expect(called).toEqual(['a', 'a', 'c']);
  });

  it('lists registrations in registration order', () => {
    const { bus } = createTestBus();
    bus.register('kora', 'pre_agent_identity_set', () => null);
    bus.register('marvin', 'post_tool_call', () => {});
    bus.register('kora', 'post_tool_call', () => {});
    expect(bus.registrations()).toEqual([
      { pluginId: 'kora', hook: 'pre_agent_identity_set' },
      { pluginId: 'marvin', hook: 'post_tool_call' },
      { pluginId: 'kora', hook: 'post_tool_call' },
    ]);
  });

  it('rejects a callback that is not a function, naming the plugin and hook', () => {
    const { bus } = createTestBus();
    expect(() => bus.register('a', 'post_tool_call', 'nope' as never)).toThrow(
      expect.objectContaining({ code: 'KORA_ERR_PLUGIN_BAD_REGISTRATION', message: expect.stringContaining('"post_tool_call"') as string }),
    );
  });

  it('passes each callback a context with its plugin id and the hook name', async () => {
    const { bus } = createTestBus();
    const seen: [string, string][] = [];
    bus.register('a', 'pre_llm_call', (_p, ctx) => void seen.push([ctx.pluginId, ctx.hook]));
    bus.register('b', 'pre_llm_call', async (_p, ctx) => void seen.push([ctx.pluginId, ctx.hook]));
    await bus.dispatch('pre_llm_call', llmEvent);
    expect(seen).toEqual([
      ['a', 'pre_llm_call'],
      ['b', 'pre_llm_call'],
    ]);
  });
});
