import { KoraError, type GatewayView } from '@kora/runtime';
import { createPluginHarness } from '@kora/runtime/testing';
import { describe, expect, it } from 'vitest';
import { answerKoraTool, bridgedToolSpecs } from './tool-bridge.js';

/** A view whose every read fails with `error`: how the bridge reports a failing gateway. */
function failingGateway(error: Error): GatewayView {
  const fail = () => {
    throw error;
  };
  return { sessionId: 's', identity: () => null, status: fail, recentRuns: fail, readAudit: fail, auditPage: fail, tailAudit: fail, fleet: fail };
}

describe('tool bridge: answerKoraTool', () => {
  it.each<[string, string, Record<string, unknown>, Error, unknown]>([
    ['another plugin’s kora__ tool is not answered', 'kora__send_slack', {}, new Error('unused'), null],
    ['a tool that is not kora__ is not answered', 'shell', {}, new Error('unused'), null],
    [
      'a coded runtime error keeps its code',
      'kora__daemon_status',
      {},
      new KoraError('KORA_ERR_GATEWAY_NOT_STARTED', 'the gateway has not started'),
      { error: { code: 'KORA_ERR_GATEWAY_NOT_STARTED', message: 'the gateway has not started' } },
    ],
    ['any other error is tool_failed', 'kora__audit_tail', {}, new Error('disk gone'), { error: { code: 'tool_failed', message: 'kora__audit_tail failed: disk gone' } }],
    [
      'bad input is invalid_input, naming the field',
      'kora__list_tasks',
      { runs: 0 },
      new Error('unused'),
      { error: { code: 'invalid_input', message: expect.stringMatching(/^kora__list_tasks was called with input it does not take \(runs: .+\); see its input schema$/) } },
    ],
    ['an unknown input key is invalid_input', 'kora__daemon_status', { verbose: true }, new Error('unused'), { error: { code: 'invalid_input', message: expect.stringContaining('verbose') } }],
  ])('%s', async (_name, tool, input, error, expected) => {
    await expect(answerKoraTool({ tool, input }, failingGateway(error))).resolves.toEqual(expected);
  });

  it('lists each tool with an object JSON Schema', () => {
    const specs = bridgedToolSpecs();
    expect(specs.map((s) => s.name)).toEqual(['kora__daemon_status', 'kora__list_tasks', 'kora__audit_tail']);
    for (const spec of specs) expect(spec.inputSchema).toMatchObject({ type: 'object' });
    expect(specs[2]?.inputSchema).toMatchObject({ properties: { since: { anyOf: [{ type: 'integer' }, { type: 'string', format: 'date-time' }] } } });
  });

  it('answers from the real gateway views', async () => {
    const harness = await createPluginHarness({
      id: 'probe',
      register(ctx: import('@kora/runtime').PluginContext) {
        ctx.registerTool({ name: 'probe.views', description: 'hands the views to the test', run: () => ctx.gateway });
      },
    });
    try {
      await harness.store.audit.append({ at: 1, plugin: 'probe', seam: 'probe.seen', details: {} });
      const views = await harness.callTool('probe.views');
      const gateway = (views.ok ? views.result : null) as GatewayView;
      await expect(answerKoraTool({ tool: 'kora__daemon_status', input: {} }, gateway)).resolves.toMatchObject({ sessionId: 'harness', state: 'running' });
      await expect(answerKoraTool({ tool: 'kora__list_tasks', input: {} }, gateway)).resolves.toEqual({ tasks: [] });
      await expect(answerKoraTool({ tool: 'kora__audit_tail', input: { seam: 'probe.seen', since: '1970-01-01T00:00:00Z' } }, gateway)).resolves.toMatchObject({
        entries: [{ seam: 'probe.seen', plugin: 'probe' }],
        next_before_id: null,
      });
    } finally {
      await harness.close();
    }
  });
});
