// The real `kora daemon` with the bundled reasoning plugin: its fatal flag decides the boot.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeAnthropic, type FakeAnthropic } from '../../../test/fakes/anthropic.js';
import { eventually, killAll, makeProject, runKora, startKora, type Project, type Running } from '../../../test/e2e/helpers.js';

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

function project(extra = ''): Project {
  const p = makeProject();
  projects.push(p);
  p.writeConfig(`plugins:\n  enabled: [kora, reasoning]\n${extra}`);
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
