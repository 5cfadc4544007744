// The durable inbox on the real process: a producer plugin enqueues, a consumer daemon of
// another plugin handles, status shows each topic, failures are retried then dead-lettered,
// and an item a killed gateway held is delivered again after a restart.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually, killAll, makeProject, runKora, startKora, writeUserPlugin, type Project, type Running } from './helpers.js';

const projects: Project[] = [];
const running: Running[] = [];
afterEach(async () => {
  await killAll(running);
  for (const p of projects.splice(0)) p.cleanup();
});

// Enqueues one item per key listed in its config, at start (a producer acknowledges its sender after enqueue).
const PRODUCER = `export default { id: 'producer', register(ctx) {
  ctx.registerDaemon({ name: 'producer', async start() {
    for (const key of ctx.config.keys ?? []) {
      const { duplicate } = await ctx.inbox.enqueue({ topic: 'test.events', key, payload: { key } });
      console.log('ENQUEUED ' + key + (duplicate ? ' (duplicate)' : ''));
    }
  } });
} };`;

// Handles test.events: a key starting with "bad" always fails; "slow" never finishes.
const CONSUMER = `import { existsSync } from 'node:fs'; import { join } from 'node:path';
export default { id: 'consumer', register(ctx) {
  ctx.registerDaemon({ name: 'consumer', start() {}, consumers: [{ topic: 'test.events', attempts: 2, backoff: '1s', handle(item) {
    if (item.payload.key.startsWith('bad')) throw new Error('cannot handle ' + item.payload.key);
    if (item.payload.key.startsWith('flaky') && existsSync(join(ctx.paths.home, 'upstream-down'))) throw new Error('upstream is down for ' + item.payload.key);
    if (item.payload.key.startsWith('slow')) { console.log('SLOW ' + item.payload.key + ' attempt ' + item.attempt); return new Promise(() => {}); }
    console.log('HANDLED ' + item.payload.key + ' attempt ' + item.attempt);
  } }] });
} };`;

function project(keys: string[]): Project {
  const p = makeProject();
  projects.push(p);
  writeUserPlugin(p, 'producer', PRODUCER);
  writeUserPlugin(p, 'consumer', CONSUMER);
  p.writeConfig(`plugins:\n  enabled: [kora, consumer, producer]\n  config:\n    producer: { keys: ${JSON.stringify(keys)} }\ngateway:\n  heartbeatEvery: 1s\n`);
  return p;
}

function start(p: Project): Running {
  const r = startKora(['daemon'], p, { KORA_DEPLOY_ENV: 'e2e' });
  running.push(r);
  return r;
}

interface Status {
  inbox: { topic: string; consumer: string | null; pending: number; inFlight: number; dead: number }[];
}
const status = (p: Project) => JSON.parse(readFileSync(join(p.home, 'run', 'status.json'), 'utf8')) as Status;

describe('the inbox', () => {
  it('delivers what a producer enqueued to the consumer daemon, once per key, and dead-letters what keeps failing', async () => {
    const p = project(['a', 'b', 'a', 'bad-1']);
    const gw = start(p);
    await gw.waitFor('HANDLED a attempt 1');
    await gw.waitFor('HANDLED b attempt 1');
    expect(gw.stdout()).toContain('ENQUEUED a (duplicate)');
    await eventually(() => status(p).inbox.some((t) => t.topic === 'test.events' && t.dead === 1));
    expect(status(p).inbox).toEqual([{ topic: 'test.events', consumer: 'consumer', pending: 0, inFlight: 0, dead: 1 }]);
    expect(gw.stdout().match(/HANDLED a/g)).toHaveLength(1);
    expect(runKora(['status'], p).stdout).toMatch(/test\.events +0 pending, 0 in flight, 1 dead; consumed by consumer/);
    gw.child.kill('SIGTERM');
    expect((await gw.exited).code).toBe(0);
  });

  it('lists a dead letter with kora inbox dead, and kora inbox replay has the running gateway deliver it again', async () => {
    const p = project(['flaky-1']);
    writeFileSync(join(p.home, 'upstream-down'), '');
    const gw = start(p);
    await eventually(() => status(p).inbox.some((t) => t.dead === 1));
    const listed = runKora(['inbox', 'dead', '--json'], p);
    expect(listed.code).toBe(0);
    const [dead] = JSON.parse(listed.stdout) as { id: number; key: string; attempts: number; errors: { error: string }[] }[];
    expect(dead).toMatchObject({ key: 'flaky-1', attempts: 2 });
    expect(dead?.errors.map((e) => e.error)).toEqual(['upstream is down for flaky-1', 'upstream is down for flaky-1']);
    expect(runKora(['inbox'], p).stdout).toMatch(/test\.events +0 pending, 0 in flight, 1 dead/);

    rmSync(join(p.home, 'upstream-down'));
    const replayed = runKora(['inbox', 'replay', String(dead?.id)], p);
    expect(replayed.code).toBe(0);
    await gw.waitFor('HANDLED flaky-1 attempt 1');
    expect(runKora(['inbox', 'replay', String(dead?.id)], p)).toMatchObject({ code: 2 });
    gw.child.kill('SIGTERM');
    expect((await gw.exited).code).toBe(0);
  });

  it('delivers again, after a restart, an item the killed gateway was handling', async () => {
    const p = project(['slow-1']);
    const first = start(p);
    await first.waitFor('SLOW slow-1 attempt 1');
    first.child.kill('SIGKILL');
    await first.exited;
    const second = start(p);
    await second.waitFor('SLOW slow-1 attempt 2', 10_000);
    second.child.kill('SIGKILL');
    await second.exited;
  });
});
