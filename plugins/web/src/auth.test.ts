import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '@kora/runtime/testing';
import { closeAll, login, NOW_MS, startAdmin, TOKEN } from './admin.test-helper.js';

afterEach(closeAll);

const API_ROUTES: [string, string][] = [
  ['GET', '/api/status'],
  ['GET', '/api/daemons'],
  ['GET', '/api/tasks'],
  ['POST', '/api/tasks/x.y/run'],
  ['GET', '/api/audit'],
  ['GET', '/api/plugins'],
  ['GET', '/api/identity'],
  ['GET', '/api/inbox'],
  ['GET', '/api/inbox/dead'],
  ['POST', '/api/inbox/dead/1/replay'],
  ['POST', '/api/inbox/dead/1/discard'],
  ['POST', '/api/stop'],
  ['GET', '/api/no-such-route'],
];
const UI_ROUTES = ['/', '/daemons', '/tasks', '/audit', '/inbox', '/webhooks/rejected', '/assets/web.css', '/no-such-page'];

describe('web: authentication', () => {
  it('answers every API route 401 with a JSON error without the token, and with a wrong one', async () => {
    const admin = await startAdmin();
    for (const authorization of [undefined, 'Bearer wrong-token', `Bearer ${TOKEN}x`, `Basic ${Buffer.from(`admin:${TOKEN}`).toString('base64')}`, 'Bearer']) {
      for (const [method, path] of API_ROUTES) {
        const headers: Record<string, string> = authorization === undefined ? {} : { authorization };
        const response = await fetch(admin.base + path, { method, headers });
        expect(response.status, `${method} ${path} with ${authorization}`).toBe(401);
        expect(await response.json()).toEqual({ error: { code: 'unauthorized', message: expect.any(String) } });
      }
    }
    expect(admin.harness.stopRequested()).toBeNull();
  });

  it('answers UI pages and assets 401 with the login page', async () => {
    const admin = await startAdmin();
    for (const path of UI_ROUTES) {
      const response = await fetch(admin.base + path, { redirect: 'manual' });
      expect(response.status, path).toBe(401);
      const text = await response.text();
      expect(text).toContain('<form id="login-form" method="post" action="/login">');
      expect(text).toContain('<label for="token">Admin token</label>');
    }
  });

  it('leaves /healthz open', async () => {
    const admin = await startAdmin();
    const response = await fetch(`${admin.base}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  it('lets the bearer token through, and not a cookie when a wrong bearer is sent', async () => {
    const admin = await startAdmin();
    expect((await admin.api('/api/status')).status).toBe(200);
    const browser = await login(admin);
    const mixed = await fetch(`${admin.base}/api/status`, { headers: { cookie: browser.cookie, authorization: 'Bearer nope' } });
    expect(mixed.status).toBe(401);
    const cookieOnly = await fetch(`${admin.base}/api/status`, { headers: { cookie: browser.cookie } });
    expect(cookieOnly.status).toBe(200);
  });

  it('logs in with the token through the form: an HttpOnly, SameSite=Strict session cookie and a 303 to /', async () => {
    const admin = await startAdmin();
    const wrong = await fetch(`${admin.base}/login`, { method: 'POST', body: new URLSearchParams({ token: 'nope' }), redirect: 'manual' });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('set-cookie')).toBeNull();
    expect(await wrong.text()).toContain('That is not the admin token.');

    const right = await fetch(`${admin.base}/login`, { method: 'POST', body: new URLSearchParams({ token: TOKEN }), redirect: 'manual' });
    expect(right.status).toBe(303);
    expect(right.headers.get('location')).toBe('/');
    const cookie = right.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/^kora_session=[A-Za-z0-9_-]{43}; /);
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Strict');
    expect(cookie).toContain('Path=/');
    expect(cookie).not.toContain(TOKEN);
    const home = await fetch(`${admin.base}/`, { headers: { cookie: cookie.split(';', 1)[0]! } });
    expect(home.status).toBe(200);
    expect(await home.text()).toContain('<h1>Overview</h1>');
  });

  it('refuses a login posted from another origin', async () => {
    const admin = await startAdmin();
    const response = await fetch(`${admin.base}/login`, { method: 'POST', body: new URLSearchParams({ token: TOKEN }), headers: { origin: 'http://evil.example' }, redirect: 'manual' });
    expect(response.status).toBe(403);
    expect(response.headers.get('set-cookie')).toBeNull();
  });

  it('refuses a cookie-carried form post without its CSRF token, or from another origin', async () => {
    const admin = await startAdmin();
    const browser = await login(admin);
    const noToken = await browser.post('/inbox/dead/1/replay', {});
    expect(noToken.status).toBe(403);
    const staleToken = await browser.post('/inbox/dead/1/replay', { _csrf: 'x'.repeat(43) });
    expect(staleToken.status).toBe(403);
    const crossSite = await browser.post('/inbox/dead/1/replay', { _csrf: browser.csrf }, { origin: 'http://evil.example' });
    expect(crossSite.status).toBe(403);
    const fetchMeta = await browser.post('/inbox/dead/1/replay', { _csrf: browser.csrf }, { 'sec-fetch-site': 'cross-site' });
    expect(fetchMeta.status).toBe(403);
    const api = await fetch(`${admin.base}/api/stop`, { method: 'POST', headers: { cookie: browser.cookie, origin: admin.base } });
    expect(api.status).toBe(403);
    expect(await api.json()).toMatchObject({ error: { code: 'csrf_failed' } });
    expect(admin.harness.stopRequested()).toBeNull();
    // Nothing above was acted on; with its token the same post goes through (to a 303).
    const ok = await browser.post('/inbox/dead/1/replay', { _csrf: browser.csrf });
    expect(ok.status).toBe(303);
    const apiOk = await fetch(`${admin.base}/api/stop`, { method: 'POST', headers: { cookie: browser.cookie, origin: admin.base, 'x-csrf-token': browser.csrf } });
    expect(apiOk.status).toBe(202);
  });

  it('ends the session at logout', async () => {
    const admin = await startAdmin();
    const browser = await login(admin);
    const out = await browser.post('/logout', { _csrf: browser.csrf });
    expect(out.status).toBe(303);
    expect(out.headers.get('location')).toBe('/login');
    expect((await browser.get('/')).status).toBe(401);
  });

  it('expires an idle session', async () => {
    const clock = new ManualClock(NOW_MS);
    const admin = await startAdmin({ clock, config: { web: { host: '127.0.0.1', port: 0, sessionIdleMs: 60_000 } } });
    const browser = await login(admin);
    expect((await browser.get('/')).status).toBe(200);
    await clock.advance(59_000);
    expect((await browser.get('/')).status).toBe(200);
    await clock.advance(60_001);
    expect((await browser.get('/')).status).toBe(401);
  });

  it('never puts the token in a log line, the status or a page', async () => {
    const admin = await startAdmin();
    const browser = await login(admin);
    await admin.api('/api/status');
    await fetch(`${admin.base}/api/status`, { headers: { authorization: 'Bearer wrong' } });
    const pages = await Promise.all(['/', '/daemons', '/tasks', '/audit', '/inbox'].map((p) => browser.get(p)));
    expect(JSON.stringify(admin.harness.logs)).not.toContain(TOKEN);
    expect(JSON.stringify((await admin.api('/api/status')).body)).not.toContain(TOKEN);
    expect(JSON.stringify(admin.harness.daemons())).not.toContain(TOKEN);
    for (const page of pages) expect(page.text).not.toContain(TOKEN);
  });
});
