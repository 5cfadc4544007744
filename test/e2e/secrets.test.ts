// Secrets never leave: the real `kora daemon` with secrets planted in kora.yaml and the
// environment, and plugins that log them, throw them and fail with them. Every place the
// gateway writes to is then scanned for every planted value.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killAll, makeProject, runKora, startKora, writeUserPlugin, type Project, type Running } from './helpers.js';

const SECRETS = {
  envToken: 'e2e-env-token-1f2e3d4c',
  dbPassword: 'e2e-db-pw-9x8y7z',
  anthropicKey: 'sk-ant-api03-e2eKEYe2eKEYe2eKEY-AAAA',
  configToken: 'cfg-api-token-7a7a7a',
  configPassword: 'cfg-nested-pw-5b5b',
};
const ENV = {
  KORA_DEPLOY_ENV: 'e2e',
  KORA_TEST_TOKEN: SECRETS.envToken,
  DATABASE_URL: `postgres://kora:${SECRETS.dbPassword}@db.invalid:5432/kora`,
  ANTHROPIC_API_KEY: SECRETS.anthropicKey,
};

// Logs every secret it can reach in the message, in fields and with ctx.env whole; writes them
// to the audit log; and registers a daemon whose start throws them (an Error), one whose start
// throws a plain object, and one whose task fails with them.
const LEAKY = `
export default {
  id: 'leaky',
  async register(ctx) {
    const env = ctx.env;
    const cfg = ctx.config;
    const all = [env.KORA_TEST_TOKEN, env.DATABASE_URL, env.ANTHROPIC_API_KEY, cfg.apiToken, cfg.upstream.password].join(' ');
    ctx.log.info({ detail: 'secrets: ' + all, list: [env.KORA_TEST_TOKEN, cfg.upstream.password], url: env.DATABASE_URL }, 'LEAKY register sees ' + all);
    ctx.log.info({ env }, 'LEAKY env whole');
    ctx.log.info({ config: cfg }, 'LEAKY config whole');
    ctx.log.warn('LEAKY sends Authorization: Bearer ' + env.KORA_TEST_TOKEN);
    ctx.log.error({ err: new Error('LEAKY error with ' + all, { cause: new Error('cause ' + all) }) }, 'LEAKY logged an error');
    ctx.log.error({ err: { reason: 'LEAKY non-error ' + all } }, 'LEAKY logged a non-error');
    await ctx.audit('leaky.boot', { note: 'audit sees ' + all, nested: { list: [env.ANTHROPIC_API_KEY, cfg.apiToken] } });
    ctx.registerDaemon({ name: 'leaky_starter', async start() { throw new Error('start failed with ' + all); } });
    ctx.registerDaemon({ name: 'leaky_thrower', async start() { throw { message: 'object thrown with ' + all, token: env.KORA_TEST_TOKEN }; } });
    ctx.registerDaemon({
      name: 'leaky_worker',
      async start() {},
      tasks: [{ name: 'leaky.task', every: '1s', run: () => { console.log('LEAKY TASK RAN'); throw new Error('task failed with ' + all); } }],
    });
  },
};
`;

// Fails at register time with the secrets in its error.
const LEAKY_REGISTER = `
export default {
  id: 'leakyreg',
  register(ctx) {
    throw new Error('register failed with ' + ctx.env.KORA_TEST_TOKEN + ' ' + ctx.env.DATABASE_URL + ' ' + ctx.env.ANTHROPIC_API_KEY);
  },
};
`;

const CONFIG = `plugins:
  enabled: [kora, leaky, leakyreg]
  config:
    leaky:
      apiToken: ${SECRETS.configToken}
      upstream:
        host: upstream.invalid
        password: ${SECRETS.configPassword}
`;

interface Collected {
  stdout: string;
  stderr: string;
  statusFile: string;
  statusMode: number;
  statusJson: string;
  statusText: string;
  ledger: string;
  audit: string;
  exitCode: number | null;
}

let project: Project;
const running: Running[] = [];
let seen: Collected;

/** Which planted secrets `text` contains, by name: `[]` is the pass. */
function leaked(text: string): string[] {
  return Object.entries(SECRETS)
    .filter(([, value]) => text.includes(value))
    .map(([name]) => name);
}

async function statusUntil(ok: (json: { status: { daemons: { name: string; tasks: { lastRun: { status: string } | null }[] }[] } | null }) => boolean): Promise<string> {
  for (let i = 0; i < 100; i++) {
    const r = runKora(['status', '--json'], project);
    try {
      if (ok(JSON.parse(r.stdout) as Parameters<typeof ok>[0])) return r.stdout;
    } catch {
      // The file is being replaced; read again.
    }
    await new Promise((res) => setTimeout(res, 200));
  }
  throw new Error('the task never recorded a failed run in the status');
}

beforeAll(async () => {
  project = makeProject();
  writeUserPlugin(project, 'leaky', LEAKY);
  writeUserPlugin(project, 'leakyreg', LEAKY_REGISTER);
  project.writeConfig(CONFIG);
  const gw = startKora(['daemon'], project, ENV);
  running.push(gw);
  await gw.waitFor('Kora gateway DEGRADED');
  await gw.waitFor('LEAKY TASK RAN');
  const statusJson = await statusUntil((j) => j.status?.daemons.find((d) => d.name === 'leaky_worker')?.tasks[0]?.lastRun?.status === 'failed');
  const statusText = runKora(['status'], project).stdout;
  const statusFile = readFileSync(join(project.home, 'run', 'status.json'), 'utf8');
  const statusMode = statSync(join(project.home, 'run', 'status.json')).mode & 0o777;
  gw.child.kill('SIGTERM');
  const { code } = await gw.exited;
  const db = new Database(join(project.home, 'kora.db'), { readonly: true });
  try {
    seen = {
      stdout: gw.stdout(),
      stderr: gw.stderr(),
      statusFile,
      statusMode,
      statusJson,
      statusText,
      ledger: JSON.stringify(db.prepare('SELECT * FROM kora_runs').all()),
      audit: JSON.stringify(db.prepare('SELECT * FROM kora_audit').all()),
      exitCode: code,
    };
  } finally {
    db.close();
  }
}, 60_000);

afterAll(async () => {
  await killAll(running);
  project.cleanup();
});

describe('secrets never leave (end to end)', () => {
  it('ran every leak: the plugins logged, threw and failed, and the gateway stopped cleanly', () => {
    expect(seen.exitCode).toBe(0);
    expect(seen.stderr).toContain('LEAKY register sees');
    expect(seen.stderr).toContain('LEAKY env whole');
    expect(seen.stdout).toMatch(/FAILED leakyreg: /);
    expect(seen.stdout).toMatch(/FAILED leaky_starter \(leaky\): /);
    expect(seen.stdout).toMatch(/FAILED leaky_thrower \(leaky\): /);
    expect(seen.ledger).toContain('"status":"failed"');
    expect(seen.audit).toContain('leaky.boot');
  });

  it('log lines on stderr carry none of them (message, fields, ctx.env whole, errors and causes)', () => {
    expect(leaked(seen.stderr)).toEqual([]);
    expect(seen.stderr).toContain('[redacted]');
  });

  it('stdout (boot summary, task output) carries none of them', () => {
    expect(leaked(seen.stdout)).toEqual([]);
  });

  it('the status file carries none of them, and is mode 0600', () => {
    expect(leaked(seen.statusFile)).toEqual([]);
    expect(seen.statusMode.toString(8)).toBe('600');
  });

  it('`kora status --json` and `kora status` carry none of them', () => {
    expect(leaked(seen.statusJson)).toEqual([]);
    expect(leaked(seen.statusText)).toEqual([]);
  });

  it('the run ledger (task errors) carries none of them', () => {
    expect(leaked(seen.ledger)).toEqual([]);
  });

  it('the audit log carries none of them', () => {
    expect(leaked(seen.audit)).toEqual([]);
  });
});
