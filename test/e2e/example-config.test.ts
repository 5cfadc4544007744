// The README's promise: `npm start` with the example kora.yaml brings up every bundled plugin
// that runs without credentials — identity, admin UI and API, MCP server, webhook receiver —
// and stops cleanly. The example file itself is used (copied, so its home stays in a temp dir).
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { killAll, makeProject, REPO, startKora, type Project, type Running } from './helpers.js';

const running: Running[] = [];
let project: Project | undefined;
afterEach(async () => {
  await killAll(running);
  project?.cleanup();
});

describe('the example kora.yaml', () => {
  it('boots in dev mode without an LLM key: degraded, naming the variable to set, with web, mcp, webhooks, slack and email running, a login link in the summary; stops with exit 0', async () => {
    project = makeProject();
    const config = join(project.dir, 'kora.yaml');
    copyFileSync(join(REPO, 'kora.yaml'), config);
    // Kernel-chosen ports: the test must not depend on 9118/9119 being free.
    const gw = startKora(['daemon', '--dev', '--config', config], project, { KORA_WEB_PORT: '0', KORA_WEBHOOK_PORT: '0' });
    running.push(gw);
    await gw.waitFor('Kora gateway DEGRADED', 30_000);
    const summary = gw.stdout();
    expect(summary).toMatch(/daemons\s+19 running: slack_client, slack_dm, purelymail_client, email_inbound_imap, email_reply, web, mcp, mcp_consumption, webhooks, cost_telemetry, heartbeat_probes, probe_wake, alert_notifier, promote_phrasebook, promote_snapshot_expand, promote_router_tuning, promote_tool_trimming, promote_probe_fix_envelopes, snapshot; 1 failed/);
    expect(summary).toMatch(/FAILED reasoning_engine \(reasoning\): ReasoningEngineNotConfigured: .*CLAUDE_CODE_OAUTH_TOKEN/);
    // Slack runs without a client, and says so where the operator looks.
    expect(summary).toMatch(/note slack_client: KORA_SLACK_BOT_TOKEN is not set: no Slack client/);
    // So does email, naming the variables to set.
    expect(summary).toMatch(/note purelymail_client: KORA_PUREMAIL_SMTP_USERNAME and KORA_PUREMAIL_SMTP_APP_PASSWORD are not set: no SMTP sender/);
    expect(summary).toMatch(/note email_inbound_imap: KORA_PUREMAIL_IMAP_USERNAME and KORA_PUREMAIL_IMAP_PASSWORD are not set/);
    // The probes boot without any token: every preset unconfigured, and said.
    expect(summary).toMatch(/note heartbeat_probes: no probe is configured: KORA_VERCEL_TOKEN is not set/);
    const login = /admin UI (http:\/\/127\.0\.0\.1:(\d+)\/login#token=([\w-]+))/.exec(summary);
    expect(login, summary).not.toBeNull();
    const [, , port, token] = login!;
    expect(readFileSync(join(project.home, 'admin_token'), 'utf8').trim()).toBe(token);

    const base = `http://127.0.0.1:${port}`;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/api/status`)).status).toBe(401);
    const status = (await (await fetch(`${base}/api/status`, { headers: { authorization: `Bearer ${token}` } })).json()) as { state: string; identity: { agentName: string }; daemons: { name: string; state: string }[] };
    expect(status.state).toBe('degraded');
    expect(status.identity.agentName).toBe('Kora');
    expect(status.daemons.filter((d) => d.state === 'running').map((d) => d.name)).toEqual(expect.arrayContaining(['web', 'mcp', 'webhooks', 'slack_client', 'slack_dm', 'purelymail_client', 'email_inbound_imap', 'email_reply', 'mcp_consumption', 'cost_telemetry', 'heartbeat_probes', 'probe_wake', 'alert_notifier', 'promote_phrasebook', 'snapshot']));
    expect(status.daemons.find((d) => d.name === 'reasoning_engine')?.state).toBe('failed');
    // The token is printed once, in the summary: never in the status or a log line.
    expect(JSON.stringify(status)).not.toContain(token);
    expect(gw.stderr()).not.toContain(token);

    gw.child.kill('SIGTERM');
    expect((await gw.exited).code).toBe(0);
    expect(gw.stderr()).not.toMatch(/handle\(s\) left open/);
  });

  it('runs with every daemon up once an LLM credential is set, without importing an ES module', async () => {
    project = makeProject();
    const config = join(project.dir, 'kora.yaml');
    copyFileSync(join(REPO, 'kora.yaml'), config);
    // The engine builds its client at start and calls the API only when asked for a reply.
    // NODE_DEBUG=esm: Node's ES module loader says each module it loads (decision 0177: none).
    const gw = startKora(['daemon', '--dev', '--config', config], project, { KORA_WEB_PORT: '0', KORA_WEBHOOK_PORT: '0', ANTHROPIC_API_KEY: 'sk-ant-test-not-a-real-key-0123', NODE_DEBUG: 'esm' });
    running.push(gw);
    await gw.waitFor('Kora gateway running', 30_000);
    expect(gw.stdout()).toMatch(/daemons\s+20 running: reasoning_engine, slack_client, slack_dm, purelymail_client, email_inbound_imap, email_reply, web, mcp, mcp_consumption, webhooks, cost_telemetry, heartbeat_probes, probe_wake, alert_notifier, promote_phrasebook, promote_snapshot_expand, promote_router_tuning, promote_tool_trimming, promote_probe_fix_envelopes, snapshot; 0 failed/);
    expect(gw.stdout() + gw.stderr()).not.toContain('sk-ant-test-not-a-real-key-0123');
    expect(gw.stderr()).not.toMatch(/^ESM \d+: /m);
    gw.child.kill('SIGTERM');
    expect((await gw.exited).code).toBe(0);
  });
});
