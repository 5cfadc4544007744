import { describe, expect, it } from 'vitest';
import { koraSettings } from './config.js';
import { decideReissue, type RouterDecision, type RouterInput } from './haiku-router.js';

const settings = koraSettings(undefined);
const { cheap, strong } = settings.models;
const longQuestion = 'Why did the nightly snapshot job fail three times this week, and what changed in the config? '.repeat(5);
const base: RouterInput = { route: 'slack_dm', iteration: 1, model: cheap, stopReason: 'end_turn', question: 'when is the standup?', answer: 'The standup is at 9:30 every weekday, in the #ops huddle.', disabled: false };
const stay = (why: string): RouterDecision => ({ reissue: false, why } as RouterDecision);
const reask = (reason: string): RouterDecision => ({ reissue: true, model: strong, reason });

describe('haiku_router: decideReissue', () => {
  it.each<[string, Partial<RouterInput>, RouterDecision]>([
    ['a confident cheap answer stays', {}, stay('confident')],
    ['"I\'m not sure" is re-asked', { answer: "I'm not sure, maybe the cron changed." }, reask('low_confidence: the cheap answer says "I\'m not sure"')],
    ['a curly apostrophe counts', { answer: 'I don’t know which host that is.' }, reask('low_confidence: the cheap answer says "I don\'t know"')],
    ['any case counts', { answer: 'IT DEPENDS on the region.' }, reask('low_confidence: the cheap answer says "it depends"')],
    ['a short answer to a long question is re-asked', { question: longQuestion, answer: 'It failed.' }, reask(`short_answer: 10 characters for a ${longQuestion.trim().length}-character question`)],
    ['a short answer to a short question stays', { question: 'ping?', answer: 'pong' }, stay('confident')],
    ['a long answer to a long question stays', { question: longQuestion, answer: 'x'.repeat(200) }, stay('confident')],
    ['switched off by KORA_DISABLE_POST_CALL_ESCALATION', { disabled: true, answer: "I don't know" }, stay('disabled')],
    ['never on a later iteration', { iteration: 2, answer: "I don't know" }, stay('later_iteration')],
    ['never when the model was already strong', { model: strong, answer: "I don't know" }, stay('not_the_cheap_model')],
    ['never on another model either', { model: 'claude-opus-4-5', answer: "I don't know" }, stay('not_the_cheap_model')],
    ['never on an answer that asks for tools', { stopReason: 'tool_use', answer: '' }, stay('tool_use')],
    ['never on a route that is not Kora’s', { route: 'marvin_chat', answer: "I don't know" }, stay('not_a_kora_route')],
  ])('%s', (_name, change, expected) => {
    expect(decideReissue({ ...base, ...change }, settings)).toEqual(expected);
  });

  it('takes its phrases and thresholds from the config', () => {
    const custom = koraSettings({ models: { cheap: 'small', strong: 'big' }, router: { lowConfidencePhrases: ['no idea'], longQuestionChars: 10, shortAnswerChars: 5 } });
    const input = { ...base, model: 'small' };
    expect(decideReissue({ ...input, answer: 'No idea, sorry.' }, custom)).toEqual({ reissue: true, model: 'big', reason: 'low_confidence: the cheap answer says "no idea"' });
    expect(decideReissue({ ...input, answer: "I don't know" }, custom)).toEqual(stay('confident'));
    expect(decideReissue({ ...input, question: 'a question of some length', answer: 'ok' }, custom)).toEqual({ reissue: true, model: 'big', reason: 'short_answer: 2 characters for a 25-character question' });
    expect(decideReissue({ ...base, answer: "I don't know" }, custom)).toEqual(stay('not_the_cheap_model'));
  });
});
