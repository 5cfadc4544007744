// The five learning loops on a real gateway, end to end: the audit log is built by real agent
// exchanges (the reasoning plugin against the fake Messages API, signed Slack DMs through the
// webhook receiver to the fake Slack Web API, `kora ask`'s admin route), each loop's cycle is run
// now through the admin API, its proposal approved over MCP with the SDK's client, and its
// effect shown: a phrasebook answer without a model call, a new decision pattern choosing the
// strong model, a trimmed tool list seen by the fake API, the snapshot's extra tool, a fix
// envelope drafted from what the real probes plugin wrote about a flapping local HTTP service.
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lastUserText, startFakeAnthropic, text, toolUse, type FakeAnthropic, type RecordedRequest } from '../fakes/anthropic.js';
import { startFakeSlack, type FakeSlack } from '../fakes/slack.js';
import { eventually, killAll, makeProject, startKora, writeUserPlugin, type Project, type RunResult, type Running } from './helpers.js';

const SIGNING_SECRET = 'e2e-promote-signing-secret';
const STANDUP = 'The standup is at 9:30 in the big room.';
const CHEAP = 'claude-haiku-4-5';
// The engine's strong tier (plugins.config.reasoning.models default), which Kora's hooks follow (decision 0151).
const STRONG = 'claude-sonnet-4-6';

// A tool that keeps answering the same (the same state).
const E2E_PLUGIN = `export default { id: 'e2eops', register(ctx) {
  ctx.registerTool({ name: 'ops_queue_depth', description: 'How deep the ops queue is now', inputSchema: { type: 'object', properties: {} }, run: () => ({ depth: 4 }) });
} };`;

// The service the probes plugin's generic HTTP probe watches: up or down as the test says.
let serviceStatus = 200;
let service: Server;

function script(request: RecordedRequest) {
  const body = request.body;
  const question = lastUserText(body);
  const last = body.messages.at(-1);
  const answeredTool = Array.isArray(last?.content) && last.content.some((b) => b.type === 'tool_result');
  if (/^when is the standup/i.test(question)) return text(STANDUP);
  if (question.startsWith('How deep is the queue')) return answeredTool ? text('The queue is 4 deep.') : toolUse('ops_queue_depth', {});
  // A hedging cheap answer, so the haiku router re-asks the strong model.
  if (/^is it worth/i.test(question)) return body.model === CHEAP ? text("I'm not sure, it depends.") : text('Yes: the old version is out of support, and the upgrade pays for itself within a quarter.');
  // The envelope's draft (not probe_wake's investigation of the same failures).
  if (question.includes('Suggest the one most likely fix')) return text('Check the status-page service: it answers 503 when its backend is down; restart it.');
  return text('Noted.');
}

let project: Project;
let api: FakeAnthropic;
let slack: FakeSlack;
let gateway: Running;
let base = '';
let receiver = '';
let adminToken = '';
let mcp: Client;
const running: Running[] = [];

interface StatusFile {
  daemons: { name: string; state: string; endpoints?: { name: string; url: string }[] }[];
}
const statusOf = () => JSON.parse(readFileSync(join(project.home, 'run', 'status.json'), 'utf8')) as StatusFile;

async function admin<T>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  const response = await fetch(`${base}${path}`, {
    method: init.method ?? 'GET',
    headers: { authorization: `Bearer ${adminToken}`, ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  });
  const answer = (await response.json()) as T;
  if (!response.ok) throw new Error(`${init.method ?? 'GET'} ${path}: ${response.status} ${JSON.stringify(answer)}`);
  return answer;
}

const ask = (message: string) => admin<{ reply: string; model: string }>('/api/ask', { method: 'POST', body: { message } });
const cycle = (loop: string) => admin<{ status: string; error: string | null }>(`/api/tasks/promote_${loop}_cycle/run?wait=1`, { method: 'POST' });

/** `runKora` would block the fake servers living in this process: run the CLI without blocking. */
async function kora(args: string[]): Promise<RunResult> {
  const r = startKora(args, project);
  running.push(r);
  const [code] = (await once(r.child, 'close')) as [number | null];
  return { code, stdout: r.stdout(), stderr: r.stderr() };
}

interface ProposalView {
  id: string;
  loop: string;
  status: string;
  decidedBy: string | null;
  payload: Record<string, unknown>;
  evidence: Record<string, unknown>;
}
const callTool = (name: string, args: Record<string, unknown>) => mcp.callTool({ name, arguments: args }) as Promise<CallToolResult>;

async function pending(loop: string): Promise<ProposalView[]> {
  const result = await callTool('kora__proposals', { action: 'list', status: 'pending', loop });
  expect(result.isError).toBeFalsy();
  return (result.structuredContent as { proposals: ProposalView[] }).proposals;
}

async function approveOverMcp(id: string): Promise<ProposalView> {
  const result = await callTool('kora__proposals', { action: 'approve', id, reason: 'seen in the e2e test' });
  expect(result.isError, JSON.stringify(result.content)).toBeFalsy();
  return (result.structuredContent as { proposal: ProposalView }).proposal;
}

async function decidedRow(id: string): Promise<Record<string, unknown> | undefined> {
  const { entries } = await admin<{ entries: { details: Record<string, unknown> }[] }>('/api/audit?seam=promote.proposal_decided&limit=100');
  return entries.find((e) => e.details.id === id)?.details;
}

function signed(body: string): Record<string, string> {
  const timestamp = String(Math.floor(Date.now() / 1000));
  const signature = `v0=${createHmac('sha256', SIGNING_SECRET).update(`v0:${timestamp}:${body}`).digest('hex')}`;
  return { 'content-type': 'application/json', 'x-slack-request-timestamp': timestamp, 'x-slack-signature': signature };
}

let dms = 0;
async function sendDm(textOf: string): Promise<void> {
  dms += 1;
  const ts = `1767225${String(dms).padStart(3, '0')}.000100`;
  const body = JSON.stringify({ token: 'legacy', team_id: 'T0KORA', api_app_id: 'A0KORA', type: 'event_callback', event_id: `Ev0PROMOTE${dms}`, event_time: 1767225000, event: { type: 'message', channel: 'D0ALICE', channel_type: 'im', user: 'U0ALICE', text: textOf, ts } });
  const response = await fetch(`${receiver}slack/events`, { method: 'POST', body, headers: signed(body) });
  expect(response.status).toBe(200);
}

beforeAll(async () => {
  service = createServer((_req, res) => res.writeHead(serviceStatus, { 'content-type': 'text/plain' }).end(serviceStatus === 200 ? 'ok' : 'backend down'));
  service.listen(0, '127.0.0.1');
  await once(service, 'listening');
  const serviceUrl = `http://127.0.0.1:${(service.address() as AddressInfo).port}/health`;
  api = await startFakeAnthropic();
  api.respondWith(script);
  slack = await startFakeSlack();
  project = makeProject();
  writeUserPlugin(project, 'e2eops', E2E_PLUGIN, { hostApi: '^1.1.0' });
  project.writeConfig(
    [
      'plugins:',
      '  enabled: [kora, reasoning, webhooks, slack, web, mcp, e2eops, probes, snapshot, promote]',
      '  config:',
      '    kora: { audit: { includeDmText: true } }',
      '    webhooks: { host: 127.0.0.1, port: 0 }',
      '    slack: { retries: 0 }',
      `    probes: { http: [{ name: status-page, url: "${serviceUrl}" }] }`,
      '    promote:',
      '      loops:',
      '        phrasebook: { minAsks: 3 }',
      '        snapshot_expand: { minRepeats: 2 }',
      '        router_tuning: { minEscalations: 2 }',
      '        tool_trimming: { minOffers: 3 }',
      '        probe_fix_envelopes: { minFailures: 3 }',
      'gateway:',
      '  heartbeatEvery: 1s',
      '',
    ].join('\n'),
  );
  gateway = startKora(['daemon', '--dev'], project, {
    KORA_WEB_PORT: '0',
    ANTHROPIC_BASE_URL: api.url,
    ANTHROPIC_API_KEY: 'sk-ant-e2e-promote-key',
    KORA_SLACK_SIGNING_SECRET: SIGNING_SECRET,
    KORA_SLACK_BOT_TOKEN: slack.token,
    KORA_SLACK_API_URL: slack.url,
  });
  running.push(gateway);
  await gateway.waitFor('Kora gateway running', 30_000);
  await eventually(() => {
    const s = statusOf();
    base = new URL(s.daemons.find((d) => d.name === 'web')?.endpoints?.find((e) => e.name === 'admin UI')?.url ?? 'http://x').origin;
    receiver = s.daemons.find((d) => d.name === 'webhooks')?.endpoints?.[0]?.url ?? '';
    return !base.includes('//x') && receiver !== '' && ['slack_client', 'slack_dm', 'reasoning_engine', 'mcp'].every((n) => s.daemons.find((d) => d.name === n)?.state === 'running');
  });
  adminToken = readFileSync(join(project.home, 'admin_token'), 'utf8').trim();
  mcp = new Client({ name: 'kora-e2e-promote', version: '1.0.0' });
  await mcp.connect(new StreamableHTTPClientTransport(new URL(`${base}/mcp`), { requestInit: { headers: { Authorization: `Bearer ${readFileSync(join(project.home, 'mcp_token'), 'utf8').trim()}` } } }));
}, 60_000);

afterAll(async () => {
  await mcp?.close();
  await killAll(running);
  await api?.close();
  await slack?.close();
  service?.close();
  project?.cleanup();
});

describe('the learning loops on a real gateway', () => {
  it('promote_phrasebook: a DM asked three times the same way is answered the fourth time without a model call', async () => {
    for (let i = 0; i < 3; i++) await sendDm(i === 1 ? 'when is the STANDUP' : 'When is the standup?');
    await eventually(() => slack.posts().length === 3);
    expect(slack.posts().map((p) => p.text)).toEqual([STANDUP, STANDUP, STANDUP]);

    expect((await cycle('phrasebook')).status).toBe('ok');
    const [proposal] = await pending('phrasebook');
    expect(proposal).toMatchObject({ payload: { question: 'when is the standup', answer: STANDUP }, evidence: { asks: 3, sameAnswer: 3 } });
    expect(await approveOverMcp(proposal!.id)).toMatchObject({ status: 'approved', decidedBy: 'mcp:dev' });
    expect(await decidedRow(proposal!.id)).toMatchObject({ status: 'approved', by: 'mcp:dev', loop: 'phrasebook' });

    const calls = api.requests.length;
    await sendDm('When is the standup');
    await eventually(() => slack.posts().length === 4);
    expect(slack.posts()[3]).toMatchObject({ text: STANDUP });
    expect(api.requests.length).toBe(calls);
    const { entries } = await admin<{ entries: { details: Record<string, unknown> }[] }>('/api/audit?seam=slack.dm_short_circuit');
    expect(entries).toMatchObject([{ details: { route: 'slack_dm', proposalId: proposal!.id, llmCall: false } }]);
  });

  it('promote_snapshot_expand: a tool answering the same again and again goes into the snapshot, with its result, once approved', async () => {
    const snapshot = async () => {
      expect((await admin<{ status: string }>('/api/tasks/snapshot.compute/run?wait=1', { method: 'POST' })).status).toBe('ok');
      return admin<{ data: Record<string, unknown> }>('/api/snapshot');
    };
    for (let i = 0; i < 3; i++) expect((await ask('How deep is the queue?')).reply).toBe('The queue is 4 deep.');
    expect((await snapshot()).data).not.toHaveProperty('tools');
    expect((await cycle('snapshot_expand')).status).toBe('ok');
    const [proposal] = await pending('snapshot_expand');
    expect(proposal).toMatchObject({ payload: { tool: 'ops_queue_depth' }, evidence: { calls: 3, repeats: 2 } });
    await approveOverMcp(proposal!.id);
    // The next snapshot calls the tool and carries what it answered, over the admin API and MCP.
    expect((await snapshot()).data.tools).toEqual({ ops_queue_depth: { depth: 4 } });
    const viaMcp = await callTool('kora__snapshot', {});
    expect(viaMcp.isError).toBeFalsy();
    expect((viaMcp.structuredContent as { data: { tools: unknown } }).data.tools).toEqual({ ops_queue_depth: { depth: 4 } });
  });

  it('promote_router_tuning: questions the router kept escalating get a decision pattern, and the cost ladder then picks the strong model first', async () => {
    const before = api.requests.length;
    for (const q of ['Is it worth upgrading the queue?', 'Is it worth moving the cron jobs?']) expect((await ask(q)).model).toBe(STRONG);
    // Each went to the cheap model first and was re-asked of the strong one.
    expect(api.requests.slice(before).map((r) => r.body.model)).toEqual([CHEAP, STRONG, CHEAP, STRONG]);

    expect((await cycle('router_tuning')).status).toBe('ok');
    const [proposal] = await pending('router_tuning');
    expect(proposal).toMatchObject({ payload: { action: 'add', pattern: String.raw`^is\s+it\s+worth\b` }, evidence: { escalations: 2 } });
    await approveOverMcp(proposal!.id);

    const after = api.requests.length;
    expect((await ask('Is it worth rewriting the billing job?')).model).toBe(STRONG);
    expect(api.requests.slice(after).map((r) => r.body.model)).toEqual([STRONG]);
  });

  it('promote_tool_trimming: a tool offered on a route and never called is dropped from its list once approved', async () => {
    expect((await ask('Anything new?')).reply).toBe('Noted.');
    expect(api.requests.at(-1)!.body.tools?.map((t) => t.name)).toContain('kora__audit_tail');
    expect((await cycle('tool_trimming')).status).toBe('ok');
    const proposals = await pending('tool_trimming');
    const audit = proposals.find((p) => p.payload.route === 'cli' && p.payload.tool === 'kora__audit_tail');
    expect(audit, JSON.stringify(proposals.map((p) => p.payload))).toBeDefined();
    // The tool the agent did call on this route is not proposed for it (on slack_dm it never was called).
    expect(proposals.some((p) => p.payload.route === 'cli' && p.payload.tool === 'ops_queue_depth')).toBe(false);
    expect(proposals.some((p) => p.payload.route === 'slack_dm' && p.payload.tool === 'ops_queue_depth')).toBe(true);
    await approveOverMcp(audit!.id);

    await ask('Anything else?');
    const offered = api.requests.at(-1)!.body.tools?.map((t) => t.name) ?? [];
    expect(offered).not.toContain('kora__audit_tail');
    expect(offered).toContain('ops_queue_depth');
  });

  it('promote_probe_fix_envelopes: a probe of the probes plugin failing the same way three times gets an envelope with the engine\'s suggested action, approved but never applied', async () => {
    const probe = async (status: number) => {
      serviceStatus = status;
      expect((await admin<{ status: string }>('/api/tasks/heartbeat.service_probes/run?wait=1', { method: 'POST' })).status).toBe('ok');
    };
    // The service flaps: each turn to down is one `probe.wake_requested` row written by the probes plugin.
    for (let i = 0; i < 3; i++) {
      await probe(200);
      await probe(503);
    }
    const { entries } = await admin<{ entries: { details: Record<string, unknown> }[] }>('/api/audit?seam=probe.wake_requested&limit=100');
    expect(entries.filter((e) => e.details.probe === 'status-page')).toHaveLength(3);

    expect((await cycle('probe_fix_envelopes')).status).toBe('ok');
    const [envelope] = await pending('probe_fix_envelopes');
    const wakes = entries.map((e) => e.details.at as number).sort((a, b) => a - b);
    expect(envelope?.payload).toEqual({
      probe: 'status-page',
      signature: 'down: http 503, expected 2xx or 3xx',
      state: 'down',
      detail: 'HTTP 503, expected 2xx or 3xx',
      firstSeen: wakes[0],
      lastSeen: wakes[2],
      count: 3,
      suggestedAction: 'Check the status-page service: it answers 503 when its backend is down; restart it.',
    });
    const drafted = api.requests.find((r) => lastUserText(r.body).includes('Suggest the one most likely fix'));
    expect(drafted?.body.tools).toBeUndefined();
    expect(await approveOverMcp(envelope!.id)).toMatchObject({ status: 'approved', decidedBy: 'mcp:dev' });
  });

  it('kora proposals lists them from the CLI, and a decision made there is audited as cli', async () => {
    const listed = await kora(['proposals', 'list', '--status', 'pending']);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toMatch(/^id\s+loop\s+status/);
    expect(listed.stdout).toContain('tool_trimming');
    const id = /^([0-9a-f]{10})\s+tool_trimming\s+pending/m.exec(listed.stdout)![1]!;
    const rejected = await kora(['proposals', 'reject', id, '--reason', 'keep it offered']);
    expect(rejected.code, rejected.stderr).toBe(0);
    expect(rejected.stdout).toMatch(new RegExp(`^rejected ${id} \\(tool_trimming\\)`));
    expect(await decidedRow(id)).toMatchObject({ status: 'rejected', by: 'cli', reason: 'keep it offered' });
    const again = await kora(['proposals', 'approve', id]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('KORA_ERR_PROPOSAL_NOT_PENDING');
    const unknown = await kora(['proposals', 'approve', 'ffffffffff']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('KORA_ERR_PROPOSAL_UNKNOWN');
    for (const r of [listed, rejected, again, unknown]) expect(r.stdout + r.stderr).not.toContain(adminToken);
  });

  it('kora proposals pause|resume turns a loop off and on again without a restart: the approved trim stops and starts applying', async () => {
    const offered = async () => {
      await ask('Anything at all?');
      return api.requests.at(-1)!.body.tools?.map((t) => t.name) ?? [];
    };
    expect(await offered()).not.toContain('kora__audit_tail');
    const paused = await kora(['proposals', 'pause', 'tool_trimming', '--reason', 'checking']);
    expect(paused.code, paused.stderr).toBe(0);
    expect(paused.stdout).toMatch(/^tool_trimming\s+off\s+runtime \(this loop\) by cli$/m);
    expect(paused.stdout).toMatch(/^phrasebook\s+on$/m);
    expect(await offered()).toContain('kora__audit_tail');
    expect((await cycle('tool_trimming')).status).toBe('ok');
    const { entries } = await admin<{ entries: { details: Record<string, unknown> }[] }>('/api/audit?seam=promote.cycle&limit=1');
    expect(entries[0]?.details).toMatchObject({ loop: 'tool_trimming', skipped: 'kill_switch', killSwitch: 'runtime:tool_trimming' });

    const resumed = await kora(['proposals', 'resume', 'tool_trimming']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(await offered()).not.toContain('kora__audit_tail');
    const bad = await kora(['proposals', 'pause', 'nope']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('loop must be one of all, phrasebook');
  });
});
