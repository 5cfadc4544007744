// heartbeat_probes through the plugin harness: the presets against local servers answering like
// Vercel, Sentry, Doppler, Supabase and Fly (success, 401, 500, a hang timed out on the injected
// clock), the generic HTTP probes, one result per probe per cycle, the wake events, the history bound.
import type { ProbeResult } from '@kora/runtime';
import { createPluginHarness, ManualClock, type PluginHarness } from '@kora/runtime/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeApi, until, type FakeApi } from './fake-apis.test-helper.js';
import probes from './index.js';
import { buildProbes, runCycle } from './probe-run.js';
import { probesSettings } from './config.js';

const TOKEN = 'tok-secret-123456';
const harnesses: PluginHarness[] = [];
const apis: FakeApi[] = [];
afterEach(async () => {
  for (const h of harnesses.splice(0)) await h.close();
  for (const a of apis.splice(0)) await a.close();
});

const PRESET_ENV = ['KORA_VERCEL_TOKEN', 'KORA_SENTRY_TOKEN', 'KORA_DOPPLER_TOKEN', 'KORA_SUPABASE_TOKEN', 'KORA_FLY_TOKEN'];

/** Like the APIs; `/site` is a plain page answering 200 to anyone. */
async function api(): Promise<FakeApi> {
  const a = await startFakeApi({ token: TOKEN, body: (path) => (path === '/site' ? { status: 200, body: 'welcome' } : null) });
  apis.push(a);
  return a;
}

/** Every preset pointed at `base` with its token set, plus `config`. */
async function harness(options: { base?: string; config?: Record<string, unknown>; env?: Record<string, string>; clock?: ManualClock } = {}): Promise<PluginHarness> {
  const presets = options.base ? Object.fromEntries(['vercel', 'sentry', 'doppler', 'supabase', 'fly'].map((p) => [p, { baseUrl: options.base }])) : undefined;
  const env = options.base ? Object.fromEntries(PRESET_ENV.map((v) => [v, TOKEN])) : {};
  const merged = { ...presets, ...(options.config?.presets as Record<string, unknown> | undefined) };
  const h = await createPluginHarness(probes, { config: { ...options.config, ...(Object.keys(merged).length ? { presets: merged } : {}) }, env: { ...env, ...options.env }, ...(options.clock ? { clock: options.clock } : {}) });
  harnesses.push(h);
  await h.startDaemons();
  return h;
}

const latest = (h: PluginHarness) => Object.fromEntries((h.services.get('probes').latest() as ProbeResult[]).map((r) => [r.name, r]));

describe('heartbeat.service_probes', () => {
  it('reports every preset unconfigured without tokens, says so in the status, and wakes nobody', async () => {
    const h = await harness();
    expect((await h.runTask('heartbeat.service_probes')).status).toBe('ok');
    const results = latest(h);
    expect(Object.keys(results)).toEqual(['vercel', 'sentry', 'doppler', 'supabase', 'fly']);
    expect(results.vercel).toMatchObject({ state: 'unconfigured', latencyMs: null, detail: 'KORA_VERCEL_TOKEN is not set' });
    expect(results.fly).toMatchObject({ state: 'unconfigured', detail: 'KORA_FLY_TOKEN is not set' });
    expect(h.daemons().find((d) => d.name === 'heartbeat_probes')?.note).toMatch(/^no probe is configured: KORA_VERCEL_TOKEN is not set, /);
    expect(await h.audit({ seam: 'probe.wake_requested' })).toEqual([]);
  });

  it('calls each service’s documented read-only endpoint with its own Bearer token, and reads ok', async () => {
    const a = await api();
    const h = await harness({ base: a.url, config: { presets: { fly: { baseUrl: a.url, org: 'kora-org' } } } });
    expect((await h.runTask('heartbeat.service_probes')).status).toBe('ok');
    expect(a.requests.map((r) => `${r.method} ${r.path}`).sort()).toEqual(['GET /api/0/organizations/', 'GET /v1/apps?org_slug=kora-org', 'GET /v1/projects', 'GET /v2/user', 'GET /v3/me']);
    expect(a.requests.every((r) => r.authorization === `Bearer ${TOKEN}`)).toBe(true);
    for (const r of Object.values(latest(h))) expect(r).toMatchObject({ state: 'ok', detail: 'HTTP 200' });
    expect(h.daemons().find((d) => d.name === 'heartbeat_probes')?.note).toBeNull();
  });

  it('reads a refused token as error, a 500 as down, and a hang as down after the 10 s timeout — never with the token', async () => {
    const a = await api();
    const clock = new ManualClock();
    const h = await harness({ base: a.url, clock });

    a.behave(401);
    await h.runTask('heartbeat.service_probes');
    expect(latest(h).vercel).toMatchObject({ state: 'error', detail: 'HTTP 401: Vercel refused KORA_VERCEL_TOKEN' });
    expect(latest(h).doppler).toMatchObject({ state: 'error', detail: 'HTTP 401: Doppler refused KORA_DOPPLER_TOKEN' });

    a.behave(500);
    await h.runTask('heartbeat.service_probes');
    expect(Object.values(latest(h)).map((r) => [r.state, r.detail])).toEqual(Array(5).fill(['down', 'HTTP 500']));

    a.behave('hang');
    const run = h.runTask('heartbeat.service_probes');
    await until(() => a.hanging() === 4); // the concurrency limit: 4 at once
    await clock.advance(9_999);
    expect(a.hanging()).toBe(4);
    await clock.advance(1);
    await until(() => a.hanging() === 1);
    await clock.advance(10_000);
    expect((await run).status).toBe('ok');
    expect(Object.values(latest(h)).map((r) => [r.state, r.detail, r.latencyMs])).toEqual(Array(5).fill(['down', 'timed out after 10s', null]));

    const everything = JSON.stringify({ audit: await h.audit(), logs: h.logs, latest: latest(h) });
    expect(everything).not.toContain(TOKEN);
  });

  it('runs the generic HTTP probes of the config: method, expected status, body match, own timeout', async () => {
    const a = await startFakeApi({ token: TOKEN, body: (path) => (path === '/health' ? { status: 200, body: 'status: degraded' } : path === '/teapot' ? { status: 418, body: 'short and stout' } : null) });
    apis.push(a);
    const clock = new ManualClock();
    const h = await harness({
      clock,
      config: {
        http: [
          { name: 'health', url: `${a.url}/health`, bodyMatch: 'status: ok' },
          { name: 'teapot', url: `${a.url}/teapot`, method: 'POST', expectStatus: [418] },
          { name: 'strict', url: `${a.url}/teapot`, expectStatus: 200 },
        ],
      },
    });
    await h.runTask('heartbeat.service_probes');
    const r = latest(h);
    expect(r.health).toMatchObject({ state: 'degraded', detail: 'HTTP 200, but the body does not match /status: ok/' });
    expect(r.teapot).toMatchObject({ state: 'ok', detail: 'HTTP 418' });
    expect(r.strict).toMatchObject({ state: 'down', detail: 'HTTP 418, expected 200' });
    expect(a.requests.find((q) => q.path === '/teapot')?.method).toBe('POST');

    const slow = await createPluginHarness(probes, { clock, config: { http: [{ name: 'slow', url: `${a.url}/health`, timeout: '2s' }] } });
    harnesses.push(slow);
    await slow.startDaemons();
    a.behave('hang');
    const run = slow.runTask('heartbeat.service_probes');
    await until(() => a.hanging() === 1);
    await clock.advance(2_000);
    await run;
    expect(latest(slow).slow).toMatchObject({ state: 'down', detail: 'timed out after 2s' });
  });

  it('writes probe.wake_requested once when a probe turns bad, not while it stays bad, and again after it recovered', async () => {
    const a = await api();
    const h = await harness({ config: { http: [{ name: 'site', url: `${a.url}/site` }] } });
    const cycle = () => h.runTask('heartbeat.service_probes');
    await cycle();
    a.behave(500);
    await cycle();
    await cycle();
    a.behave('ok');
    await cycle();
    a.behave(503);
    await cycle();
    const wakes = await h.audit({ seam: 'probe.wake_requested' });
    expect(wakes.map((w) => w.details)).toEqual([
      expect.objectContaining({ probe: 'site', state: 'down', previous: 'ok', detail: 'HTTP 500, expected 2xx or 3xx' }),
      expect.objectContaining({ probe: 'site', state: 'down', previous: 'ok', detail: 'HTTP 503, expected 2xx or 3xx' }),
    ]);
    expect(wakes.every((w) => w.plugin === 'probes')).toBe(true);
  });

  it('keeps the state across a restart: a probe already down when the daemon starts is not turning bad again', async () => {
    const a = await api();
    a.behave(500);
    const h = await createPluginHarness(probes, { config: { http: [{ name: 'site', url: `${a.url}/x` }] } });
    harnesses.push(h);
    // What the previous run of the gateway left in the plugin's table.
    await h.store.pluginDb('probes').insertInto('probes_results').values({ id: 'earlier', probe: 'site', at: h.clock.now() - 300_000, state: 'down', latency_ms: 3, detail: 'HTTP 500, expected 2xx or 3xx' }).execute();
    await h.startDaemons();
    expect(latest(h).site).toMatchObject({ state: 'down', at: h.clock.now() - 300_000 });
    await h.runTask('heartbeat.service_probes');
    expect(latest(h).site).toMatchObject({ state: 'down', at: h.clock.now() });
    expect(await h.audit({ seam: 'probe.wake_requested' })).toEqual([]);
  });

  it('keeps at most `history` results per probe', async () => {
    const a = await api();
    const clock = new ManualClock();
    const h = await harness({ clock, config: { history: 10, http: [{ name: 'site', url: `${a.url}/v2/user` }] } });
    for (let i = 0; i < 13; i++) {
      await h.runTask('heartbeat.service_probes');
      await clock.advance(300_000);
    }
    const answer = (await h.callTool('kora__probes', { history: 50 })) as { ok: true; result: { probes: { name: string; history: unknown[] }[] } };
    expect(answer.ok).toBe(true);
    expect(answer.result.probes.map((p) => [p.name, p.history.length])).toEqual([
      ['vercel', 10],
      ['sentry', 10],
      ['doppler', 10],
      ['supabase', 10],
      ['fly', 10],
      ['site', 10],
    ]);
  });
});

describe('runCycle', () => {
  it('gives exactly one result per probe, in order, even when a probe throws', async () => {
    const settings = probesSettings({ http: [{ name: 'a', url: 'http://127.0.0.1:9/a' }, { name: 'b', url: 'http://127.0.0.1:9/b' }] }, { KORA_SENTRY_TOKEN: TOKEN });
    if ('error' in settings) throw new Error(settings.error);
    const clock = new ManualClock();
    const throwing = ((url: string) => {
      if (url.endsWith('/a')) throw new TypeError('boom in the probe');
      return Promise.resolve(new Response('fine', { status: 200 }));
    }) as unknown as typeof fetch;
    const results = await runCycle(buildProbes(settings), { clock, concurrency: 2, fetch: throwing });
    expect(results.map((r) => [r.name, r.state, r.detail])).toEqual([
      ['vercel', 'unconfigured', 'KORA_VERCEL_TOKEN is not set'],
      ['sentry', 'ok', 'HTTP 200'],
      ['doppler', 'unconfigured', 'KORA_DOPPLER_TOKEN is not set'],
      ['supabase', 'unconfigured', 'KORA_SUPABASE_TOKEN is not set'],
      ['fly', 'unconfigured', 'KORA_FLY_TOKEN is not set'],
      ['a', 'error', 'probe failed: boom in the probe'],
      ['b', 'ok', 'HTTP 200'],
    ]);
  });

  it('reads a refused connection as down, naming the reason and not the URL', async () => {
    const closed = await api();
    const port = new URL(closed.url).port;
    await closed.close();
    const settings = probesSettings({ http: [{ name: 'gone', url: `http://user:pw@127.0.0.1:${port}/secret?token=abc` }] }, {});
    if ('error' in settings) throw new Error(settings.error);
    const [, , , , , gone] = await runCycle(buildProbes(settings), { clock: new ManualClock(), concurrency: 1 });
    expect(gone).toMatchObject({ name: 'gone', state: 'down', detail: 'no answer: ECONNREFUSED' });
    const probe = buildProbes(settings)[5]!;
    expect(probe.target).toBe(`GET 127.0.0.1:${port}/secret`);
    // The URL's credentials travel as Basic auth, as a browser would send them.
    expect(probe.request).toEqual({ url: `http://127.0.0.1:${port}/secret?token=abc`, method: 'GET', headers: { authorization: `Basic ${Buffer.from('user:pw').toString('base64')}` } });
  });
});

describe('config', () => {
  it('refuses a duration outside the runtime’s grammar, a duplicate name and a bad base URL variable', async () => {
    await expect(createPluginHarness(probes, { config: { http: [{ name: 'a', url: 'http://127.0.0.1/', timeout: '10 seconds' }] } })).rejects.toMatchObject({ code: 'KORA_ERR_CONFIG_INVALID' });
    await expect(createPluginHarness(probes, { config: { http: [{ name: 'vercel', url: 'http://127.0.0.1/' }] } })).rejects.toMatchObject({ code: 'KORA_ERR_CONFIG_INVALID', message: expect.stringContaining('names must be unique') });
    await expect(createPluginHarness(probes, { config: { timeout: '2m' } })).rejects.toMatchObject({ code: 'KORA_ERR_CONFIG_INVALID' });
    await expect(createPluginHarness(probes, { env: { KORA_SENTRY_API_URL: 'ftp://x' } })).rejects.toMatchObject({ code: 'KORA_ERR_PLUGIN_REGISTER', message: expect.stringContaining('KORA_SENTRY_API_URL is not an http(s) URL') });
  });
});
