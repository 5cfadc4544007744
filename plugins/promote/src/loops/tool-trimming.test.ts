import { describe, expect, it } from 'vitest';
import { analyzeToolTrimming } from './tool-trimming.js';
import { reply, toolCall } from './test-rows.test-helper.js';

const settings = { minOffers: 3 };
const offered = (n: number, route: string, tools: string[]) => Array.from({ length: n }, () => reply({ route, question: 'q', answer: 'a', tools }));

describe('promote_tool_trimming: audit rows → proposals', () => {
  it.each<[string, ReturnType<typeof reply>[], string[]]>([
    ['offered 3 times, never called → drop it from the route', offered(3, 'cli', ['weather', 'kora__list_tasks']), ['cli:kora__list_tasks', 'cli:weather']],
    ['a tool called once on the route stays', [...offered(3, 'cli', ['weather', 'kora__list_tasks']), toolCall('weather', {}, { route: 'cli' })], ['cli:kora__list_tasks']],
    ['a call on another route does not keep it here', [...offered(3, 'cli', ['weather']), toolCall('weather', {}, { route: 'slack_dm' })], ['cli:weather']],
    ['offered twice is not enough', offered(2, 'cli', ['weather']), []],
    ['each route on its own', [...offered(3, 'cli', ['weather']), ...offered(3, 'slack_dm', ['weather']), toolCall('weather', {}, { route: 'slack_dm' })], ['cli:weather']],
    ['a failed call still counts as used', [...offered(3, 'cli', ['weather']), toolCall('weather', null, { route: 'cli', ok: false })], []],
  ])('%s', (_name, rows, keys) => {
    expect(analyzeToolTrimming(rows, settings).candidates.map((c) => c.key)).toEqual(keys);
  });

  it('proposes the route and the tool with the counts', () => {
    expect(analyzeToolTrimming(offered(4, 'cli', ['weather']), settings).candidates[0]).toMatchObject({ payload: { route: 'cli', tool: 'weather' }, evidence: { offers: 4, replies: 4, calls: 0 } });
  });
});
