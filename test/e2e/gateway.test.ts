// The real `kora daemon` process: boot summary, status file, exit codes 0, 1, 2 and 130.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { killAll, makeProject, runKora, startKora, writeUserPlugin, type Project, type Running } from './helpers.js';

// A plugin whose daemons are described by its config, so each test states its scenario in kora.yaml.
const FLEET = `
export default {
  id: 'fleet',
  register(ctx) {
    for (const d of ctx.config.daemons ?? []) {
      ctx.registerDaemon({
        name: d.name,
        fatalOnStartupFailure: d.fatal ?? false,
        stopTimeout: d.stopTimeout ?? '10s',
        tasks: d.tick ? [{ name: d.name + '.tick', every: '1s', run: () => { console.log('TICK ' + d.name); } }] : [],
        async start({ signal }) {
          console.log('START ' + d.name);
          if (d.fail) throw new Error(d.name + ' cannot reach its server');
          // A slow start that gives up when the gateway stops (its signal aborts).
          if (d.slowStart) await new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
        },
        async stop() {
          console.log('STOP ' + d.name);
          if (d.hangStop) await new Promise(() => {});
        },
      });
    }
  },
};
`;

const projects: Project[] = [];
const running: Running[] = [];
afterEach(async () => {
  await killAll(running);
  for (const p of projects.splice(0)) p.cleanup();
});

function project(daemons: Record<string, unknown>[], extra = ''): Project {
  const p = makeProject();
  projects.push(p);
  writeUserPlugin(p, 'fleet', FLEET);
  p.writeConfig(`plugins:\n  enabled: [kora, fleet]\n  config:\n    fleet:\n      daemons: ${JSON.stringify(daemons)}\n${extra}`);
  return p;
}

function start(p: Project, args: string[] = [], env: Record<string, string> = { KORA_DEPLOY_ENV: 'e2e' }): Running {
  const r = startKora(['daemon', ...args], p, env);
  running.push(r);
  return r;
}

const startLines = (out: string) => out.split('\n').filter((l) => /^(START|STOP) /.test(l));

describe('kora daemon (end to end)', () => {
  it('boots degraded past a non-fatal failure, shows status, and stops cleanly with exit 0', async () => {
    const p = project([{ name: 'a', tick: true }, { name: 'b' }, { name: 'c', fail: true }, { name: 'd' }]);
    const gw = start(p);
    await gw.waitFor('Kora gateway DEGRADED');
    const out = gw.stdout();
    expect(out).toMatch(/identity +Kora \(plugin kora\)/);
    expect(out).toMatch(/plugins +2 loaded: kora \(bundled\), fleet \(user\)/);
    expect(out).toMatch(/daemons +3 running: a, b, d; 1 failed/);
    expect(out).toContain('FAILED c (fleet): Daemon "c" failed to start: c cannot reach its server');
    expect(out).toMatch(/tasks +1 scheduled/);

    const statusFile = join(p.home, 'run', 'status.json');
    expect(existsSync(statusFile)).toBe(true);
    await gw.waitFor('TICK a', 5000);
    const shown = runKora(['status', '--json'], p);
    expect(shown.code).toBe(0);
    const json = JSON.parse(shown.stdout) as { running: boolean; status: { state: string; pid: number; identity: { agentName: string }; daemons: { name: string; state: string; tasks: { name: string }[] }[] } };
    expect(json.running).toBe(true);
    expect(json.status.state).toBe('degraded');
    expect(json.status.pid).toBe(gw.child.pid);
    expect(json.status.identity.agentName).toBe('Kora');
    expect(Object.fromEntries(json.status.daemons.map((d) => [d.name, d.state]))).toEqual({ store_maintenance: 'running', a: 'running', b: 'running', c: 'failed', d: 'running' });
    expect(json.status.daemons.find((d) => d.name === 'a')?.tasks[0]?.name).toBe('a.tick');
    const text = runKora(['status'], p);
    expect(text.stdout).toMatch(/Gateway DEGRADED/);
    expect(text.stdout).toMatch(/task a\.tick: every 1s/);

    gw.child.kill('SIGTERM');
    expect((await gw.exited).code).toBe(0);
    expect(startLines(gw.stdout())).toEqual(['START a', 'START b', 'START c', 'START d', 'STOP d', 'STOP b', 'STOP a']);
    const final = JSON.parse(readFileSync(statusFile, 'utf8')) as { state: string; shutdownReason: string; exitCode: number };
    expect(final).toMatchObject({ state: 'stopped', shutdownReason: 'signal SIGTERM', exitCode: 0 });
    const after = runKora(['status'], p);
    expect(after.code).toBe(3);
    expect(after.stdout).toMatch(/No gateway is running .*the last one stopped/);
  });

  it('exits 1 after unwinding LIFO when a fatal daemon fails; later daemons never start', async () => {
    const p = project([{ name: 'a' }, { name: 'b' }, { name: 'c', fail: true, fatal: true }, { name: 'd' }]);
    const gw = start(p);
    const { code } = await gw.exited;
    expect(code).toBe(1);
    expect(startLines(gw.stdout())).toEqual(['START a', 'START b', 'START c', 'STOP b', 'STOP a']);
    expect(gw.stderr()).toContain('c cannot reach its server');
  });

  it('lets the operator make a daemon fatal in config', async () => {
    const p = project([{ name: 'a' }, { name: 'c', fail: true }], 'daemons:\n  c: { fatal: true }\n');
    const gw = start(p);
    expect((await gw.exited).code).toBe(1);
  });

  it('refuses to start without a deploy env (exit 1), and --dev supplies one', async () => {
    const p = project([{ name: 'a' }]);
    const refused = runKora(['daemon'], p);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/KORA_DEPLOY_ENV is not set/);
    const dev = start(p, ['--dev'], {});
    await dev.waitFor('Kora gateway running (deploy env dev');
    dev.child.kill('SIGINT');
    expect((await dev.exited).code).toBe(0);
  });

  it('exits 2 on an invalid config, naming the file and the field', () => {
    const p = project([{ name: 'a' }], 'gateway:\n  drainBudget: soon\n');
    const r = runKora(['daemon'], p, { KORA_DEPLOY_ENV: 'e2e' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(join(p.dir, 'kora.yaml'));
    expect(r.stderr).toMatch(/gateway\.drainBudget \(line \d+\): expected a duration/);
    const check = runKora(['config', 'check'], p);
    expect(check.code).toBe(2);
  });

  it('exits 2 when a critical plugin fails to load', () => {
    const p = project([{ name: 'a' }]);
    writeUserPlugin(p, 'vital', 'export default { id: "vital", register() { throw new Error("license file missing"); } };', { critical: true });
    p.writeConfig('plugins:\n  enabled: [kora, vital]\n');
    const r = runKora(['daemon'], p, { KORA_DEPLOY_ENV: 'e2e' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/Critical plugin "vital" failed to load: .*license file missing/);
  });

  it('exits 2 for an unknown --only/--skip name, listing the known daemons', () => {
    const p = project([{ name: 'a' }, { name: 'b' }]);
    const r = runKora(['daemon', '--only', 'nope'], p, { KORA_DEPLOY_ENV: 'e2e' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/Unknown daemon name: nope\. Known daemons: store_maintenance, a, b/);
  });

  it('starts only the daemons named by --only, and skips those named by --skip', async () => {
    const p = project([{ name: 'a' }, { name: 'b' }, { name: 'c' }]);
    const gw = start(p, ['--only', 'a', '--only', 'c']);
    await gw.waitFor('Kora gateway running');
    expect(gw.stdout()).toContain('skipped b: not named by --only');
    gw.child.kill('SIGTERM');
    await gw.exited;
    expect(startLines(gw.stdout())).toEqual(['START a', 'START c', 'STOP c', 'STOP a']);
  });

  it('forces exit 130 on a second signal while a stop hangs', async () => {
    const p = project([{ name: 'a' }, { name: 'stuck', hangStop: true, stopTimeout: '60s' }]);
    const gw = start(p);
    await gw.waitFor('Kora gateway running');
    gw.child.kill('SIGTERM');
    await gw.waitFor('STOP stuck');
    gw.child.kill('SIGTERM');
    expect((await gw.exited).code).toBe(130);
  });

  it('stops cleanly (exit 0) on a signal during boot: the start under way is aborted, nothing after it starts', async () => {
    const p = project([{ name: 'a' }, { name: 'slow', slowStart: true, fatal: true }, { name: 'b' }]);
    const gw = start(p);
    await gw.waitFor('START slow');
    gw.child.kill('SIGTERM');
    expect((await gw.exited).code).toBe(0);
    expect(startLines(gw.stdout())).toEqual(['START a', 'START slow', 'STOP a']);
    expect(gw.stdout()).not.toContain('Kora gateway running');
    const status = JSON.parse(runKora(['status', '--json'], p).stdout) as { running: boolean; status: Record<string, unknown> };
    expect(status).toMatchObject({ running: false, status: { state: 'stopped', exitCode: 0, shutdownReason: 'signal SIGTERM' } });
  });

  it('lets a plugin in $KORA_HOME/plugins import @kora/runtime with no node_modules of its own', () => {
    const p = project([{ name: 'a' }]);
    writeUserPlugin(
      p,
      'typed',
      `import { definePlugin, PluginError, HOST_API_VERSION } from '@kora/runtime';
export default definePlugin({ id: 'typed', register(ctx) {
  if (!(new PluginError('KORA_ERR_PLUGIN_REGISTER', 'x', { pluginId: 'typed' }) instanceof Error)) throw new Error('no PluginError');
  ctx.registerIdentityProvider(() => ({ soul: '', systemPrompt: 'You are Typed, on host API ' + HOST_API_VERSION + '.', metadata: { agent_name: 'Typed' } }));
} });
`,
    );
    p.writeConfig('plugins:\n  enabled: [typed, kora]\n');
    const r = runKora(['identity', '--json'], p);
    expect(r.stderr).not.toContain('KORA_ERR_PLUGIN_IMPORT');
    expect(JSON.parse(r.stdout)).toMatchObject({ agentName: 'Typed', source: { kind: 'plugin', pluginId: 'typed' } });
  });

  it('says the status is stale when the gateway died without a clean stop', async () => {
    const p = project([{ name: 'a' }]);
    const gw = start(p);
    await gw.waitFor('Kora gateway running');
    gw.child.kill('SIGKILL');
    await gw.exited;
    const r = runKora(['status'], p);
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/process \(pid \d+\) is gone — it died without a clean stop/);
  });
});
