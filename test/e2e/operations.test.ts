// The cost telemetry, the snapshot and the MCP consumption in a real gateway: kora, reasoning
// (the SDK against the fake Messages API), web, mcp (consuming a real SDK server as a stdio
// child), telemetry and snapshot; `kora costs` over the admin API.
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeAnthropic, text, type FakeAnthropic } from '../fakes/anthropic.js';
import { eventually, killAll, makeProject, REPO, startKora, type Project, type RunResult, type Running } from './helpers.js';

const FIXTURE = join(REPO, 'plugins/mcp/src/client/__fixtures__/mcp-server.mjs');
const projects: Project[] = [];
const running: Running[] = [];
const fakes: FakeAnthropic[] = [];
afterEach(async () => {
  await killAll(running);
  for (const f of fakes.splice(0)) await f.close();
  for (const p of projects.splice(0)) p.cleanup();
});

interface StatusFile {
  daemons: { name: string; state: string; note?: string | null; endpoints?: { name: string; url: string }[] }[];
}
const statusOf = (p: Project) => JSON.parse(readFileSync(join(p.home, 'run', 'status.json'), 'utf8')) as StatusFile;

/** The fake API answers from this process: run the CLI without blocking it. */
async function kora(args: string[], p: Project, env: Record<string, string> = {}): Promise<RunResult> {
  const r = startKora(args, p, env);
  running.push(r);
  const [code] = (await once(r.child, 'close')) as [number | null];
  return { code, stdout: r.stdout(), stderr: r.stderr() };
}

async function gateway(p: Project, api: FakeAnthropic): Promise<{ base: string; token: string }> {
  const g = startKora(['daemon', '--dev'], p, { KORA_WEB_PORT: '0', ANTHROPIC_BASE_URL: api.url, ANTHROPIC_API_KEY: 'sk-ant-e2e-ops-key' });
  running.push(g);
  await g.waitFor(/Kora gateway (running|DEGRADED)/, 30_000);
  await eventually(() => statusOf(p).daemons.some((d) => d.name === 'web' && d.endpoints?.some((e) => e.name === 'admin UI')));
  const url = statusOf(p).daemons.find((d) => d.name === 'web')!.endpoints!.find((e) => e.name === 'admin UI')!.url;
  return { base: new URL(url).origin, token: readFileSync(join(p.home, 'admin_token'), 'utf8').trim() };
}

describe('the operations daemons in a gateway', () => {
  it('counts a reply into the cost windows, rolls the agent up with the MCP server connected, and kora costs prints it', async () => {
    const api = await startFakeAnthropic();
    fakes.push(api);
    const p = makeProject();
    projects.push(p);
    p.writeConfig(
      [
        'plugins:',
        '  enabled: [kora, reasoning, web, mcp, telemetry, snapshot]',
        '  config:',
        '    telemetry: { budgets: { rolling_24h: 1, month: 100 } }',
        `    mcp: { servers: [{ name: local, command: ${JSON.stringify(process.execPath)}, args: [${JSON.stringify(FIXTURE)}] }] }`,
        '',
      ].join('\n'),
    );
    const { base, token } = await gateway(p, api);
    const auth = { authorization: `Bearer ${token}` };

    // The first snapshot is computed at start and the first health check runs at start.
    let snapshot: { at: number; stale: boolean; data: Record<string, unknown> } | undefined;
    await eventually(() => {
      void fetch(`${base}/api/snapshot`, { headers: auth }).then(async (r) => {
        if (r.status === 200) snapshot = (await r.json()) as typeof snapshot;
      });
      return snapshot !== undefined && Array.isArray(snapshot.data.mcp);
    });
    expect(snapshot!.stale).toBe(false);
    expect(snapshot!.data).toMatchObject({ costs: { rung: 'normal' }, probes: 'unavailable', alerts: 'unavailable', proposals: 'unavailable' });
    await eventually(() => statusOf(p).daemons.some((d) => d.name === 'mcp_consumption' && d.state === 'running' && d.note === null));

    // 800 000 input tokens of the cheap model: 0.80 USD of a 1 USD day, warn_75.
    api.enqueue(text('hello back', { usage: { input_tokens: 800_000, output_tokens: 10 } }));
    expect((await kora(['ask', 'hello'], p)).code).toBe(0);
    const costs = await kora(['costs', '--json'], p);
    expect(costs.code, costs.stderr).toBe(0);
    const answer = JSON.parse(costs.stdout) as { rung: string; windows: { window: string; calls: number; costUsd: number }[] };
    expect(answer.rung).toBe('warn_75');
    expect(answer.windows.find((w) => w.window === 'rolling_24h')).toMatchObject({ calls: 1, costUsd: expect.closeTo(0.80005, 4) });
    const table = await kora(['costs'], p);
    expect(table.stdout).toMatch(/^Cost rung: warn_75/);
    expect(table.stdout).toMatch(/rolling_24h\s+\S+\s+1\s+0\.800\d\s+1\.0000\s+80%\s+warn_75\s+warn_75/);
    expect(table.stdout).toMatch(/\d{4}-\d{2}-\d{2}\s+claude-haiku-4-5\s+1\s+0\.800\d/);
    for (const r of [costs, table]) for (const secret of ['sk-ant-e2e-ops-key', token]) expect(r.stdout + r.stderr).not.toContain(secret);

    const page = await fetch(`${base}/api/costs?days=2`, { headers: auth });
    expect(page.status).toBe(200);
  });

  it('kora costs names the plugin to enable when the gateway has no telemetry', async () => {
    const api = await startFakeAnthropic();
    fakes.push(api);
    const p = makeProject();
    projects.push(p);
    p.writeConfig('plugins:\n  enabled: [kora, reasoning, web]\n');
    await gateway(p, api);
    const r = await kora(['costs'], p);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('kora plugins enable telemetry');
  });
});
