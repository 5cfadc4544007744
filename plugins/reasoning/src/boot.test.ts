// The real `kora daemon` with the bundled reasoning plugin: its fatal flag decides the boot.
import Database from 'better-sqlite3';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeAnthropic, type FakeAnthropic } from '../../../test/fakes/anthropic.js';
import { eventually, killAll, makeProject, runKora, startKora, writeUserPlugin, type Project, type Running } from '../../../test/e2e/helpers.js';

const projects: Project[] = [];
const running: Running[] = [];
const fakes: FakeAnthropic[] = [];
afterEach(async () => {
  await killAll(running);
  for (const f of fakes.splice(0)) await f.close();
  for (const p of projects.splice(0)) p.cleanup();
});

interface Status {
  state: string;
  daemons: { name: string; state: string; errorCode: string | null }[];
}

function statusOf(p: Project): Status | null {
  try {
    return JSON.parse(readFileSync(join(p.home, 'run/status.json'), 'utf8')) as Status;
  } catch {
    return null;
  }
}

function project(extra = '', enabled = 'kora, reasoning'): Project {
  const p = makeProject();
  projects.push(p);
  p.writeConfig(`plugins:\n  enabled: [${enabled}]\n${extra}`);
  return p;
}

describe('a gateway with the reasoning plugin', () => {
  it('does not boot without a credential: exit 1, naming the variables', () => {
    const r = runKora(['daemon'], project(), { KORA_DEPLOY_ENV: 'e2e' });
    expect(r.code).toBe(1);
    const out = r.stdout + r.stderr;
    for (const name of ['ReasoningEngineNotConfigured', 'CLAUDE_CODE_OAUTH_TOKEN', 'KORA_ANTHROPIC_API_KEY', 'ANTHROPIC_API_KEY', 'KORA_ERR_REASONING_NOT_CONFIGURED']) expect(out).toContain(name);
  });

  it('boots degraded without a credential when config makes the engine non-fatal', async () => {
    const p = project('daemons:\n  reasoning_engine: { fatal: false }\n');
    const r = startKora(['daemon'], p, { KORA_DEPLOY_ENV: 'e2e' });
    running.push(r);
    await eventually(() => statusOf(p)?.state === 'degraded', 20_000);
    expect(statusOf(p)!.daemons.find((d) => d.name === 'reasoning_engine')).toMatchObject({ state: 'failed', errorCode: 'KORA_ERR_REASONING_NOT_CONFIGURED' });
  });

  it('runs with a token, and the token is in no output and not in the status', async () => {
    const api = await startFakeAnthropic();
    fakes.push(api);
    const p = project();
    const r = startKora(['daemon'], p, { KORA_DEPLOY_ENV: 'e2e', CLAUDE_CODE_OAUTH_TOKEN: 'sk-ant-oat-e2e-secret', ANTHROPIC_BASE_URL: api.url });
    running.push(r);
    await eventually(() => statusOf(p)?.state === 'running', 20_000);
    expect(statusOf(p)!.daemons.find((d) => d.name === 'reasoning_engine')).toMatchObject({ state: 'running' });
    expect(r.stdout() + r.stderr()).toContain('reasoning engine ready');
    const status = readFileSync(join(p.home, 'run/status.json'), 'utf8');
    for (const text of [r.stdout(), r.stderr(), status]) expect(text).not.toContain('sk-ant-oat-e2e-secret');
  });
});

// A user plugin whose daemon, started after the engine's, asks it one question and prints the reply.
const ASKER = `export default { id: 'asker', register(ctx) {
  ctx.registerDaemon({ name: 'asker', start(d) {
    d.services.get('engine').respond({ route: 'cli', conversation: 'e2e-session', messages: [{ role: 'user', content: 'Who are you?' }] })
      .then((r) => console.log('REPLY ' + JSON.stringify(r)), (e) => console.log('FAILED ' + e.code + ' ' + e.message));
  } });
} };`;

describe('the engine in a real gateway, marvin first', () => {
  it('answers in Marvin’s voice through Kora’s hooks, leaving a usage row and an audit row in the store', async () => {
    const api = await startFakeAnthropic();
    fakes.push(api);
    const p = project('', 'marvin, kora, reasoning, asker');
    writeUserPlugin(p, 'asker', ASKER, { daemons: ['asker'] });
    const r = startKora(['daemon'], p, { KORA_DEPLOY_ENV: 'e2e', CLAUDE_CODE_OAUTH_TOKEN: 'sk-ant-oat-e2e', ANTHROPIC_BASE_URL: api.url });
    running.push(r);
    await r.waitFor(/REPLY |FAILED /, 20_000);
    const line = r.stdout().split('\n').find((l) => l.startsWith('REPLY ') || l.startsWith('FAILED '))!;
    expect(line).toMatch(/^REPLY /);
    const reply = JSON.parse(line.slice('REPLY '.length)) as { text: string; model: string; calls: number };
    expect(reply.text).toMatch(/^You are Marvin, a robot assistant.* \| Who are you\?$/);
    expect(reply).toMatchObject({ model: 'claude-haiku-4-5', calls: 1 });
    // The cost ladder's cache markers and Marvin's texts are in what the API got.
    const body = api.requests[0]!.body;
    const system = body.system as { text: string; cache_control?: unknown }[];
    expect(system[0]!.text).toMatch(/^You are Marvin/);
    expect(system.at(-1)!.cache_control).toEqual({ type: 'ephemeral' });

    const db = new Database(join(p.home, 'kora.db'), { readonly: true });
    try {
      const usage = db.prepare('select route, conversation, model, outcome, input_tokens from reasoning_usage').all();
      expect(usage).toEqual([{ route: 'cli', conversation: 'e2e-session', model: 'claude-haiku-4-5', outcome: 'ok', input_tokens: expect.any(Number) }]);
      const audit = db.prepare("select plugin, details from kora_audit where seam = 'llm.call'").all() as { plugin: string; details: string }[];
      expect(audit).toHaveLength(1);
      expect(audit[0]!.plugin).toBe('kora');
      expect(JSON.parse(audit[0]!.details)).toMatchObject({ route: 'cli', model: 'claude-haiku-4-5' });
      expect(db.prepare('select count(*) as n from reasoning_turns').get()).toEqual({ n: 1 });
    } finally {
      db.close();
    }
  });
});
