// A project for the web plugin's end-to-end tests: the bundled `web` plugin on a free port and a
// user plugin `chores` with a daemon that has a periodic task, an inbox consumer that fails
// until a flag file exists, and an http.admin route that enqueues a job (so the tests make a
// dead letter through the plugin, as a webhook would). Reads the admin URL from the status file.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { eventually, makeProject, startKora, writeUserPlugin, type Project, type Running } from './helpers.js';

export const ADMIN_TOKEN = 'e2e-admin-token-4f1c2b9a7d3e';
export const FLAG = 'jobs-ok';

const CHORES = `import { existsSync } from 'node:fs'; import { join } from 'node:path';
export default { id: 'chores', register(ctx) {
  ctx.contribute('http.admin', { method: 'POST', path: '/api/chores/jobs', async handle(request) {
    const key = String(request.body?.key ?? '');
    const kept = await ctx.inbox.enqueue({ topic: 'chores.jobs', key, payload: { key } });
    return { status: 201, body: kept };
  } });
  ctx.registerDaemon({ name: 'chores', start() {},
    tasks: [{ name: 'chores.sweep', every: '1h', runOnStart: true, async run({ trigger }) { console.log('SWEEP ' + trigger); } }],
    consumers: [{ topic: 'chores.jobs', attempts: 1, async handle(item) {
      if (!existsSync(join(ctx.paths.home, '${FLAG}'))) throw new Error('the flag file is missing for ' + item.payload.key);
      await ctx.audit('chores.handled', { key: item.payload.key });
      console.log('HANDLED ' + item.payload.key);
    } }],
  });
} };`;

export function webProject(): Project {
  const p = makeProject();
  writeUserPlugin(p, 'chores', CHORES, { hostApi: '^1.1.0', daemons: ['chores'] });
  p.writeConfig('plugins:\n  enabled: [kora, chores, web]\ngateway:\n  heartbeatEvery: 1s\n');
  return p;
}

interface StatusFile {
  state: string;
  daemons: { name: string; state: string; endpoints?: { name: string; url: string; note?: string }[] }[];
}

export const statusOf = (p: Project) => JSON.parse(readFileSync(join(p.home, 'run', 'status.json'), 'utf8')) as StatusFile;

/** Start the gateway with the admin token set (or `env` instead) and wait for the admin UI's URL. */
export async function startWeb(p: Project, env: Record<string, string> = { KORA_DEPLOY_ENV: 'e2e', KORA_ADMIN_TOKEN: ADMIN_TOKEN }, args: string[] = ['daemon']): Promise<{ gateway: Running; base: string }> {
  const gateway = startKora(args, p, { KORA_WEB_PORT: '0', ...env });
  await gateway.waitFor('Kora gateway running', 30_000);
  let url = '';
  await eventually(() => {
    url = statusOf(p).daemons.find((d) => d.name === 'web')?.endpoints?.find((e) => e.name === 'admin UI')?.url ?? '';
    return url !== '';
  });
  return { gateway, base: url.replace(/\/login$/, '') };
}
