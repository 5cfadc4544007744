import { definePlugin, type HttpRoute } from '@kora/runtime';
import { createPluginHarness } from '@kora/runtime/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { closeAll, login, startAdmin, TOKEN } from './admin.test-helper.js';
import { html } from './html.js';
import plugin from './index.js';
import type { WebPage } from './page.js';

afterEach(closeAll);

function contributing(id: string, routes: HttpRoute[], pages: WebPage[] = []) {
  return definePlugin({
    id,
    register(ctx) {
      for (const route of routes) ctx.contribute('http.admin', route);
      for (const page of pages) ctx.contribute('web.page', page);
    },
  });
}

/** A transport-like route (as the MCP server mounts /mcp): its own callers, raw streaming replies. */
function mcpLike(calls: string[]): HttpRoute {
  return {
    method: ['GET', 'POST', 'DELETE'],
    path: '/mcp',
    authenticate: (headers) => {
      calls.push('authenticate');
      return headers.authorization === 'Bearer caller-token' ? 'caller-1' : null;
    },
    handle(request) {
      calls.push(`handle ${request.method}`);
      if (request.method === 'DELETE') return { status: 204 };
      const { res } = request.raw;
      if (request.method === 'POST') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ echo: request.body, principal: request.principal }));
        return { handled: true };
      }
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.write('data: one\n\n');
      setTimeout(() => {
        res.write('data: two\n\n');
        res.end();
      }, 20);
      return { handled: true };
    },
  };
}

describe('web: http.admin routes other plugins contribute', () => {
  it('mounts a route behind the admin auth: params, query, parsed JSON body, the principal', async () => {
    const route: HttpRoute = {
      method: 'POST',
      path: '/api/probes/:name',
      handle: (r) => ({ status: 201, headers: { 'x-probe': r.params.name! }, body: { name: r.params.name, query: r.query, body: r.body, principal: r.principal, path: r.path } }),
    };
    const admin = await startAdmin({ plugins: [contributing('probes', [route])] });
    const ok = await admin.api('/api/probes/vercel?verbose=1', { method: 'POST', body: JSON.stringify({ a: 1 }) });
    expect(ok).toMatchObject({ status: 201, body: { name: 'vercel', query: { verbose: '1' }, body: { a: 1 }, principal: 'admin', path: '/api/probes/vercel' } });
    expect(ok.headers.get('x-probe')).toBe('vercel');
    const refused = await fetch(`${admin.base}/api/probes/vercel`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({ error: { code: 'unauthorized' } });
  });

  it('judges a route with its own authenticate before the body is read, and never by the admin token', async () => {
    const calls: string[] = [];
    const admin = await startAdmin({ plugins: [contributing('mcp', [mcpLike(calls)])] });
    // Malformed JSON: had the body been parsed first, this would be a 400.
    const refused = await fetch(`${admin.base}/mcp`, { method: 'POST', body: '{oops', headers: { 'content-type': 'application/json', authorization: 'Bearer wrong' } });
    expect(refused.status).toBe(401);
    expect(await refused.json()).toEqual({ error: { code: 'unauthorized', message: expect.any(String) } });
    const admins = await fetch(`${admin.base}/mcp`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` } });
    expect(admins.status).toBe(401);
    expect(calls).toEqual(['authenticate', 'authenticate']);

    const posted = await fetch(`${admin.base}/mcp`, { method: 'POST', body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }), headers: { 'content-type': 'application/json', authorization: 'Bearer caller-token' } });
    expect(posted.status).toBe(200);
    expect(await posted.json()).toEqual({ echo: { jsonrpc: '2.0', id: 1, method: 'ping' }, principal: 'caller-1' });
  });

  it('hands a streaming GET the raw response (hijacked from Fastify) and answers DELETE from its reply', async () => {
    const calls: string[] = [];
    const admin = await startAdmin({ plugins: [contributing('mcp', [mcpLike(calls)])] });
    const stream = await fetch(`${admin.base}/mcp`, { headers: { authorization: 'Bearer caller-token', accept: 'text/event-stream' } });
    expect(stream.status).toBe(200);
    expect(stream.headers.get('content-type')).toBe('text/event-stream');
    const reader = stream.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    expect(first).toBe('data: one\n\n');
    let rest = '';
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      rest += new TextDecoder().decode(value);
    }
    expect(rest).toBe('data: two\n\n');
    const deleted = await fetch(`${admin.base}/mcp`, { method: 'DELETE', headers: { authorization: 'Bearer caller-token' } });
    expect(deleted.status).toBe(204);
    // No HEAD is made up for a contributed GET: it is an unknown route (404 behind the admin token).
    expect((await fetch(`${admin.base}/mcp`, { method: 'HEAD', headers: { authorization: 'Bearer caller-token' } })).status).toBe(401);
    expect((await fetch(`${admin.base}/mcp`, { method: 'HEAD', headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(404);
    expect(calls).toEqual(['authenticate', 'handle GET', 'authenticate', 'handle DELETE']);
  });

  it('answers a throwing handler 500 in the error shape and logs it with the contributing plugin', async () => {
    const route: HttpRoute = {
      method: 'GET',
      path: '/api/boom',
      handle: () => {
        throw new Error('kaboom');
      },
    };
    const admin = await startAdmin({ plugins: [contributing('bomber', [route])] });
    expect(await admin.api('/api/boom')).toMatchObject({ status: 500, body: { error: { code: 'internal_error' } } });
    const line = admin.harness.logs.find((l) => l.level === 'error' && l.plugin === 'bomber');
    expect(line).toMatchObject({ route: 'GET /api/boom', msg: expect.stringContaining('plugin "bomber"') });
    expect(JSON.stringify(line)).toContain('kaboom');
  });

  it('needs the CSRF token for a cookie-carried POST to a contributed route', async () => {
    let ran = 0;
    const route: HttpRoute = { method: 'POST', path: '/api/thing', handle: () => ((ran += 1), { body: { ok: true } }) };
    const admin = await startAdmin({ plugins: [contributing('thing', [route])] });
    const browser = await login(admin);
    const refused = await fetch(`${admin.base}/api/thing`, { method: 'POST', headers: { cookie: browser.cookie, 'content-type': 'application/json' }, body: '{}' });
    expect(refused.status).toBe(403);
    const ok = await fetch(`${admin.base}/api/thing`, { method: 'POST', headers: { cookie: browser.cookie, 'content-type': 'application/json', 'x-csrf-token': browser.csrf }, body: '{}' });
    expect(ok.status).toBe(200);
    expect(ran).toBe(1);
  });

  it.each([
    ['a path that is not absolute', [{ method: 'GET', path: 'api/x', handle: () => ({}) }], 'needs an absolute path'],
    ['a path with a wildcard', [{ method: 'GET', path: '/api/*', handle: () => ({}) }], 'needs an absolute path'],
    ['an unknown method', [{ method: 'TRACE', path: '/api/x', handle: () => ({}) }], 'has method "TRACE"'],
    ['no handler', [{ method: 'GET', path: '/api/x' }], 'has no handle() function'],
    ['a built-in route', [{ method: 'GET', path: '/api/status', handle: () => ({}) }], 'already served by the admin server'],
    ['a UI page', [{ method: 'GET', path: '/tasks', handle: () => ({}) }], 'already served by the admin server'],
    ['the assets', [{ method: 'GET', path: '/assets/x.js', handle: () => ({}) }], 'under /assets/'],
  ])('fails the start for %s', async (_what, routes, message) => {
    const harness = await createPluginHarness([contributing('bad', routes as HttpRoute[]), plugin], { config: { web: { host: '127.0.0.1', port: 0 } }, env: { KORA_ADMIN_TOKEN: TOKEN } });
    try {
      const [status] = await harness.startDaemons();
      expect(status).toMatchObject({ name: 'web', state: 'failed', errorCode: 'KORA_ERR_DAEMON_START' });
      expect(status?.error).toContain('cannot mount a contribution');
      expect(status?.error).toContain('plugin "bad"');
      expect(status?.error).toContain(message);
    } finally {
      await harness.close();
    }
  });

  it('fails the start when two plugins claim the same route (parameter names aside)', async () => {
    const a = contributing('first', [{ method: 'GET', path: '/api/x/:id', handle: () => ({}) }]);
    const b = contributing('second', [{ method: ['POST', 'GET'], path: '/api/x/:name', handle: () => ({}) }]);
    const harness = await createPluginHarness([a, b, plugin], { config: { web: { host: '127.0.0.1', port: 0 } }, env: { KORA_ADMIN_TOKEN: TOKEN } });
    try {
      const [status] = await harness.startDaemons();
      expect(status?.error).toContain('of plugin "second" claims GET /api/x/:name, already served by plugin "first"');
    } finally {
      await harness.close();
    }
  });
});

describe('web: web.page pages other plugins contribute', () => {
  it('lists the page in the navigation and renders its fragment in the layout, escaped by html``', async () => {
    const page: WebPage = { path: '/probes', title: 'Probes', render: (r) => html`<p id="probe">${'<script>x</script>'} for ${r.principal}, csrf ${r.csrfToken.length > 0 ? 'set' : 'unset'}</p>` };
    const admin = await startAdmin({ plugins: [contributing('probes', [], [page])] });
    const browser = await login(admin);
    const overview = await browser.get('/');
    expect(overview.text).toContain('<a href="/probes">Probes</a>');
    const shown = await browser.get('/probes');
    expect(shown.status).toBe(200);
    expect(shown.text).toContain('<h1>Probes</h1>');
    expect(shown.text).toContain('<p id="probe">&lt;script&gt;x&lt;/script&gt; for admin, csrf set</p>');
    expect(shown.text).toContain('<a href="/probes" aria-current="page">Probes</a>');
    expect((await fetch(`${admin.base}/probes`)).status).toBe(401);
  });

  it('shows an error page for a page that throws, and logs it with its plugin', async () => {
    const page: WebPage = {
      path: '/broken',
      title: 'Broken',
      render: () => {
        throw new Error('render failed on purpose');
      },
    };
    const admin = await startAdmin({ plugins: [contributing('broken', [], [page])] });
    const browser = await login(admin);
    const shown = await browser.get('/broken');
    expect(shown.status).toBe(500);
    expect(shown.text).toContain('This page failed to render');
    expect(shown.text).not.toContain('render failed on purpose');
    expect(admin.harness.logs.find((l) => l.level === 'error' && l.plugin === 'broken')).toBeDefined();
  });

  it.each([
    ['/probes/:name', 'needs an absolute path of plain segments'],
    ['/api/probes', 'is under /api/'],
    ['/daemons', 'already served by'],
  ])('fails the start for a page at %s', async (path, message) => {
    const bad = contributing('bad', [], [{ path, title: 'Bad', render: () => '' }]);
    const harness = await createPluginHarness([bad, plugin], { config: { web: { host: '127.0.0.1', port: 0 } }, env: { KORA_ADMIN_TOKEN: TOKEN } });
    try {
      const [status] = await harness.startDaemons();
      expect(status?.error).toContain(message);
    } finally {
      await harness.close();
    }
  });
});
