import type { ApiResponse, LlmCallEvent, ToolResultEvent } from '@kora/runtime';
import { describe, expect, it } from 'vitest';
import { llmAuditDetails, matchedPattern, toolAuditDetails } from './audit.js';
import { textDigest, valueDigest } from './digest.js';

const response: ApiResponse = {
  id: 'msg_1',
  type: 'message',
  role: 'assistant',
  model: 'claude-haiku-4-5',
  content: [
    { type: 'text', text: 'The snapshot ran at 02:00.' },
    { type: 'tool_use', id: 'tu_1', name: 'kora__list_tasks', input: {} },
  ],
  stop_reason: 'end_turn',
  stop_sequence: null,
  usage: { input_tokens: 1200, output_tokens: 40, cache_creation_input_tokens: null, cache_read_input_tokens: 900 },
};
const event: LlmCallEvent = {
  route: 'slack_dm',
  conversationId: 'C1:171.2',
  request: { model: 'claude-haiku-4-5', max_tokens: 512, system: [{ type: 'text', text: 'You are Kora. SECRET SYSTEM PROMPT' }], messages: [{ role: 'user', content: 'When did the snapshot run? my password is hunter2' }] },
  response,
};
const quiet = { includePrompts: false, maxChars: 500 };
const verbose = { includePrompts: true, maxChars: 10 };
const row = {
  route: 'slack_dm',
  conversationId: 'C1:171.2',
  model: 'claude-haiku-4-5',
  outcome: 'ok',
  stopReason: 'end_turn',
  tokens: { input: 1200, output: 40, cacheRead: 900, cacheWrite: 0 },
  toolUses: 1,
  questionDigest: textDigest('When did the snapshot run? my password is hunter2'),
  answerDigest: textDigest('The snapshot ran at 02:00.'),
  questionOpening: 'when did the',
  decisionPattern: null,
  tools: [],
};

describe('audit: llm.call rows', () => {
  it.each<[string, LlmCallEvent, typeof quiet, Record<string, unknown>]>([
    ['route, model, tokens and outcome; no prompt, no answer', event, quiet, row],
    ['the model asked for, when the API answered with another', { ...event, request: { ...event.request, model: 'claude-haiku' } }, quiet, { ...row, requestedModel: 'claude-haiku' }],
    ['max_tokens is its own outcome', { ...event, response: { ...response, stop_reason: 'max_tokens' } }, quiet, { ...row, outcome: 'max_tokens', stopReason: 'max_tokens' }],
    ['a refusal is its own outcome', { ...event, response: { ...response, stop_reason: 'refusal' } }, quiet, { ...row, outcome: 'refusal', stopReason: 'refusal' }],
    ['duration, cost and calls when the engine gives them', { ...event, durationMs: 812, costUsd: 0.0021, calls: 2 }, quiet, { ...row, durationMs: 812, costUsd: 0.0021, calls: 2 }],
    ['a measure that is not a finite number is left out', { ...event, durationMs: Number.NaN, costUsd: Number.POSITIVE_INFINITY }, quiet, row],
    ['no conversation, no conversationId', { route: 'cli', request: event.request, response }, quiet, (({ conversationId: _c, ...rest }) => ({ ...rest, route: 'cli' }))(row)],
    ['prompt and answer truncated when includePrompts', event, verbose, { ...row, prompt: 'When did t… [39 more characters]', answer: 'The snapsh… [16 more characters]' }],
  ])('%s', (_name, input, settings, expected) => {
    expect(llmAuditDetails(input, settings)).toEqual(expected);
  });

  it('keeps the words of slack_dm turns only with includeDmText, and of no other route', () => {
    const dm = llmAuditDetails(event, { includePrompts: false, includeDmText: true, maxChars: 500 });
    expect(dm).toMatchObject({ prompt: 'When did the snapshot run? my password is hunter2', answer: 'The snapshot ran at 02:00.' });
    expect(llmAuditDetails({ ...event, route: 'cli' }, { includePrompts: false, includeDmText: true, maxChars: 500 })).not.toHaveProperty('prompt');
  });

  it('names the decision pattern the question matched, and the tools offered', () => {
    const asked: LlmCallEvent = {
      ...event,
      request: { ...event.request, messages: [{ role: 'user', content: '  Should we ship on Friday?' }], tools: [{ name: 'kora__list_tasks', input_schema: { type: 'object' } }, { name: 'weather', input_schema: { type: 'object' } }] },
    };
    expect(llmAuditDetails(asked, quiet, { decisionPatterns: [/\bdeploy\b/iu, /\bshould (we|i)\b/iu] })).toMatchObject({ decisionPattern: String.raw`\bshould (we|i)\b`, tools: ['kora__list_tasks', 'weather'], questionOpening: 'should we ship' });
    expect(matchedPattern('what is on today', [/\bshould\b/iu])).toBeNull();
  });

  it('never holds the system prompt, even with includePrompts', () => {
    expect(JSON.stringify(llmAuditDetails(event, { includePrompts: true, maxChars: 10_000 }))).not.toContain('SECRET SYSTEM PROMPT');
    expect(JSON.stringify(llmAuditDetails(event, quiet))).not.toContain('hunter2');
  });
});

const call: ToolResultEvent = { tool: 'kora__send_slack', input: { channel: 'C1', text: 'deploy done, token xoxb-123' }, route: 'slack_dm', toolUseId: 'tu_9', ok: true, result: { ts: '1.2' }, durationMs: 35 };

describe('audit: tool.call rows', () => {
  it.each<[string, ToolResultEvent, typeof quiet, Record<string, unknown>]>([
    ['tool, route, outcome, duration, the input keys and digests only', call, quiet, { tool: 'kora__send_slack', route: 'slack_dm', toolUseId: 'tu_9', outcome: 'ok', durationMs: 35, inputKeys: ['channel', 'text'], inputDigest: valueDigest(call.input), resultDigest: valueDigest({ ts: '1.2' }) }],
    [
      'a failure with its error, truncated',
      { ...call, ok: false, result: undefined, error: 'x'.repeat(400) },
      quiet,
      { tool: 'kora__send_slack', route: 'slack_dm', toolUseId: 'tu_9', outcome: 'error', durationMs: 35, error: `${'x'.repeat(300)}… [100 more characters]`, inputKeys: ['channel', 'text'], inputDigest: valueDigest(call.input) },
    ],
    ['a call from outside the model', { tool: 't', input: {}, ok: true, durationMs: 1 }, quiet, { tool: 't', outcome: 'ok', durationMs: 1, inputKeys: [], inputDigest: valueDigest({}), resultDigest: valueDigest(undefined) }],
    [
      'the input, clipped, when includePrompts (an object, so secret keys are still redacted by ctx.audit)',
      call,
      verbose,
      { tool: 'kora__send_slack', route: 'slack_dm', toolUseId: 'tu_9', outcome: 'ok', durationMs: 35, inputKeys: ['channel', 'text'], inputDigest: valueDigest(call.input), resultDigest: valueDigest({ ts: '1.2' }), input: { channel: 'C1', text: 'deploy don… [17 more characters]' } },
    ],
  ])('%s', (_name, input, settings, expected) => {
    expect(toolAuditDetails(input, settings)).toEqual(expected);
  });

  it('never holds the result', () => {
    expect(JSON.stringify(toolAuditDetails({ ...call, result: { secretValue: 'r3sult' } }, { includePrompts: true, maxChars: 500 }))).not.toContain('r3sult');
  });
});
