// `kora status` tells the truth about the real process: a wedged event loop, a store it can no
// longer write.
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually, killAll, makeProject, runKora, startKora, writeUserPlugin, type Project, type Running } from './helpers.js';

const projects: Project[] = [];
const running: Running[] = [];
afterEach(async () => {
  await killAll(running);
  for (const p of projects.splice(0)) p.cleanup();
});

function project(source: string): Project {
  const p = makeProject();
  projects.push(p);
  writeUserPlugin(p, 'subject', source);
  p.writeConfig('plugins:\n  enabled: [kora, subject]\ngateway:\n  heartbeatEvery: 1s\n');
  return p;
}

function start(p: Project): Running {
  const r = startKora(['daemon'], p, { KORA_DEPLOY_ENV: 'e2e' });
  running.push(r);
  return r;
}

describe('kora status tells the truth', () => {
  it('says a gateway whose event loop is wedged is not responding, with a non-zero exit', async () => {
    const p = project(`export default { id: 'subject', register(ctx) {
      ctx.registerDaemon({ name: 'subject', start() {}, tasks: [{ name: 'subject.spin', every: '2s', run() { for (;;) {} } }] });
    } };`);
    const gw = start(p);
    await gw.waitFor('gateway running');
    let r = runKora(['status'], p);
    await eventually(() => {
      r = runKora(['status'], p);
      return r.code === 4;
    });
    expect(r.stdout + r.stderr).toMatch(/is not responding for \d+ s/);
    const json = JSON.parse(runKora(['status', '--json'], p).stdout) as { responding: boolean };
    expect(json.responding).toBe(false);
  });

  it('is degraded, saying why, when its database file is deleted under it', async () => {
    const p = project(`export default { id: 'subject', register() {} };`);
    const gw = start(p);
    await gw.waitFor('gateway running');
    rmSync(join(p.home, 'kora.db'));
    const status = () => JSON.parse(readFileSync(join(p.home, 'run', 'status.json'), 'utf8')) as { state: string; problems: string[] };
    await eventually(() => status().state === 'degraded');
    expect(status().problems.join('\n')).toContain('KORA_ERR_STORE_FILE_GONE');
    gw.child.kill('SIGTERM');
    expect((await gw.exited).code).toBe(0);
  });
});
