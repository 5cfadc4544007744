// probe_wake through the plugin harness, with the real slack plugin posting to the local Slack
// Web API server (test/fakes/slack.ts) and a scripted engine provided by a test plugin, as the
// reasoning plugin provides it: the first tick only takes the position, later ones investigate
// new wake events oldest first, debounce per probe, and audit a failure while moving on.
import { definePlugin, type EngineReply, type EngineRequest } from '@kora/runtime';
import slackPlugin from '@kora/plugin-slack';
import { createPluginHarness, ManualClock, type PluginHarness } from '@kora/runtime/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeSlack, type FakeSlack } from '../../../test/fakes/slack.js';
import probes from './index.js';

const harnesses: PluginHarness[] = [];
const fakes: FakeSlack[] = [];
afterEach(async () => {
  for (const h of harnesses.splice(0)) await h.close();
  for (const f of fakes.splice(0)) await f.close();
});

class ScriptedEngine {
  readonly requests: EngineRequest[] = [];
  failNext = false;
  async respond(request: EngineRequest): Promise<EngineReply> {
    this.requests.push(request);
    if (this.failNext) {
      this.failNext = false;
      throw new Error('the model API answered 529 overloaded');
    }
    return { text: `Looked into ${String(request.metadata?.probe)}: the deploy at 10:02 broke it.`, model: 'scripted', calls: 1, stopReason: 'end_turn', usage: { inputTokens: 1, outputTokens: 1, cacheReadTokens: 0, cacheWriteTokens: 0, costUsd: 0 } };
  }
}

function enginePlugin(engine: ScriptedEngine | null) {
  return definePlugin({
    id: 'engine-under-test',
    register(ctx) {
      ctx.registerDaemon({
        name: 'scripted_engine',
        start(d) {
          if (engine) d.services.provide('engine', engine);
        },
      });
    },
  });
}

async function boot(options: { engine?: ScriptedEngine | null; slack?: FakeSlack | null; channel?: string | null; clock?: ManualClock } = {}) {
  const plugins = [...(options.slack ? [slackPlugin] : []), enginePlugin(options.engine === undefined ? new ScriptedEngine() : options.engine), probes];
  const channel = options.channel === undefined ? 'C0OPS' : options.channel;
  const h = await createPluginHarness(plugins, {
    config: { probes: channel ? { wake: { slackChannel: channel } } : {}, ...(options.slack ? { slack: { retries: 0 } } : {}) },
    env: options.slack ? { KORA_SLACK_BOT_TOKEN: options.slack.token, KORA_SLACK_API_URL: options.slack.url } : {},
    ...(options.clock ? { clock: options.clock } : {}),
  });
  harnesses.push(h);
  await h.startDaemons();
  return h;
}

/** What heartbeat_probes writes when a probe turns bad. */
const wake = (h: PluginHarness, probe: string, state = 'down') =>
  h.store.audit.append({ at: h.clock.now(), plugin: 'probes', seam: 'probe.wake_requested', details: { probe, state, previous: 'ok', detail: 'HTTP 500', latencyMs: 12, at: h.clock.now() } });

async function fakeSlack(): Promise<FakeSlack> {
  const slack = await startFakeSlack();
  fakes.push(slack);
  return slack;
}

describe('probe_wake.tail', () => {
  it('skips what was written before it started, then investigates each new event through the engine and posts it to Slack', async () => {
    const slack = await fakeSlack();
    const engine = new ScriptedEngine();
    const h = await boot({ slack, engine });
    await wake(h, 'old-one');
    expect((await h.runTask('probe_wake.tail')).status).toBe('ok');
    expect(engine.requests).toEqual([]);

    await wake(h, 'vercel');
    await wake(h, 'site', 'error');
    expect((await h.runTask('probe_wake.tail')).status).toBe('ok');
    expect(engine.requests.map((r) => [r.route, r.metadata?.probe])).toEqual([
      ['probe_investigation', 'vercel'],
      ['probe_investigation', 'site'],
    ]);
    expect(engine.requests[0]!.messages[0]!.content).toContain('The service probe "vercel" turned down');
    expect(slack.posts()).toEqual([
      { channel: 'C0OPS', text: 'Probe *vercel* is down (HTTP 500).\nLooked into vercel: the deploy at 10:02 broke it.' },
      { channel: 'C0OPS', text: 'Probe *site* is error (HTTP 500).\nLooked into site: the deploy at 10:02 broke it.' },
    ]);
    const investigated = await h.audit({ seam: 'probe_wake.investigated' });
    expect(investigated.map((e) => [e.details.probe, e.details.posted, e.details.channel])).toEqual([
      ['vercel', true, 'C0OPS'],
      ['site', true, 'C0OPS'],
    ]);

    // Nothing new: nothing asked, nothing posted.
    await h.runTask('probe_wake.tail');
    expect(engine.requests).toHaveLength(2);
  });

  it('investigates a probe at most once per debounce period', async () => {
    const slack = await fakeSlack();
    const engine = new ScriptedEngine();
    const clock = new ManualClock();
    const h = await boot({ slack, engine, clock });
    await h.runTask('probe_wake.tail');
    await wake(h, 'vercel');
    await h.runTask('probe_wake.tail');
    await clock.advance(10 * 60_000);
    await wake(h, 'vercel');
    await h.runTask('probe_wake.tail');
    expect(engine.requests).toHaveLength(1);
    expect((await h.audit({ seam: 'probe_wake.debounced' })).map((e) => e.details.probe)).toEqual(['vercel']);
    await clock.advance(30 * 60_000);
    await wake(h, 'vercel');
    await h.runTask('probe_wake.tail');
    expect(engine.requests).toHaveLength(2);
    expect(slack.posts()).toHaveLength(2);
  });

  it('audits a failed investigation and moves past it: the next tick does not retry it', async () => {
    const slack = await fakeSlack();
    const engine = new ScriptedEngine();
    const h = await boot({ slack, engine });
    await h.runTask('probe_wake.tail');
    engine.failNext = true;
    await wake(h, 'vercel');
    expect((await h.runTask('probe_wake.tail')).status).toBe('ok');
    expect((await h.audit({ seam: 'probe_wake.failed' })).map((e) => e.details)).toEqual([expect.objectContaining({ probe: 'vercel', error: 'the model API answered 529 overloaded' })]);
    await h.runTask('probe_wake.tail');
    expect(engine.requests).toHaveLength(1);
    expect(slack.posts()).toEqual([]);

    // A Slack post that fails is a failure too.
    slack.fail('chat.postMessage', { error: 'channel_not_found' });
    await wake(h, 'sentry');
    await h.runTask('probe_wake.tail');
    expect((await h.audit({ seam: 'probe_wake.failed' })).map((e) => [e.details.probe, e.details.error])).toEqual([
      ['vercel', 'the model API answered 529 overloaded'],
      ['sentry', expect.stringContaining('channel_not_found')],
    ]);
    // The investigation it could not post is kept in the audit row, not lost.
    expect((await h.audit({ seam: 'probe_wake.failed' }))[1]?.details.reply).toBe('Looked into sentry: the deploy at 10:02 broke it.');
  });

  it('does less without an engine or a Slack client, says so, and never crashes', async () => {
    const h = await boot({ engine: null, slack: null });
    expect(h.daemons().find((d) => d.name === 'probe_wake')).toMatchObject({ state: 'running', note: expect.stringContaining('no engine service') });
    expect(h.daemons().find((d) => d.name === 'probe_wake')?.note).toContain('no kora__send_slack tool');
    await h.runTask('probe_wake.tail');
    await wake(h, 'vercel');
    expect((await h.runTask('probe_wake.tail')).status).toBe('ok');
    expect((await h.audit({ seam: 'probe_wake.failed' })).map((e) => e.details.error)).toEqual([expect.stringContaining('no engine service is running')]);

    // With an engine but no Slack plugin: the investigation is audited, not posted.
    const engine = new ScriptedEngine();
    const h2 = await boot({ engine, slack: null });
    await h2.runTask('probe_wake.tail');
    await wake(h2, 'fly');
    await h2.runTask('probe_wake.tail');
    expect((await h2.audit({ seam: 'probe_wake.investigated' })).map((e) => [e.details.probe, e.details.posted, e.details.reason])).toEqual([['fly', false, 'no kora__send_slack tool']]);
  });

  it('with the slack plugin but no Slack client (no token): says so, and audits the investigation unposted', async () => {
    const engine = new ScriptedEngine();
    const h = await createPluginHarness([slackPlugin, enginePlugin(engine), probes], { config: { probes: { wake: { slackChannel: 'C0OPS' } } }, env: {} });
    harnesses.push(h);
    await h.startDaemons();
    expect(h.daemons().find((d) => d.name === 'probe_wake')?.note).toBe('no Slack client (slack_client has no KORA_SLACK_BOT_TOKEN): investigations are audited, not posted');
    await h.runTask('probe_wake.tail');
    await wake(h, 'doppler');
    expect((await h.runTask('probe_wake.tail')).status).toBe('ok');
    expect(await h.audit({ seam: 'probe_wake.failed' })).toEqual([]);
    expect((await h.audit({ seam: 'probe_wake.investigated' })).map((e) => [e.details.probe, e.details.posted, e.details.reason, e.details.reply])).toEqual([
      ['doppler', false, 'no Slack client', 'Looked into doppler: the deploy at 10:02 broke it.'],
    ]);
  });
});
