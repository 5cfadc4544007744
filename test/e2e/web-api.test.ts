// The admin API on the real process: auth, a task run now recorded as manual in the ledger and
// shown by GET /api/tasks, dead letters replayed, the dev token, fail-closed and port-taken starts.
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { killAll, makeProject, startKora, type Project, type Running } from './helpers.js';
import { ADMIN_TOKEN, FLAG, startWeb, statusOf, webProject } from './web-project.js';

const projects: Project[] = [];
const running: Running[] = [];
afterEach(async () => {
  await killAll(running);
  for (const p of projects.splice(0)) p.cleanup();
});

function project(): Project {
  const p = webProject();
  projects.push(p);
  return p;
}

async function api(base: string, path: string, init: RequestInit = {}, token = ADMIN_TOKEN) {
  const response = await fetch(base + path, { ...init, headers: { authorization: `Bearer ${token}`, ...(init.body ? { 'content-type': 'application/json' } : {}), ...init.headers } });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return { status: response.status, body: (await response.json()) as any };
}

/** Poll an async check (the gateway runs on the wall clock). */
async function until(check: () => Promise<boolean>, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('web: the admin API on the real gateway', () => {
  it('answers 401 without the token, runs a task now as a manual ledger row, and replays a dead letter', async () => {
    const p = project();
    const { gateway, base } = await startWeb(p);
    running.push(gateway);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/api/status`)).status).toBe(401);
    expect((await api(base, '/api/status', {}, 'wrong')).status).toBe(401);

    const status = await api(base, '/api/status');
    expect(status.body).toMatchObject({ state: 'running', deployEnv: 'e2e' });
    expect(status.body.daemons.map((d: { name: string }) => d.name)).toEqual(expect.arrayContaining(['chores', 'web']));
    await gateway.waitFor('SWEEP schedule');

    const ran = await api(base, '/api/tasks/chores.sweep/run?wait=1', { method: 'POST' });
    expect(ran).toMatchObject({ status: 200, body: { task: 'chores.sweep', status: 'ok', trigger: 'manual' } });
    await gateway.waitFor('SWEEP manual');
    const tasks = await api(base, '/api/tasks');
    const sweep = tasks.body.tasks.find((t: { name: string }) => t.name === 'chores.sweep');
    expect(sweep).toMatchObject({ daemon: 'chores', schedule: expect.stringContaining('1h') });
    expect(sweep.recentRuns[0]).toMatchObject({ status: 'ok', trigger: 'manual', slot: ran.body.slot });
    expect(sweep.recentRuns.some((r: { trigger?: string }) => r.trigger !== 'manual')).toBe(true);
    expect(await api(base, '/api/tasks/no.such/run', { method: 'POST' })).toMatchObject({ status: 404, body: { error: { code: 'KORA_ERR_TASK_UNKNOWN' } } });

    // A job through the plugin's own http.admin route: it fails once (attempts 1) and is dead.
    expect(await api(base, '/api/chores/jobs', { method: 'POST', body: JSON.stringify({ key: 'job-1' }) })).toMatchObject({ status: 201, body: { duplicate: false } });
    let dead: { id: number; key: string; attempts: number }[] = [];
    await until(async () => (dead = (await api(base, '/api/inbox/dead?topic=chores.jobs')).body.deadLetters).length === 1);
    expect(dead[0]).toMatchObject({ key: 'job-1', attempts: 1 });
    writeFileSync(join(p.home, FLAG), '');
    expect(await api(base, `/api/inbox/dead/${dead[0]!.id}/replay`, { method: 'POST' })).toMatchObject({ status: 200, body: { replayed: true } });
    await gateway.waitFor('HANDLED job-1');
    // Handled: the topic has nothing pending, in flight or dead, so it is not listed any more.
    expect((await api(base, '/api/inbox')).body.topics).toEqual([]);
    expect((await api(base, '/api/inbox/dead')).body.deadLetters).toEqual([]);
    const audit = await api(base, '/api/audit?seam=inbox.replayed');
    expect(audit.body.entries[0]).toMatchObject({ plugin: 'runtime', details: { id: dead[0]!.id, by: 'web:admin' } });

    expect(await api(base, '/api/stop', { method: 'POST', body: JSON.stringify({ reason: 'e2e done' }) })).toMatchObject({ status: 202 });
    expect((await gateway.exited).code).toBe(0);
    expect(statusOf(p)).toMatchObject({ state: 'stopped' });
    const all = gateway.stdout() + gateway.stderr() + readFileSync(join(p.home, 'run', 'status.json'), 'utf8');
    expect(all).not.toContain(ADMIN_TOKEN);
  });

  it('in dev mode generates the token once (0600), prints a login link in the summary only, and reuses it', async () => {
    const p = project();
    const first = await startWeb(p, {}, ['daemon', '--dev']);
    running.push(first.gateway);
    const file = join(p.home, 'admin_token');
    const token = readFileSync(file, 'utf8').trim();
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(first.gateway.stdout()).toContain(`admin UI ${first.base}/login#token=${token} (token in ${file})`);
    expect(first.gateway.stderr()).not.toContain(token);
    expect(readFileSync(join(p.home, 'run', 'status.json'), 'utf8')).not.toContain(token);
    expect((await api(first.base, '/api/identity', {}, token)).body.identity).toMatchObject({ agentName: 'Kora' });
    first.gateway.child.kill('SIGTERM');
    expect((await first.gateway.exited).code).toBe(0);

    const second = await startWeb(p, {}, ['daemon', '--dev']);
    running.push(second.gateway);
    expect(readFileSync(file, 'utf8').trim()).toBe(token);
    expect((await api(second.base, '/api/status', {}, token)).status).toBe(200);
  });

  it('fails closed outside dev mode without KORA_ADMIN_TOKEN: exit 1, saying what to set', async () => {
    const p = project();
    const gateway = startKora(['daemon'], p, { KORA_DEPLOY_ENV: 'production', KORA_WEB_PORT: '0' });
    running.push(gateway);
    expect((await gateway.exited).code).toBe(1);
    expect(gateway.stderr()).toContain('set KORA_ADMIN_TOKEN');
    expect(() => statSync(join(p.home, 'admin_token'))).toThrow();
  });

  it('fails the start naming the address when the port is taken', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    try {
      const port = (blocker.address() as { port: number }).port;
      const p = makeProject();
      projects.push(p);
      p.writeConfig(`plugins:\n  enabled: [kora, web]\n  config:\n    web: { port: ${port} }\n`);
      const gateway = startKora(['daemon'], p, { KORA_DEPLOY_ENV: 'e2e', KORA_ADMIN_TOKEN: ADMIN_TOKEN });
      running.push(gateway);
      expect((await gateway.exited).code).toBe(1);
      expect(gateway.stderr()).toContain(`cannot listen on 127.0.0.1:${port}: the port is taken`);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });
});
