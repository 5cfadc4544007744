import { describe, expect, it } from 'vitest';
import { analyzeSnapshotExpand } from './snapshot-expand.js';
import { toolCall } from './test-rows.test-helper.js';

const settings = { minRepeats: 3 };
const same = (n: number, tool = 'ops_queue_depth', result: unknown = { depth: 4 }) => Array.from({ length: n }, () => toolCall(tool, result));

describe('promote_snapshot_expand: audit rows → proposals', () => {
  it.each<[string, ReturnType<typeof toolCall>[], string[]]>([
    ['four calls with the same answer are three repeats', same(4), ['tool:ops_queue_depth']],
    ['three calls are only two repeats', same(3), []],
    ['answers that change are not the same state', [toolCall('t', 1), toolCall('t', 2), toolCall('t', 3), toolCall('t', 4), toolCall('t', 5)], []],
    ['a change in between restarts the run', [toolCall('t', 1), toolCall('t', 1), toolCall('t', 2), toolCall('t', 2), toolCall('t', 1), toolCall('t', 1)], ['tool:t']],
    ['calls with input do not count (the snapshot calls tools without input)', Array.from({ length: 6 }, () => toolCall('weather', { sky: 'clear' }, { input: { city: 'Lyon' } })), []],
    ['failed calls do not count', Array.from({ length: 6 }, () => toolCall('t', null, { ok: false })), []],
    ['each tool on its own', [...same(4, 'a'), ...same(4, 'b'), ...same(2, 'c')], ['tool:a', 'tool:b']],
  ])('%s', (_name, rows, keys) => {
    expect(analyzeSnapshotExpand(rows, settings).candidates.map((c) => c.key)).toEqual(keys);
  });

  it('proposes the tool with its counts', () => {
    expect(analyzeSnapshotExpand(same(5), settings).candidates[0]).toMatchObject({ payload: { tool: 'ops_queue_depth' }, evidence: { calls: 5, repeats: 4, distinctResults: 1 } });
  });
});
