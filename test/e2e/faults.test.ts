// A plugin cannot take the gateway down: asynchronous errors, process.exit, hanging imports,
// leaked handles and early or repeated signals, each on the real `kora daemon` process.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually, killAll, makeProject, runKora, startKora, writeUserPlugin, type Project, type Running } from './helpers.js';

const projects: Project[] = [];
const running: Running[] = [];
afterEach(async () => {
  await killAll(running);
  for (const p of projects.splice(0)) p.cleanup();
});

// A healthy neighbour: its task keeps ticking whatever the faulty plugin does.
const STEADY = `export default { id: 'steady', register(ctx) {
  ctx.registerDaemon({ name: 'steady', start() {}, tasks: [{ name: 'steady.tick', every: '1s', run() { console.log('TICK steady'); } }] });
} };`;

function project(faulty: string, extra = ''): Project {
  const p = makeProject();
  projects.push(p);
  writeUserPlugin(p, 'steady', STEADY);
  writeUserPlugin(p, 'faulty', faulty);
  p.writeConfig(`plugins:\n  enabled: [kora, steady, faulty]\n${extra}`);
  return p;
}

function start(p: Project): Running {
  const r = startKora(['daemon'], p, { KORA_DEPLOY_ENV: 'e2e' });
  running.push(r);
  return r;
}

/** The gateway with `source` preloaded (`node --import`), as code of no plugin. */
function startPreloaded(p: Project, source: string): Running {
  const file = join(p.dir, 'preload.mjs');
  writeFileSync(file, source);
  const r = startKora(['daemon'], p, { KORA_DEPLOY_ENV: 'e2e', NODE_OPTIONS: `--import=${pathToFileURL(file).href}` });
  running.push(r);
  return r;
}

interface Status {
  state: string;
  problems: string[];
  exitCode: number | null;
  shutdownReason: string | null;
  plugins: { id: string; state: string; error: string | null }[];
  pid: number;
  daemons: { name: string; state: string; error: string | null }[];
}
const status = (p: Project) => JSON.parse(readFileSync(join(p.home, 'run', 'status.json'), 'utf8')) as Status;
const daemon = (p: Project, name: string) => status(p).daemons.find((d) => d.name === name);

describe('a plugin cannot take the gateway down', () => {
  it('fails the daemon whose timer throws, keeps the gateway running degraded, and stops cleanly', async () => {
    const p = project(`export default { id: 'faulty', register(ctx) {
      ctx.registerDaemon({ name: 'faulty', start() { setTimeout(() => { throw new Error('timer exploded'); }, 300); } });
    } };`);
    const gw = start(p);
    await gw.waitFor('gateway running');
    await eventually(() => daemon(p, 'faulty')?.state === 'failed');
    const st = status(p);
    expect(st.state).toBe('degraded');
    expect(daemon(p, 'faulty')?.error).toContain('timer exploded');
    expect(st.problems.join('\n')).toMatch(/daemon faulty failed: .*timer exploded/);
    const ticks = gw.stdout().split('TICK steady').length;
    await gw.waitFor(new RegExp(`(TICK steady[\\s\\S]*){${ticks}}`));
    expect(gw.stderr()).not.toMatch(/^\s+at /m);
    gw.child.kill('SIGTERM');
    expect((await gw.exited).code).toBe(0);
    expect(status(p)).toMatchObject({ state: 'stopped', exitCode: 0 });
  });

  it('pins an unhandled rejection inside a task run on that daemon, and stops its tasks', async () => {
    const p = project(`export default { id: 'faulty', register(ctx) {
      ctx.registerDaemon({ name: 'faulty', start() {}, tasks: [{ name: 'faulty.tick', every: '1s', run() {
        console.log('TICK faulty');
        Promise.reject(new Error('nobody awaited me'));
      } }] });
    } };`);
    const gw = start(p);
    await gw.waitFor('TICK faulty');
    await eventually(() => daemon(p, 'faulty')?.state === 'failed');
    expect(daemon(p, 'faulty')?.error).toContain('nobody awaited me');
    const faultyTicks = gw.stdout().split('TICK faulty').length;
    const steadyTicks = gw.stdout().split('TICK steady').length;
    await gw.waitFor(new RegExp(`(TICK steady[\\s\\S]*){${steadyTicks + 1}}`));
    expect(gw.stdout().split('TICK faulty').length).toBe(faultyTicks);
    gw.child.kill('SIGTERM');
    expect((await gw.exited).code).toBe(0);
  });

  it('fails the whole plugin when plugin-level code throws later (a late ctx.on from a timer)', async () => {
    const p = project(`export default { id: 'faulty', register(ctx) {
      ctx.registerDaemon({ name: 'faulty', start() {} });
      setTimeout(() => ctx.on('post_llm_call', () => {}), 300);
    } };`);
    const gw = start(p);
    await gw.waitFor('gateway running');
    await eventually(() => daemon(p, 'faulty')?.state === 'failed');
    const st = status(p);
    expect(st.plugins.find((x) => x.id === 'faulty')).toMatchObject({ state: 'failed' });
    expect(st.plugins.find((x) => x.id === 'faulty')?.error).toMatch(/called on\(\) after its register\(\) finished/);
    expect(st.state).toBe('degraded');
    gw.child.kill('SIGTERM');
    expect((await gw.exited).code).toBe(0);
  });

  it('stops cleanly with exit 1 on an error it cannot pin on a plugin, saying why in status', async () => {
    // Code preloaded with --import runs outside any plugin: the runtime cannot attribute its timer.
    const p = project(`export default { id: 'faulty', register() {} };`);
    const gw = startPreloaded(p, `setTimeout(() => { throw new Error('from nowhere'); }, 1500);`);
    await gw.waitFor('gateway running');
    const { code } = await gw.exited;
    expect(code).toBe(1);
    expect(status(p)).toMatchObject({ state: 'stopped', exitCode: 1 });
    expect(status(p).shutdownReason).toContain('from nowhere');
    expect(gw.stderr()).not.toMatch(/^\s+at /m);
  });

  it('records a plugin calling process.exit(0), fails its daemon, and never exits 0 on its behalf', async () => {
    const p = project(`export default { id: 'faulty', register(ctx) {
      ctx.registerDaemon({ name: 'faulty', start() { setTimeout(() => { process.exit(0); }, 300); } });
    } };`);
    const gw = start(p);
    await gw.waitFor('gateway running');
    await eventually(() => daemon(p, 'faulty')?.state === 'failed');
    expect(gw.child.exitCode).toBeNull();
    expect(status(p).problems.join('\n')).toContain('daemon "faulty" of plugin "faulty" called process.exit(0)');
    gw.child.kill('SIGTERM');
    expect((await gw.exited).code).toBe(0);
  });

  it('stops with a non-zero exit when code outside any plugin calls process.exit(0)', async () => {
    const p = project(`export default { id: 'faulty', register() {} };`);
    const gw = startPreloaded(p, `setTimeout(() => process.exit(0), 1500);`);
    await gw.waitFor('gateway running');
    expect((await gw.exited).code).toBe(1);
    expect(status(p)).toMatchObject({ state: 'stopped', exitCode: 1 });
    expect(status(p).shutdownReason).toContain('process.exit(0)');
  });

  it('fails a plugin whose import never settles, and the inspection commands still answer', async () => {
    const p = project(`await new Promise(() => {});\nexport default { id: 'faulty', register() {} };`, 'hooks:\n  timeout: 1s\n');
    const list = runKora(['plugins', 'list', '--json'], p);
    expect(list.code).toBe(0);
    const plugins = JSON.parse(list.stdout) as { id: string; state: string; errorCode: string }[];
    expect(plugins.find((x) => x.id === 'faulty')).toMatchObject({ state: 'failed', errorCode: 'KORA_ERR_PLUGIN_IMPORT_TIMEOUT' });
    const identity = runKora(['identity'], p);
    expect(identity.code).toBe(0);
    expect(identity.stdout).toContain('Kora');
  });

  it('exits with its code after a clean stop even when a plugin left a server and an interval open, naming them', async () => {
    const p = project(`import { createServer } from 'node:net';
    export default { id: 'faulty', register(ctx) {
      ctx.registerDaemon({ name: 'faulty', start() { createServer().listen(0, '127.0.0.1'); setInterval(() => {}, 1000); } });
    } };`);
    const gw = start(p);
    await gw.waitFor('gateway running');
    gw.child.kill('SIGTERM');
    const { code } = await gw.exited;
    expect(code).toBe(0);
    expect(gw.stderr()).toMatch(/handle\(s\) left open by plugins after the stop: .*TCPServerWrap/);
  });

  it('treats SIGHUP as a graceful stop', async () => {
    const p = project(`export default { id: 'faulty', register() {} };`);
    const gw = start(p);
    await gw.waitFor('gateway running');
    gw.child.kill('SIGHUP');
    expect((await gw.exited).code).toBe(0);
    expect(status(p)).toMatchObject({ state: 'stopped', exitCode: 0, shutdownReason: 'signal SIGHUP' });
  });

  it('records a forced exit (130) in the status file', async () => {
    const p = project(`export default { id: 'faulty', register(ctx) {
      ctx.registerDaemon({ name: 'faulty', start() {}, stop() { return new Promise(() => {}); } });
    } };`);
    const gw = start(p);
    await gw.waitFor('gateway running');
    gw.child.kill('SIGTERM');
    await gw.waitForErr('shutting down');
    gw.child.kill('SIGTERM');
    expect((await gw.exited).code).toBe(130);
    expect(status(p)).toMatchObject({ exitCode: 130, state: 'stopped' });
    expect(status(p).shutdownReason).toContain('forced by a second signal');
  });

  it('is a clean stop when SIGTERM arrives in the first milliseconds, before the CLI has loaded', async () => {
    const p = project(`export default { id: 'faulty', register() {} };`);
    const gw = start(p);
    const pid = gw.child.pid as number;
    // Node catches SIGTERM itself from the start, but not SIGHUP: once SIGHUP is caught (bit 0
    // of SigCgt) the bin's first lines have run, and SIGTERM goes at once, while the CLI loads.
    await eventually(() => {
      try {
        const caught = /SigCgt:\s*([0-9a-f]+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? '0';
        return (BigInt(`0x${caught}`) & 1n) !== 0n;
      } catch {
        return false;
      }
    }, 10_000);
    gw.child.kill('SIGTERM');
    const { code, signal } = await gw.exited;
    expect({ code, signal }).toEqual({ code: 0, signal: null });
  });

  it('refuses a second gateway on the same home, naming the pid that holds it', async () => {
    const p = project(`export default { id: 'faulty', register() {} };`);
    const first = start(p);
    await first.waitFor('gateway running');
    const second = runKora(['daemon'], p, { KORA_DEPLOY_ENV: 'e2e' });
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(`Another gateway (pid ${first.child.pid}`);
    expect(second.stderr).toContain('KORA_ERR_HOME_LOCKED');
    expect(status(p).pid).toBe(first.child.pid);
    first.child.kill('SIGTERM');
    expect((await first.exited).code).toBe(0);
  });
});

describe('boot output', () => {
  it('prints the boot summary without waiting for a gateway_started callback that hangs', async () => {
    const p = project(`export default { id: 'faulty', register(ctx) {
      ctx.on('gateway_started', () => new Promise(() => {}));
    } };`);
    const gw = start(p);
    // hooks.timeout is 30 s by default: the summary must come long before.
    await gw.waitFor('gateway running', 8000);
    gw.child.kill('SIGTERM');
    expect((await gw.exited).code).toBe(0);
  });
});
