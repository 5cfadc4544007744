import type { ApiRequest, LlmMessage } from '@kora/runtime';
import { describe, expect, it } from 'vitest';
import { koraSettings } from './config.js';
import { decideModel, HARD_STOP_REFUSAL, ladderChange, type LadderDecision, type LadderInput } from './cost-ladder.js';
import { latestQuestion, loopIteration } from './turn.js';

const { decisionPatterns } = koraSettings(undefined);
const base: LadderInput = { route: 'slack_dm', iteration: 1, question: 'what time is the standup?', rung: 'normal', forceStrong: false, decisionPatterns };
const cheap = (rule: string): LadderDecision => ({ action: 'route', tier: 'cheap', rule } as LadderDecision);
const strong = (rule: string): LadderDecision => ({ action: 'route', tier: 'strong', rule } as LadderDecision);

describe('cost_ladder: decideModel, first matching rule wins', () => {
  it.each<[string, Partial<LadderInput>, LadderDecision]>([
    ['a route that is not Kora’s is left alone', { route: 'marvin_chat', rung: 'hard_stop_100' }, { action: 'skip', why: 'not_a_kora_route' }],
    ['a payload without a route counts as Kora’s', { route: undefined }, cheap('default')],
    ['hard_stop_100 refuses, whatever else holds', { rung: 'hard_stop_100', forceStrong: true, iteration: 3, question: '/opus should we?' }, { action: 'refuse', refusal: HARD_STOP_REFUSAL }],
    ['warn_75 goes cheap even when forced', { rung: 'warn_75', forceStrong: true }, cheap('budget_downshift')],
    ['downshift_90 goes cheap even on a later iteration', { rung: 'downshift_90', iteration: 2, question: 'should we migrate?' }, cheap('budget_downshift')],
    ['KORA_FORCE_OPUS goes strong', { forceStrong: true }, strong('force_opus')],
    ['the second loop iteration goes strong', { iteration: 2 }, strong('later_iteration')],
    ['a later iteration goes strong', { iteration: 5 }, strong('later_iteration')],
    ['/opus goes strong', { question: '/opus summarise the incident' }, strong('opus_command')],
    ['/OPUS alone, after spaces, goes strong', { question: '   /OPUS' }, strong('opus_command')],
    ['/opusx is not the command', { question: '/opusx summarise' }, cheap('default')],
    ['/opus in the middle is not the command', { question: 'is /opus a thing?' }, cheap('default')],
    ['"should we" is decision language', { question: 'Should we move the DB to Postgres?' }, strong('decision_language')],
    ['"decide" is decision language', { question: 'help me decide between the two vendors' }, strong('decision_language')],
    ['"trade-off" is decision language', { question: 'what is the trade-off here' }, strong('decision_language')],
    ['"tradeoffs" is decision language', { question: 'list the tradeoffs' }, strong('decision_language')],
    ['"recommend" is decision language', { question: 'What would you recommend?' }, strong('decision_language')],
    ['every Kora route is covered', { route: 'scheduled_task' }, cheap('default')],
    ['a routine question goes cheap', {}, cheap('default')],
    ['an empty question goes cheap', { question: '' }, cheap('default')],
  ])('%s', (_name, change, expected) => {
    expect(decideModel({ ...base, ...change })).toEqual(expected);
  });

  it.each(['slack_dm', 'email_inbound', 'mcp_tool', 'cli', 'alert_investigation', 'probe_investigation', 'scheduled_task'])('applies on route %s', (route) => {
    expect(decideModel({ ...base, route, question: 'should we?' })).toEqual(strong('decision_language'));
  });

  it('takes the configured decision patterns instead of the defaults', () => {
    const patterns = koraSettings({ costLadder: { decisionPatterns: ['\\bgo/no-go\\b'] } }).decisionPatterns;
    expect(decideModel({ ...base, decisionPatterns: patterns, question: 'go/no-go for friday?' })).toEqual(strong('decision_language'));
    expect(decideModel({ ...base, decisionPatterns: patterns, question: 'should we ship?' })).toEqual(cheap('default'));
    expect(decideModel({ ...base, decisionPatterns: [], question: 'should we ship?' })).toEqual(cheap('default'));
  });
});

const user = (content: LlmMessage['content']): LlmMessage => ({ role: 'user', content });
const assistant = (content: LlmMessage['content']): LlmMessage => ({ role: 'assistant', content });
const toolUse = assistant([{ type: 'tool_use', id: 'tu_1', name: 'kora__daemon_status', input: {} }]);
const toolResult = user([{ type: 'tool_result', tool_use_id: 'tu_1', content: '{"state":"running"}' }]);

describe('turn: the loop iteration and the question, read from the messages', () => {
  it.each<[string, LlmMessage[], number, string]>([
    ['one message', [user('hi')], 1, 'hi'],
    ['history before the new question', [user('a'), assistant('b'), user('c')], 1, 'c'],
    ['after one tool round', [user('status?'), toolUse, toolResult], 2, 'status?'],
    ['after two tool rounds', [user('status?'), toolUse, toolResult, toolUse, toolResult], 3, 'status?'],
    ['text blocks joined', [user([{ type: 'text', text: 'one' }, { type: 'text', text: 'two' }])], 1, 'one\ntwo'],
    ['no person message at all', [toolResult], 1, ''],
  ])('%s', (_name, messages, iteration, question) => {
    expect(loopIteration(messages)).toBe(iteration);
    expect(latestQuestion(messages)).toBe(question);
  });
});

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

describe('cost_ladder: ladderChange adds cache markers without touching the request', () => {
  const request: ApiRequest = deepFreeze({
    model: 'claude-sonnet-4-5',
    max_tokens: 1024,
    system: [
      { type: 'text', text: 'You are Kora.' },
      { type: 'text', text: 'Persona.' },
    ],
    messages: [user('hi')],
    tools: [
      { name: 'a', input_schema: { type: 'object' } },
      { name: 'b', input_schema: { type: 'object' } },
    ],
  } satisfies ApiRequest);
  const before = structuredClone(request);

  it('sets the model and marks the last system block and the last tool, in new objects', () => {
    const change = ladderChange(request, 'claude-haiku-4-5');
    expect(change).toEqual({
      model: 'claude-haiku-4-5',
      system: [
        { type: 'text', text: 'You are Kora.' },
        { type: 'text', text: 'Persona.', cache_control: { type: 'ephemeral' } },
      ],
      tools: [
        { name: 'a', input_schema: { type: 'object' } },
        { name: 'b', input_schema: { type: 'object' }, cache_control: { type: 'ephemeral' } },
      ],
    });
    expect(request).toEqual(before);
    expect(change?.system).not.toBe(request.system);
    // Unchanged entries are shared, not copied.
    expect(change?.system?.[0]).toBe(request.system?.[0]);
    expect(change?.tools?.[0]).toBe(request.tools?.[0]);
  });

  it.each<[string, ApiRequest, string, Partial<ApiRequest> | null]>([
    ['nothing to change', { model: 'm', max_tokens: 1, messages: [] }, 'm', null],
    ['only the model', { model: 'm', max_tokens: 1, messages: [] }, 'n', { model: 'n' }],
    ['an empty system prompt and tool list are left alone', { model: 'm', max_tokens: 1, messages: [], system: [], tools: [] }, 'm', null],
    [
      'a marker already there (with its ttl) is kept',
      { model: 'm', max_tokens: 1, messages: [], system: [{ type: 'text', text: 's', cache_control: { type: 'ephemeral', ttl: '1h' } }] },
      'm',
      null,
    ],
  ])('%s', (_name, input, model, expected) => {
    const frozen = deepFreeze(structuredClone(input));
    expect(ladderChange(frozen, model)).toEqual(expected);
  });
});
