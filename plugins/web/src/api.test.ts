import { definePlugin } from '@kora/runtime';
import { ManualClock, type PluginHarness } from '@kora/runtime/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { closeAll, NOW_MS, startAdmin, TOKEN } from './admin.test-helper.js';

afterEach(closeAll);

// A daemon with one task (blocks until released, to test "running") and an inbox consumer.
let release: (() => void) | undefined;
const worker = definePlugin({
  id: 'worker',
  register(ctx) {
    ctx.registerDaemon({
      name: 'worker',
      start() {},
      tasks: [
        { name: 'worker.tick', every: '1h', run: () => undefined },
        { name: 'worker.slow', every: '1h', run: () => new Promise<void>((resolve) => (release = resolve)) },
        { name: 'worker.broken', every: '1h', run: () => Promise.reject(new Error('broken on purpose')) },
      ],
      consumers: [{ topic: 'worker.jobs', handle: () => undefined }],
    });
  },
});

async function deadLetter(harness: PluginHarness, key: string): Promise<number> {
  const { id } = await harness.store.inbox.enqueue({ topic: 'worker.jobs', key, payload: { key } });
  const [item] = await harness.store.inbox.claim({ topics: ['worker.jobs'], owner: 'test', leaseMs: 1000, now: harness.clock.now() });
  await harness.store.inbox.fail(item!.id, 'test', { error: `cannot handle ${key}`, dead: true });
  return id;
}

describe('web: admin API', () => {
  it('GET /api/status answers the status shape, and its parts have their own routes', async () => {
    const admin = await startAdmin({ plugins: [worker] });
    const status = await admin.api('/api/status');
    expect(status.status).toBe(200);
    expect(status.headers.get('content-type')).toMatch(/^application\/json/);
    expect(status.body).toMatchObject({ schema: 2, sessionId: 'harness', state: 'running', daemons: expect.any(Array), plugins: expect.any(Array), inbox: expect.any(Array) });
    const daemons = await admin.api('/api/daemons');
    expect(daemons.body.daemons.map((d: { name: string }) => d.name)).toEqual(['worker', 'web']);
    expect(daemons.body.daemons[1]).toMatchObject({ name: 'web', plugin: 'web', state: 'running', fatal: false, endpoints: [{ name: 'admin UI', url: `${admin.base}/login` }] });
    expect((await admin.api('/api/plugins')).body).toEqual({ plugins: status.body.plugins });
    expect((await admin.api('/api/identity')).body).toEqual({ identity: null, sessionId: 'harness' });
  });

  it('GET /api/tasks answers the tasks of the status (none in the harness: the e2e test has real ones) and checks its runs limit', async () => {
    const admin = await startAdmin({ plugins: [worker] });
    const body = (await admin.api('/api/tasks')).body;
    // The harness's status lists no tasks (no scheduler): the API shows what status shows.
    expect(body).toEqual({ tasks: [] });
    expect((await admin.api('/api/tasks?runs=0')).status).toBe(400);
  });

  it('POST /api/tasks/:name/run runs it now as web:admin: 202 with its slot, or the run row with ?wait=1', async () => {
    const admin = await startAdmin({ plugins: [worker] });
    const started = await admin.api('/api/tasks/worker.tick/run', { method: 'POST' });
    expect(started).toMatchObject({ status: 202, body: { task: 'worker.tick', daemon: 'worker', slot: NOW_MS } });
    const waited = await admin.api('/api/tasks/worker.broken/run?wait=1', { method: 'POST' });
    expect(waited.status).toBe(200);
    expect(waited.body).toMatchObject({ task: 'worker.broken', status: 'failed', error: expect.stringContaining('broken on purpose'), trigger: 'manual' });
    const audited = await admin.harness.audit({ seam: 'operations.task_run' });
    expect(audited.map((e) => e.details)).toEqual([
      { task: 'worker.tick', daemon: 'worker', slot: NOW_MS, by: 'web:admin' },
      { task: 'worker.broken', daemon: 'worker', slot: NOW_MS, by: 'web:admin' },
    ]);
  });

  it('answers an unknown task 404 and one that is running 409, with the runtime code', async () => {
    const admin = await startAdmin({ plugins: [worker] });
    const unknown = await admin.api('/api/tasks/no.such/run', { method: 'POST' });
    expect(unknown).toMatchObject({ status: 404, body: { error: { code: 'KORA_ERR_TASK_UNKNOWN', message: expect.stringContaining('no.such') } } });
    expect((await admin.api('/api/tasks/worker.slow/run', { method: 'POST' })).status).toBe(202);
    const again = await admin.api('/api/tasks/worker.slow/run', { method: 'POST' });
    expect(again).toMatchObject({ status: 409, body: { error: { code: 'KORA_ERR_TASK_RUNNING' } } });
    release?.();
  });

  it('GET /api/audit pages back from the newest, filtered by seam, plugin and time', async () => {
    const clock = new ManualClock(NOW_MS);
    const admin = await startAdmin({ clock });
    const audit = admin.harness.store.audit;
    for (let i = 0; i < 5; i++) await audit.append({ at: NOW_MS + i * 1000, plugin: i % 2 ? 'a' : 'b', seam: i < 3 ? 'x.one' : 'x.two', details: { i } });
    const page1 = await admin.api('/api/audit?limit=2');
    expect(page1.status).toBe(200);
    expect(page1.body.entries.map((e: { details: { i: number } }) => e.details.i)).toEqual([4, 3]);
    expect(page1.body.next).toBe(page1.body.entries[1].id);
    const page2 = await admin.api(`/api/audit?limit=2&before=${page1.body.next}`);
    expect(page2.body.entries.map((e: { details: { i: number } }) => e.details.i)).toEqual([2, 1]);
    const page3 = await admin.api(`/api/audit?limit=2&before=${page2.body.next}`);
    expect(page3.body).toMatchObject({ next: null });
    expect(page3.body.entries.map((e: { details: { i: number } }) => e.details.i)).toEqual([0]);

    const seam = await admin.api('/api/audit?seam=x.one&plugin=b');
    expect(seam.body.entries.map((e: { details: { i: number } }) => e.details.i)).toEqual([2, 0]);
    const since = new Date(NOW_MS + 1000).toISOString();
    const window = await admin.api(`/api/audit?since=${encodeURIComponent(since)}&until=${NOW_MS + 3000}`);
    expect(window.body.entries.map((e: { details: { i: number } }) => e.details.i)).toEqual([2, 1]);
    for (const bad of ['since=yesterday', 'until=12:00', 'before=-1', 'limit=0', 'limit=501']) {
      const response = await admin.api(`/api/audit?${bad}`);
      expect(response, bad).toMatchObject({ status: 400, body: { error: { code: 'bad_request' } } });
    }
  });

  it('lists inbox topics and dead letters, replays and discards them, 404 for one that is not dead', async () => {
    const admin = await startAdmin({ plugins: [worker] });
    const first = await deadLetter(admin.harness, 'one');
    const second = await deadLetter(admin.harness, 'two');
    expect((await admin.api('/api/inbox')).body).toEqual({ topics: [{ topic: 'worker.jobs', consumer: null, pending: 0, inFlight: 0, dead: 2 }] });
    const dead = await admin.api('/api/inbox/dead?topic=worker.jobs');
    expect(dead.body.deadLetters.map((d: { id: number }) => d.id).sort()).toEqual([first, second].sort());
    expect(dead.body.deadLetters[0]).toMatchObject({ topic: 'worker.jobs', attempts: 1, errors: [{ error: expect.stringMatching(/^cannot handle/) }] });
    expect((await admin.api('/api/inbox/dead?topic=other')).body).toEqual({ deadLetters: [] });

    expect(await admin.api(`/api/inbox/dead/${first}/replay`, { method: 'POST' })).toMatchObject({ status: 200, body: { id: first, replayed: true } });
    expect(await admin.api(`/api/inbox/dead/${first}/replay`, { method: 'POST' })).toMatchObject({ status: 404, body: { error: { code: 'not_found' } } });
    expect(await admin.api(`/api/inbox/dead/${second}/discard`, { method: 'POST' })).toMatchObject({ status: 200, body: { id: second, discarded: true } });
    expect(await admin.api(`/api/inbox/dead/${second}/discard`, { method: 'POST' })).toMatchObject({ status: 404 });
    expect(await admin.api('/api/inbox/dead/abc/replay', { method: 'POST' })).toMatchObject({ status: 400, body: { error: { code: 'bad_request' } } });
    expect((await admin.api('/api/inbox')).body.topics[0]).toMatchObject({ pending: 1, dead: 0 });
    const audited = [...(await admin.harness.audit({ seam: 'inbox.replayed' })), ...(await admin.harness.audit({ seam: 'inbox.discarded' }))];
    expect(audited.map((e) => e.details)).toEqual([
      { id: first, by: 'web:admin' },
      { id: second, by: 'web:admin' },
    ]);
  });

  it('POST /api/stop asks the gateway to stop, as web:admin, with the reason given', async () => {
    const admin = await startAdmin();
    const response = await admin.api('/api/stop', { method: 'POST', body: JSON.stringify({ reason: 'maintenance' }) });
    expect(response).toMatchObject({ status: 202, body: { stopping: true } });
    await new Promise((resolve) => setImmediate(resolve));
    expect(admin.harness.stopRequested()).toBe('stop requested by web:admin: maintenance');
  });

  it('answers malformed JSON 400 and an unknown route 404, in the error shape', async () => {
    const admin = await startAdmin();
    expect(await admin.api('/api/stop', { method: 'POST', body: '{not json' })).toMatchObject({ status: 400, body: { error: { code: 'bad_request', message: expect.any(String) } } });
    expect(await admin.api('/api/nope')).toMatchObject({ status: 404, body: { error: { code: 'not_found' } } });
    expect(admin.harness.stopRequested()).toBeNull();
    expect(JSON.stringify(admin.harness.logs)).not.toContain(TOKEN);
  });
});
