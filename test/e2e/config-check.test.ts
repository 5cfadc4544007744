// `kora config check` means what it says: exit 0 only when `kora daemon` would not exit 2.
import { afterEach, describe, expect, it } from 'vitest';
import { makeProject, runKora, writeUserPlugin, type Project } from './helpers.js';

const projects: Project[] = [];
afterEach(() => {
  for (const p of projects.splice(0)) p.cleanup();
});

// A plugin with a config schema (plain zod-like object: safeParse) and a daemon with a task.
const WORKER = `export default {
  id: 'worker',
  configSchema: { safeParse: (v) => typeof v.greeting === 'string' || v.greeting === undefined ? { success: true, data: v } : { success: false, error: { issues: [{ path: ['greeting'], message: 'expected a string' }] } } },
  register(ctx) {
    ctx.registerDaemon({ name: 'worker', start() {}, startTimeout: ctx.config.badTimeout ? 'soon' : '5s', tasks: [{ name: 'worker.tick', every: '1m', run() {} }] });
  },
};`;

function project(yaml: string): Project {
  const p = makeProject();
  projects.push(p);
  writeUserPlugin(p, 'worker', WORKER);
  p.writeConfig(yaml);
  return p;
}

const both = (p: Project, env: Record<string, string> = {}) => ({
  check: runKora(['config', 'check'], p, env),
  // --only a daemon that does not exist: it exits 2 after every check, never starting anything.
  daemon: runKora(['daemon', '--only', 'no_such_daemon'], p, { KORA_DEPLOY_ENV: 'e2e', ...env }),
});

describe('kora config check', () => {
  it('passes a good config, and warns (exit 0) about config nothing reads', () => {
    const p = project('plugins:\n  enabled: [kora, worker]\n  config:\n    worker: { greeting: hi }\n    ghost: { x: 1 }\n');
    const r = runKora(['config', 'check'], p);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/OK \(2 plugin\(s\) enabled/);
    expect(r.stderr).toMatch(/warning: .*kora\.yaml:5: plugins\.config\.ghost/);
  });

  it.each([
    ['a cron the scheduler cannot parse', 'daemons:\n  worker:\n    tasks:\n      worker.tick: { cron: "61 * * * *" }\n', /daemons\.worker\.tasks\.worker\.tick/],
    ['a period under the 1 s floor', 'daemons:\n  worker:\n    tasks:\n      worker.tick: { every: 500ms }\n', /daemons\.worker\.tasks\.worker\.tick\.every/],
    ['an override for a task the daemon does not have', 'daemons:\n  worker:\n    tasks:\n      worker.nope: { every: 1m }\n', /daemon "worker" has no task "worker\.nope"/],
    ['plugin config its schema rejects', 'plugins:\n  enabled: [kora, worker]\n  config:\n    worker: { greeting: 5 }\n', /plugins\.config\.worker\.greeting/],
    ['a bad start timeout declared by the plugin', 'plugins:\n  enabled: [kora, worker]\n  config:\n    worker: { badTimeout: true }\n', /plugin "worker" declares startTimeout "soon"/],
    ['an unknown store scheme', 'store:\n  url: mysql://db/kora\n', /store\.url/],
    ['an enabled plugin no source provides', 'plugins:\n  enabled: [kora, missing]\n', /no plugin "missing" was found/],
  ])('refuses %s with exit 2, as the daemon would', (_what, extra, message) => {
    const base = extra.startsWith('plugins:') ? '' : 'plugins:\n  enabled: [kora, worker]\n';
    const p = project(`${base}${extra}`);
    const { check, daemon } = both(p);
    expect(check.code).toBe(2);
    expect(check.stderr).toMatch(message);
    expect(daemon.code).toBe(2);
  });

  it('gives the line of an error found after loading the plugins', () => {
    const p = project('plugins:\n  enabled: [kora, worker]\ndaemons:\n  worker:\n    tasks:\n      worker.nope: { every: 1m }\n');
    const r = runKora(['config', 'check'], p);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/line 6/);
  });

  it('refuses a bad KORA_LOG_LEVEL with a coded error (exit 2), in check and daemon alike', () => {
    const p = project('plugins:\n  enabled: [kora]\n');
    const { check, daemon } = both(p, { KORA_LOG_LEVEL: 'loud' });
    expect(check.code).toBe(2);
    expect(check.stderr).toContain('KORA_ERR_ENV_INVALID');
    expect(check.stderr).toContain('KORA_LOG_LEVEL');
    expect(daemon.code).toBe(2);
  });
});
