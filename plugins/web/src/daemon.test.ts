import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPluginHarness } from '@kora/runtime/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { closeAll, startAdmin, TOKEN } from './admin.test-helper.js';
import plugin from './index.js';

const homes: string[] = [];
const blockers: Server[] = [];
afterEach(async () => {
  await closeAll();
  for (const s of blockers.splice(0)) await new Promise((resolve) => s.close(resolve));
  for (const h of homes.splice(0)) rmSync(h, { recursive: true, force: true });
});

function tempHome(): string {
  const home = mkdtempSync(join(tmpdir(), 'kora-web-'));
  homes.push(home);
  return home;
}

async function takenPort(): Promise<number> {
  const server = createServer();
  blockers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as { port: number }).port;
}

describe('web: the daemon', () => {
  it('publishes the login URL and where the token is, and resolves start once the port is bound', async () => {
    const admin = await startAdmin();
    const [endpoint] = admin.harness.daemons().find((d) => d.name === 'web')!.endpoints;
    expect(endpoint).toEqual({ name: 'admin UI', url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/login$/), note: 'token: $KORA_ADMIN_TOKEN' });
    expect((await fetch(`${admin.base}/healthz`)).status).toBe(200);
  });

  it('fails its start naming the address when the port is taken', async () => {
    const port = await takenPort();
    const harness = await createPluginHarness(plugin, { config: { host: '127.0.0.1', port }, env: { KORA_ADMIN_TOKEN: TOKEN } });
    try {
      const [status] = await harness.startDaemons();
      expect(status).toMatchObject({ name: 'web', state: 'failed', errorCode: 'KORA_ERR_DAEMON_START' });
      expect(status?.error).toContain(`cannot listen on 127.0.0.1:${port}: the port is taken`);
      expect(status?.error).toContain('KORA_WEB_PORT');
    } finally {
      await harness.close();
    }
  });

  it('takes KORA_WEB_HOST and KORA_WEB_PORT over the config', async () => {
    const port = await takenPort();
    const harness = await createPluginHarness(plugin, { config: { host: '0.0.0.0', port: 1 }, env: { KORA_ADMIN_TOKEN: TOKEN, KORA_WEB_HOST: '127.0.0.1', KORA_WEB_PORT: String(port) } });
    try {
      const [status] = await harness.startDaemons();
      expect(status?.error).toContain(`127.0.0.1:${port}`);
    } finally {
      await harness.close();
    }
    await expect(createPluginHarness(plugin, { env: { KORA_WEB_PORT: 'http' } })).rejects.toMatchObject({ code: 'KORA_ERR_PLUGIN_REGISTER', message: expect.stringContaining('KORA_WEB_PORT="http" is not a port') });
  });

  it('fails closed outside dev mode without KORA_ADMIN_TOKEN', async () => {
    const home = tempHome();
    const harness = await createPluginHarness(plugin, { home, deployEnv: 'production', config: { host: '127.0.0.1', port: 0 } });
    try {
      const [status] = await harness.startDaemons();
      expect(status).toMatchObject({ state: 'failed', errorCode: 'KORA_ERR_DAEMON_START' });
      expect(status?.error).toContain('set KORA_ADMIN_TOKEN');
      expect(() => statSync(join(home, 'admin_token'))).toThrow();
    } finally {
      await harness.close();
    }
  });

  it('in dev mode generates a token once, keeps it owner-only in $KORA_HOME/admin_token, and reuses it', async () => {
    const home = tempHome();
    const boot = async () => {
      const admin = await startAdmin({ home, deployEnv: 'dev', env: { KORA_ADMIN_TOKEN: undefined } });
      const web = admin.harness.daemons().find((d) => d.name === 'web')!;
      return { admin, endpoint: web.endpoints[0]! };
    };
    const first = await boot();
    const file = join(home, 'admin_token');
    const token = readFileSync(file, 'utf8').trim();
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    // The status shows where the token is, never the token or the login link.
    expect(first.endpoint).toEqual({ name: 'admin UI', url: `${first.admin.base}/login`, note: `token in ${file}` });
    expect(JSON.stringify(first.admin.harness.daemons())).not.toContain(token);
    expect(JSON.stringify(first.admin.harness.logs)).not.toContain(token);
    const ok = await fetch(`${first.admin.base}/api/status`, { headers: { authorization: `Bearer ${token}` } });
    expect(ok.status).toBe(200);
    await closeAll();

    await boot();
    expect(readFileSync(file, 'utf8').trim()).toBe(token);
  });

  it('tightens a kept token file others can read', async () => {
    const home = tempHome();
    writeFileSync(join(home, 'admin_token'), 'kept-token-0123456789\n', { mode: 0o644 });
    const admin = await startAdmin({ home, deployEnv: 'dev', env: { KORA_ADMIN_TOKEN: undefined } });
    expect(statSync(join(home, 'admin_token')).mode & 0o777).toBe(0o600);
    expect((await fetch(`${admin.base}/api/status`, { headers: { authorization: 'Bearer kept-token-0123456789' } })).status).toBe(200);
  });

  it('stops listening when it stops', async () => {
    const admin = await startAdmin();
    await admin.harness.stopDaemons();
    await expect(fetch(`${admin.base}/healthz`)).rejects.toThrow();
  });
});
