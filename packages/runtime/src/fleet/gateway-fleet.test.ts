// Two gateways in one process on one PostgreSQL (each with its own manual clock): the leader runs
// the leader-scoped daemon with its task and consumer, the other keeps it on standby; when the
// other takes the lead (the leader's lease expired on its clock) it starts them, and the old
// leader, finding the lease taken, stops its daemon, task and consumer.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Gateway } from '../gateway/gateway.js';
import { createSilentLogger } from '../log/logger.js';
import { writePlugin } from '../plugins/fixture-plugins.test-helper.js';
import { freshPostgresUrl, storeKind } from '../store/test-stores.test-helper.js';
import { ManualClock } from '../time/clock.js';

const T0 = Date.UTC(2026, 10, 23, 10, 0, 0, 500);
const dirs: string[] = [];
const gateways: Gateway[] = [];
afterEach(async () => {
  await Promise.all(gateways.splice(0).map((g) => g.stop('test over')));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const SOLO = `
  ctx.registerIdentityProvider(() => ({ soul: 'calm', systemPrompt: 'You are Testa.', metadata: { agent_name: 'Testa' } }));
  ctx.registerDaemon({
    name: 'solo',
    scope: 'leader',
    start() {},
    tasks: [{ name: 'solo.tick', every: '1h', run() {} }],
    consumers: [{ topic: 'solo.jobs', handle() {} }],
  });
  ctx.registerDaemon({ name: 'everywhere', start() {} });
`;

async function start(dir: string, url: string, name: string): Promise<{ gw: Gateway; clock: ManualClock }> {
  const clock = new ManualClock(T0);
  const home = join(dir, name);
  const gw = await Gateway.create({ cwd: dir, configPath: join(dir, 'kora.yaml'), env: { KORA_HOME: home, KORA_DEPLOY_ENV: 'test', KORA_STORE_URL: url }, clock, logger: createSilentLogger(), bundledDir: join(dir, 'bundled') });
  gateways.push(gw);
  expect((await gw.start()).ok).toBe(true);
  return { gw, clock };
}

const daemon = (gw: Gateway, name: string) => gw.status().daemons.find((d) => d.name === name);

describe.runIf(storeKind === 'postgres')('a gateway in a fleet', () => {
  it('starts its leader-scoped daemon, task and consumer when it takes the lead, and stops them when it loses it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kora-fleet-gw-'));
    dirs.push(dir);
    mkdirSync(join(dir, 'bundled'));
    writePlugin(join(dir, 'bundled'), { id: 'solo', daemons: ['solo', 'everywhere'], hooks: ['pre_agent_identity_set'], register: SOLO });
    writeFileSync(join(dir, 'kora.yaml'), 'plugins:\n  enabled: [solo]\nfleet:\n  lease: 15s\n');
    const url = await freshPostgresUrl();
    const a = await start(dir, url, 'a');
    const b = await start(dir, url, 'b');

    expect(a.gw.status().fleet).toMatchObject({ leader: a.gw.sessionId, leading: true });
    expect(b.gw.status().fleet).toMatchObject({ leader: a.gw.sessionId, leading: false });
    expect(daemon(a.gw, 'solo')).toMatchObject({ state: 'running', scope: 'leader' });
    expect(daemon(b.gw, 'solo')).toMatchObject({ state: 'pending', scope: 'leader' });
    expect(daemon(b.gw, 'everywhere')?.state).toBe('running');
    expect(b.gw.status().daemons.flatMap((d) => d.tasks.map((t) => t.name))).not.toContain('solo.tick');

    // On b's clock a's lease runs out (a is stalled): b's heartbeats take the lead.
    for (let i = 0; i < 6 && !b.gw.status().fleet?.leading; i++) {
      await b.clock.advance(5_000);
      // Each heartbeat is a round trip to PostgreSQL: let it land before time moves on.
      await vi.waitFor(() => expect(Date.parse(b.gw.status().fleet?.heartbeatAt ?? '')).toBeGreaterThan(b.clock.now() - 5_000)).catch(() => undefined);
    }
    expect(b.gw.status().fleet?.leading).toBe(true);
    // It took the lead once a's lease had ended on its clock (15 s after a's last renewal), not before.
    expect(Date.parse(b.gw.status().fleet?.leaderSince ?? '')).toBeGreaterThan(T0 + 15_000);
    await vi.waitFor(() => expect(daemon(b.gw, 'solo')?.state).toBe('running'));
    expect(b.gw.status().daemons.find((d) => d.name === 'solo')?.tasks.map((t) => t.name)).toEqual(['solo.tick']);
    // The inbox counts in the status are read at most once a second (on the gateway's clock).
    await vi.waitFor(async () => {
      await b.clock.advance(1_000);
      expect(b.gw.status().inbox.find((t) => t.topic === 'solo.jobs')?.consumer).toBe('solo');
    });

    // a wakes: the lease is b's; it stops its daemon, the task and the consumer with it.
    await a.clock.advance(5_000);
    await vi.waitFor(() => expect(a.gw.status().fleet?.leading).toBe(false));
    await vi.waitFor(() => expect(daemon(a.gw, 'solo')?.state).toBe('stopped'));
    expect(daemon(a.gw, 'solo')?.tasks).toEqual([]);
    expect(daemon(a.gw, 'everywhere')?.state).toBe('running');
    expect(a.gw.status().fleet).toMatchObject({ leader: b.gw.sessionId, leading: false });
  });
});
