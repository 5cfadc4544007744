import { definePlugin } from '@kora/runtime';
import { afterEach, describe, expect, it } from 'vitest';
import { closeAll, login, NOW_MS, startAdmin } from './admin.test-helper.js';

afterEach(closeAll);

const failing = definePlugin({
  id: 'failing',
  register(ctx) {
    ctx.registerDaemon({
      name: 'failing',
      start() {
        throw new Error('no credentials <b>here</b>');
      },
    });
  },
});

describe('web: UI pages', () => {
  it('shows on the overview what is degraded and why, escaped', async () => {
    const admin = await startAdmin({ plugins: [failing] });
    const browser = await login(admin);
    const page = await browser.get('/');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(page.text).toContain('<span class="state state-degraded">degraded</span>');
    expect(page.text).toContain('no credentials &lt;b&gt;here&lt;/b&gt;');
    const daemons = await browser.get('/daemons');
    expect(daemons.text).toMatch(/<tr data-daemon="failing"><th scope="row">failing<\/th><td>failing<\/td><td><span class="state state-failed">failed<\/span>/);
  });

  it('lists the audit log with filters and a link to the older page', async () => {
    const admin = await startAdmin();
    for (let i = 0; i < 3; i++) await admin.harness.store.audit.append({ at: NOW_MS + i, plugin: 'p', seam: 'x.y', details: { n: `<${i}>` } });
    const browser = await login(admin);
    const page = await browser.get('/audit?seam=x.y&limit=2');
    expect(page.status).toBe(200);
    expect(page.text).toContain('&lt;2&gt;');
    expect(page.text).not.toContain('&lt;0&gt;');
    const older = /href="([^"]+)" rel="next"/.exec(page.text)?.[1]?.replaceAll('&amp;', '&');
    expect(older).toMatch(/^\/audit\?seam=x\.y&limit=2&before=\d+$/);
    const next = await browser.get(older!);
    expect(next.text).toContain('&lt;0&gt;');
    expect(next.text).not.toContain('rel="next"');
    expect((await browser.get('/audit?since=never')).status).toBe(400);
  });

  it('lists dead letters with Replay and Discard, and replays one from its form', async () => {
    const admin = await startAdmin();
    const { id } = await admin.harness.store.inbox.enqueue({ topic: 'a.b', key: 'k1', payload: { text: '<hello>' } });
    const [item] = await admin.harness.store.inbox.claim({ topics: ['a.b'], owner: 't', leaseMs: 1000, now: NOW_MS });
    await admin.harness.store.inbox.fail(item!.id, 't', { error: 'no way', dead: true });
    const browser = await login(admin);
    const page = await browser.get('/inbox');
    expect(page.text).toContain(`<tr data-dead-letter="${id}">`);
    expect(page.text).toContain('&lt;hello&gt;');
    expect(page.text).toContain(`action="/inbox/dead/${id}/replay"`);
    expect(page.text).toContain(`action="/inbox/dead/${id}/discard"`);
    const replayed = await browser.post(`/inbox/dead/${id}/replay`, { _csrf: browser.csrf });
    expect(replayed.status).toBe(303);
    expect(replayed.headers.get('location')).toBe(`/inbox?done=replayed&id=${id}`);
    const after = await browser.get(replayed.headers.get('location')!);
    expect(after.text).toContain(`Dead letter ${id} is back in its topic`);
    expect(after.text).toContain('id="no-dead-letters"');
    const again = await browser.post(`/inbox/dead/${id}/replay`, { _csrf: browser.csrf });
    expect(again.headers.get('location')).toBe(`/inbox?error=not_dead&id=${id}`);
  });

  it('lists rejected webhook requests from the audit log', async () => {
    const admin = await startAdmin();
    await admin.harness.store.audit.append({ at: NOW_MS, plugin: 'webhooks', seam: 'webhooks.rejected', details: { route: '/api/webhooks/slack/events', reason: 'slack_signature_mismatch', status: 401, ip: '10.0.0.1', size: 12, headers: {} } });
    const browser = await login(admin);
    const page = await browser.get('/webhooks/rejected');
    expect(page.text).toContain('<td>slack_signature_mismatch</td>');
    expect(page.text).toContain('<td>10.0.0.1</td>');
  });

  it('never shows a flash text taken from the URL', async () => {
    const admin = await startAdmin();
    const browser = await login(admin);
    const page = await browser.get('/inbox?error=<img src=x>&done=<b>');
    expect(page.text).toContain('That did not work; the gateway log says why.');
    expect(page.text).not.toContain('<img src=x>');
  });
});
