// Type tests of the hook API as plugins see it (`@kora/runtime`): what dispatch returns per
// kind, what callbacks receive, and the names that must not compile. Checked by
// `tsc -p tsconfig.test.json`; vitest runs the (empty at run time) assertions.
import { describe, expectTypeOf, it } from 'vitest';
import {
  defineHook,
  type ApiRequestTurn,
  type GuardResult,
  type HookHandle,
  type IdentitySpec,
  type LlmCallEvent,
  type StopReason,
  type TextBlock,
  type ToolCall,
} from '../index.js';
import { createTestBus, llmEvent, toolCall } from './__fixtures__/bus.js';

const { bus } = createTestBus();

describe('hook types', () => {
  it('types each catalogued dispatch by its kind', () => {
    expectTypeOf(bus.dispatch('transform_llm_output', llmEvent)).resolves.toEqualTypeOf<{ readonly value: string; readonly pluginId: string } | null>();
    expectTypeOf(bus.dispatch('pre_agent_identity_set', { deployEnv: 'dev', home: '/h' })).resolves.toEqualTypeOf<{
      readonly value: IdentitySpec;
      readonly pluginId: string;
    } | null>();
    expectTypeOf(bus.dispatch('pre_api_request_mutable', { route: 'slack_dm', iteration: 1, request: llmEvent.request })).resolves.toEqualTypeOf<ApiRequestTurn>();
    expectTypeOf(bus.dispatch('pre_tool_call', toolCall)).resolves.toEqualTypeOf<GuardResult>();
    expectTypeOf(bus.dispatch('post_tool_call', { ...toolCall, ok: true, durationMs: 1 })).resolves.toEqualTypeOf<void>();
    expectTypeOf(bus.dispatch('pre_llm_call', llmEvent)).resolves.toEqualTypeOf<(string | TextBlock)[]>();
  });

  it('types callbacks from the hook name, so a guard can answer { block: false } from any callback', () => {
    bus.register('a', 'pre_tool_call', (call) => {
      expectTypeOf(call).toEqualTypeOf<ToolCall>();
      return { block: false };
    });
    bus.register('a', 'pre_tool_call', async () => ({ block: true, reason: 'no' }));
    bus.register('a', 'post_llm_call', (event) => {
      expectTypeOf(event).toEqualTypeOf<LlmCallEvent>();
      expectTypeOf(event.response.stop_reason).toEqualTypeOf<StopReason | null>();
    });
    bus.register('a', 'pre_api_request_mutable', (turn) => ({ request: { ...turn.request, max_tokens: turn.request.max_tokens * 2 } }));
    bus.register('b', 'pre_api_request_mutable', (turn) => (turn.iteration > 1 ? { refusal: { code: 'cost_hard_stop', message: 'over budget' } } : null));
  });

  it('does not compile a mistyped catalogued name, a wrong payload or a wrong answer', () => {
    // Only compiled: at run time the mistyped guard would (rightly) throw.
    function mistakes() {
      // @ts-expect-error a typo of pre_tool_call: a custom name needs registerCustom
      bus.register('a', 'pre_tool_calls', () => null);
      // @ts-expect-error a typo of gateway_started
      void bus.dispatch('gateway_start', { sessionId: 's', state: 'running' });
      // @ts-expect-error snake_case like the API: max_tokens, not maxTokens
      void bus.dispatch('pre_api_request_mutable', { route: 'cli', iteration: 1, request: { model: 'm', maxTokens: 1, messages: [] } });
      // @ts-expect-error a guard answers { block, reason? }, not a boolean
      bus.register('a', 'pre_tool_call', () => true);
      bus.registerCustom('a', 'marvin_mood', () => 'any name, loosely typed');
    }
    expectTypeOf(mistakes).toBeFunction();
  });

  it('types a defined hook’s handle, callbacks and dispatch by its kind', () => {
    const tone = defineHook<{ readonly route: string }, 'terse' | 'chatty'>('marvin_reply_tone', 'first');
    expectTypeOf(tone).toEqualTypeOf<HookHandle<{ readonly route: string }, 'terse' | 'chatty', 'first'>>();
    expectTypeOf(tone.kind).toEqualTypeOf<'first'>();
    bus.register('a', tone, (payload) => {
      expectTypeOf(payload).toEqualTypeOf<{ readonly route: string }>();
      return payload.route === 'slack' ? 'terse' : null;
    });
    // @ts-expect-error not one of the hook's answers
    bus.register('a', tone, () => 'loud');
    // @ts-expect-error the payload is { route }
    void bus.dispatch(tone, { channel: 'x' });
    expectTypeOf(bus.dispatch(tone, { route: 'slack' })).resolves.toEqualTypeOf<{ readonly value: 'terse' | 'chatty'; readonly pluginId: string } | null>();

    interface Draft {
      readonly text: string;
      readonly tags: readonly string[];
    }
    expectTypeOf(bus.dispatch(defineHook<Draft>('draft_rewrite', 'waterfall'), { text: '', tags: [] })).resolves.toEqualTypeOf<Draft>();
    expectTypeOf(bus.dispatch(defineHook<Draft>('draft_settings', 'merge'), { text: '', tags: [] })).resolves.toEqualTypeOf<Partial<Draft>>();
    expectTypeOf(bus.dispatch(defineHook<Draft>('draft_check', 'guard'), { text: '', tags: [] })).resolves.toEqualTypeOf<GuardResult>();
    expectTypeOf(bus.dispatch(defineHook<Draft>('draft_sent', 'observe'), { text: '', tags: [] })).resolves.toEqualTypeOf<void>();
    expectTypeOf(bus.dispatch(defineHook<Draft, number>('draft_scores', 'collect'), { text: '', tags: [] })).resolves.toEqualTypeOf<number[]>();
  });
});
