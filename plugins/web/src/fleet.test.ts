// The fleet over the admin API and in the UI: the gateways of the store with their heartbeats
// judged against the lease, and the leader, from the store's rows.
import { afterEach, describe, expect, it } from 'vitest';
import { closeAll, login, NOW_MS, startAdmin } from './admin.test-helper.js';

afterEach(closeAll);

const LEASE = 15_000;
const member = (sessionId: string, host: string, heartbeatAt: number) => ({ sessionId, host, pid: 100, version: '0.1.0', startedAt: heartbeatAt - 60_000, heartbeatAt, state: 'running' });

describe('web: the fleet', () => {
  it('GET /api/fleet lists the gateways alive first, the one silent past the lease as gone, and the leader', async () => {
    const admin = await startAdmin();
    const { store, clock } = admin.harness;
    await store.fleet.register(member('gw-live', 'web-1', clock.now() - 2_000));
    await store.fleet.register(member('gw-gone', 'web-2', clock.now() - LEASE - 1));
    await store.fleet.lead('gw-live', clock.now() - 2_000, LEASE);
    const { status, body } = await admin.api('/api/fleet');
    expect(status).toBe(200);
    expect(body).toMatchObject({
      leaseMs: LEASE,
      leader: { sessionId: 'gw-live', host: 'web-1' },
      gateways: [
        { sessionId: 'gw-live', presence: 'alive', state: 'running', leader: true, heartbeatAgeMs: 2_000 },
        { sessionId: 'gw-gone', presence: 'gone', state: 'gone', leader: false },
      ],
    });
  });

  it('shows the fleet page with the leader, a heartbeat chart against the lease and the table', async () => {
    const admin = await startAdmin();
    const { store } = admin.harness;
    await store.fleet.register(member('gw-a<b>', 'web-1', NOW_MS - 1_000));
    const browser = await login(admin);
    const page = await browser.get('/fleet');
    expect(page.status).toBe(200);
    expect(page.text).toContain('No gateway leads right now');
    expect(page.text).toMatch(/<svg class="heartbeats" id="heartbeats" role="img"/);
    expect(page.text).toContain('data-presence="alive"');
    expect(page.text).toContain('gw-a&lt;b&gt;');
    expect(page.text).toContain('href="/fleet"');
  });
});
