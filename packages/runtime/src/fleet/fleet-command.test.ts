// `kora fleet` reads the fleet from the store (SQLite here, PostgreSQL in the postgres project):
// the gateways with their heartbeat judged against fleet.lease, and the leader.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runFleet } from '../cli/fleet-command.js';
import type { Io } from '../cli/output.js';
import { freshPostgresUrl, storeKind } from '../store/test-stores.test-helper.js';
import { openStore } from '../store/index.js';

const NOW = Date.UTC(2026, 0, 1, 12);
let dir: string;
let env: Record<string, string>;
beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kora-fleet-cli-'));
  fs.writeFileSync(path.join(dir, 'kora.yaml'), 'plugins:\n  enabled: []\nfleet:\n  lease: 10s\n');
  env = { KORA_HOME: path.join(dir, 'home'), ...(storeKind === 'postgres' ? { KORA_STORE_URL: await freshPostgresUrl() } : {}) };
  const store = await openStore({ home: env.KORA_HOME!, url: env.KORA_STORE_URL });
  const row = { pid: 7, version: '0.1.0', state: 'running' };
  await store.fleet.register({ ...row, sessionId: 'gw-live', host: 'web-1', startedAt: NOW - 60_000, heartbeatAt: NOW - 3_000 });
  await store.fleet.register({ ...row, sessionId: 'gw-gone', host: 'web-2', startedAt: NOW - 120_000, heartbeatAt: NOW - 11_000 });
  await store.fleet.lead('gw-live', NOW - 3_000, 10_000);
  await store.close();
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function capture(): Io & { text: () => string } {
  let out = '';
  return { out: (t) => void (out += `${t}\n`), err: (t) => void (out += `${t}\n`), text: () => out };
}

describe('kora fleet', () => {
  it('lists the gateways alive first, the silent one as gone, and the leader, from the store', async () => {
    const io = capture();
    expect(await runFleet({ env, cwd: dir, now: NOW }, io)).toBe(0);
    const lines = io.text().split('\n');
    expect(lines[0]).toMatch(/^Fleet of (sqlite|postgres) store .* \(lease 10 s\)$/);
    expect(lines[1]).toBe('leader    gw-live on web-1, since 2026-01-01T11:59:57.000Z');
    expect(lines[2]).toMatch(/^SESSION +HOST +PID +VERSION +STATE +HEARTBEAT +LEADER$/);
    expect(lines[3]).toMatch(/^gw-live +web-1 +7 +0\.1\.0 +running +3 s ago +yes$/);
    expect(lines[4]).toMatch(/^gw-gone +web-2 +7 +0\.1\.0 +gone +11 s ago$/);
  });

  it('prints the same shape as GET /api/fleet with --json', async () => {
    const io = capture();
    await runFleet({ env, cwd: dir, now: NOW, json: true }, io);
    const view = JSON.parse(io.text());
    expect(view).toMatchObject({ leaseMs: 10_000, leader: { sessionId: 'gw-live', host: 'web-1' }, gateways: [{ sessionId: 'gw-live', presence: 'alive', leader: true }, { sessionId: 'gw-gone', presence: 'gone' }] });
    expect(JSON.stringify(view)).not.toMatch(/password/);
  });
});
