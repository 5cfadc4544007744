// The probes' surfaces: GET /api/probes (what `kora probes` reads), the Probes page with its
// strip chart, and kora__probes, all from the same reading of the latest results and history.
import type { HttpRoute, HttpRouteRequest } from '@kora/runtime';
import type { WebPage } from '@kora/plugin-web';
import { createPluginHarness, ManualClock, type PluginHarness } from '@kora/runtime/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeApi, type FakeApi } from './fake-apis.test-helper.js';
import probes from './index.js';

const harnesses: PluginHarness[] = [];
const apis: FakeApi[] = [];
afterEach(async () => {
  for (const h of harnesses.splice(0)) await h.close();
  for (const a of apis.splice(0)) await a.close();
});

async function setup() {
  const a = await startFakeApi({ token: 't', body: (path) => (path === '/site' ? { status: 200, body: 'ok' } : null) });
  apis.push(a);
  const clock = new ManualClock();
  const h = await createPluginHarness(probes, { clock, config: { http: [{ name: 'site', url: `${a.url}/site` }] } });
  harnesses.push(h);
  await h.startDaemons();
  return { a, h, clock };
}

function call(h: PluginHarness, query: Record<string, string> = {}) {
  const route = h.contributions.list('http.admin').map((c) => c.value as HttpRoute).find((r) => r.path === '/api/probes')!;
  const request = { method: 'GET', path: '/api/probes', params: {}, query, headers: {}, body: undefined, principal: 'admin', raw: {} } as unknown as HttpRouteRequest;
  return Promise.resolve(route.handle(request)) as Promise<{ status: number; body: { probes: { name: string; latest: { state: string } | null; history: { state: string }[] }[] } }>;
}

describe('the probes’ surfaces', () => {
  it('GET /api/probes answers every configured probe with its latest result and recent history, newest first', async () => {
    const { a, h, clock } = await setup();
    let answer = await call(h);
    expect(answer.status).toBe(200);
    expect(answer.body.probes.map((p) => [p.name, p.latest])).toEqual([
      ['vercel', null],
      ['sentry', null],
      ['doppler', null],
      ['supabase', null],
      ['fly', null],
      ['site', null],
    ]);
    await h.runTask('heartbeat.service_probes');
    await clock.advance(300_000);
    a.behave(500);
    await h.runTask('heartbeat.service_probes');
    answer = await call(h, { history: '5' });
    const site = answer.body.probes.find((p) => p.name === 'site')!;
    expect(site.latest?.state).toBe('down');
    expect(site.history.map((r) => r.state)).toEqual(['down', 'ok']);
    expect((await call(h, { history: '0' })).body.probes[5]!.history).toEqual([]);
    expect(await call(h, { history: 'lots' })).toMatchObject({ status: 400, body: { error: { code: 'bad_request' } } });
  });

  it('the Probes page shows each probe’s state and a strip chart of its recent states, named in text', async () => {
    const { a, h, clock } = await setup();
    await h.runTask('heartbeat.service_probes');
    await clock.advance(300_000);
    a.behave(500);
    await h.runTask('heartbeat.service_probes');
    const page = h.contributions.list('web.page').map((c) => c.value as WebPage).find((p) => p.path === '/probes')!;
    expect(page.title).toBe('Probes');
    const markup = String(await page.render({ path: '/probes', query: {}, principal: 'admin', csrfToken: '' }));
    expect(markup).toContain('<caption>Service probes</caption>');
    const strip = /<svg class="probe-strip" id="probe-strip-5"[^]*?<\/svg>/.exec(markup)?.[0] ?? '';
    expect(strip).toContain('role="img"');
    expect(strip).toContain('Recent states of site: 2 recent results, latest down');
    expect([...strip.matchAll(/data-state="(\w+)"/g)].map((m) => m[1])).toEqual(['ok', 'down']);
    expect(markup).toContain('KORA_VERCEL_TOKEN is not set');
  });

  it('kora__probes answers what the admin API answers', async () => {
    const { h } = await setup();
    await h.runTask('heartbeat.service_probes');
    expect(h.registered.get('probes')?.tools).toEqual(['kora__probes']);
    const result = await h.callTool('kora__probes', { history: 1 });
    expect(result).toMatchObject({ ok: true });
    expect(result.ok && result.result).toEqual((await call(h, { history: '1' })).body);
  });
});
