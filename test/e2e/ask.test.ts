// `kora ask` and `kora usage` against the real gateway: kora, reasoning and web enabled, the
// engine's SDK pointed at the fake Messages API, a dev run (its admin token kept in the home).
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeAnthropic, type FakeAnthropic } from '../fakes/anthropic.js';
import { eventually, killAll, makeProject, runKora, startKora, type Project, type RunResult, type Running } from './helpers.js';

const projects: Project[] = [];
const running: Running[] = [];
const fakes: FakeAnthropic[] = [];
afterEach(async () => {
  await killAll(running);
  for (const f of fakes.splice(0)) await f.close();
  for (const p of projects.splice(0)) p.cleanup();
});

interface StatusFile {
  state: string;
  daemons: { name: string; state: string; endpoints?: { name: string; url: string }[] }[];
}
const statusOf = (p: Project) => JSON.parse(readFileSync(join(p.home, 'run', 'status.json'), 'utf8')) as StatusFile;

/** `runKora` blocks this process, and the fake API answers from it: run the CLI without blocking. */
async function kora(args: string[], p: Project, env: Record<string, string> = {}): Promise<RunResult> {
  const r = startKora(args, p, env);
  running.push(r);
  const [code] = (await once(r.child, 'close')) as [number | null];
  return { code, stdout: r.stdout(), stderr: r.stderr() };
}

function project(enabled = 'kora, reasoning, web'): Project {
  const p = makeProject();
  projects.push(p);
  p.writeConfig(`plugins:\n  enabled: [${enabled}]\n`);
  return p;
}

async function startGateway(p: Project, api: FakeAnthropic | null, web = true): Promise<void> {
  const gateway = startKora(['daemon', '--dev'], p, { KORA_WEB_PORT: '0', ...(api ? { ANTHROPIC_BASE_URL: api.url, ANTHROPIC_API_KEY: 'sk-ant-e2e-ask-key' } : {}) });
  running.push(gateway);
  await gateway.waitFor(/Kora gateway (running|DEGRADED)/, 30_000);
  if (web) await eventually(() => statusOf(p).daemons.some((d) => d.name === 'web' && d.endpoints?.some((e) => e.name === 'admin UI')));
}

describe('kora ask and kora usage', () => {
  it('asks the running agent, continues the conversation, and shows the usage', async () => {
    const api = await startFakeAnthropic();
    fakes.push(api);
    const p = project();
    await startGateway(p, api);

    const first = await kora(['ask', 'hello'], p);
    expect(first.stderr).toMatch(/--conversation cli:/);
    expect(first.code).toBe(0);
    // The fake echoes the system prompt's first line (Kora's identity) and the message.
    const firstLine = (api.requests[0]!.body.system as { text: string }[])[0]!.text.split('\n')[0]!;
    expect(firstLine.length).toBeGreaterThan(0);
    expect(first.stdout.trim()).toBe(`${firstLine} | hello`);
    const conversation = /--conversation (\S+)\)/.exec(first.stderr)![1]!;

    const second = await kora(['ask', 'and again', '--conversation', conversation, '--json'], p);
    expect(second.code).toBe(0);
    expect(JSON.parse(second.stdout)).toMatchObject({ reply: `${firstLine} | and again`, conversation, calls: 1, model: expect.any(String), usage: { inputTokens: expect.any(Number) } });
    const messages = api.requests[1]!.body.messages;
    expect(messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user']);
    expect(JSON.stringify(messages[0])).toContain('hello');
    expect(JSON.stringify(messages[1])).toContain(`${firstLine} | hello`);

    const usage = await kora(['usage', '--json'], p);
    expect(usage.code).toBe(0);
    const answer = JSON.parse(usage.stdout) as { days: number; rows: { calls: number }[]; total: { calls: number } };
    expect(answer).toMatchObject({ days: 7, total: { calls: 2 } });
    expect(answer.rows.reduce((n, r) => n + r.calls, 0)).toBe(2);

    const table = await kora(['usage', '--days', '1'], p);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^day\s+model\s+calls/);
    expect(table.stdout).toContain('2 call(s)');

    // The key and the admin token are in no output.
    const token = readFileSync(join(p.home, 'admin_token'), 'utf8').trim();
    for (const r of [first, second, usage, table]) for (const secret of ['sk-ant-e2e-ask-key', token]) expect(r.stdout + r.stderr).not.toContain(secret);
  });

  it('sends Kora’s turns to the models the reasoning config names, cheap and /opus alike', async () => {
    const api = await startFakeAnthropic();
    fakes.push(api);
    const p = project();
    p.writeConfig('plugins:\n  enabled: [kora, reasoning, web]\n  config:\n    reasoning:\n      models: { cheap: e2e-cheap-model, strong: e2e-strong-model }\n');
    await startGateway(p, api);
    expect((await kora(['ask', 'what is on today?'], p)).code).toBe(0);
    expect((await kora(['ask', '/opus what is on today?'], p)).code).toBe(0);
    expect(api.requests.map((r) => r.body.model)).toEqual(['e2e-cheap-model', 'e2e-strong-model']);
    const usage = await kora(['usage', '--json'], p);
    const rows = (JSON.parse(usage.stdout) as { rows: { model: string; calls: number }[] }).rows;
    expect(rows.map((r) => [r.model, r.calls]).sort()).toEqual([['e2e-cheap-model', 1], ['e2e-strong-model', 1]]);
  });

  it('says to start the gateway when none runs', () => {
    const r = runKora(['ask', 'hello'], project());
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('KORA_ERR_GATEWAY_NOT_RUNNING');
    expect(r.stderr).toContain('start it with `kora daemon`');
  });

  it('says which token to set when the admin API refuses it', async () => {
    const api = await startFakeAnthropic();
    fakes.push(api);
    const p = project();
    await startGateway(p, api);
    const r = await kora(['usage'], p, { KORA_ADMIN_TOKEN: 'not-the-token-0123456789' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('KORA_ERR_ADMIN_UNAUTHORIZED');
    expect(r.stderr).toContain('set KORA_ADMIN_TOKEN');
    expect(r.stderr).not.toContain('not-the-token-0123456789');
  });

  it('says to enable web when the gateway has no admin API', async () => {
    const noWeb = project('kora, reasoning');
    noWeb.writeConfig('plugins:\n  enabled: [kora, reasoning]\ndaemons:\n  reasoning_engine: { fatal: false }\n');
    await startGateway(noWeb, null, false);
    await eventually(() => statusOf(noWeb).state === 'degraded', 30_000);
    const r = await kora(['ask', 'hi'], noWeb);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('KORA_ERR_ADMIN_API_UNAVAILABLE');
    expect(r.stderr).toContain('Enable the `web` plugin');
  });

  it('says which variable to set when the engine is not running', async () => {
    const noKey = project();
    noKey.writeConfig('plugins:\n  enabled: [kora, reasoning, web]\ndaemons:\n  reasoning_engine: { fatal: false }\n');
    await startGateway(noKey, null);
    const s = await kora(['ask', 'hi'], noKey);
    expect(s.code).toBe(1);
    expect(s.stderr).toContain('KORA_ERR_ENGINE_UNAVAILABLE');
    expect(s.stderr).toContain('CLAUDE_CODE_OAUTH_TOKEN');
  });
});
