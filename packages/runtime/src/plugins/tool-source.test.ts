// Tool sources: tools known only at run time, under a prefix claimed at register time.
import { describe, expect, it } from 'vitest';
import { definePlugin, type ToolSpec } from '../index.js';
import { createPluginHarness } from '../testing/plugin-harness.js';

describe('tool sources', () => {
  it('lists and calls what the source offers now, under its prefix only, through the pipeline', async () => {
    let offered: ToolSpec[] = [];
    const source = definePlugin({ id: 'src', register: (ctx) => ctx.registerToolSource({ prefix: 'ext__a__', tools: () => offered }) });
    const h = await createPluginHarness(source);
    try {
      expect(await h.callTool('ext__a__ping')).toMatchObject({ ok: false, code: 'KORA_ERR_TOOL_UNKNOWN' });
      offered = [
        { name: 'ext__a__ping', description: 'pong', run: () => 'pong' },
        { name: 'outside', description: 'not under the prefix', run: () => 'no' },
      ];
      expect(await h.callTool('ext__a__ping')).toMatchObject({ ok: true, result: 'pong', providedBy: 'src' });
      expect(await h.callTool('outside')).toMatchObject({ ok: false, code: 'KORA_ERR_TOOL_UNKNOWN' });
      expect(h.registered.get('src')?.tools).toEqual(['ext__a__*']);
      offered = [];
      expect(await h.callTool('ext__a__ping')).toMatchObject({ ok: false, code: 'KORA_ERR_TOOL_UNKNOWN' });
    } finally {
      await h.close();
    }
  });

  it('refuses a prefix that overlaps another source or covers a registered tool, and a tool under a claimed prefix', async () => {
    const a = definePlugin({ id: 'a', register: (ctx) => ctx.registerToolSource({ prefix: 'ext__', tools: () => [] }) });
    const b = definePlugin({ id: 'b', register: (ctx) => ctx.registerToolSource({ prefix: 'ext__b__', tools: () => [] }) });
    await expect(createPluginHarness([a, b])).rejects.toMatchObject({ code: 'KORA_ERR_TOOL_DUPLICATE', message: expect.stringContaining('overlaps the prefix "ext__" of plugin "a"') });
    const t = definePlugin({ id: 't', register: (ctx) => ctx.registerTool({ name: 'ext__x', description: 'x', run: () => 1 }) });
    await expect(createPluginHarness([a, t])).rejects.toMatchObject({ code: 'KORA_ERR_TOOL_DUPLICATE', message: expect.stringContaining('falls under the prefix "ext__"') });
    await expect(createPluginHarness([t, a])).rejects.toMatchObject({ code: 'KORA_ERR_TOOL_DUPLICATE', message: expect.stringContaining('covers tool "ext__x"') });
  });
});
