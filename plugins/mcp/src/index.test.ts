import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { definePlugin } from '@kora/runtime';
import { createPluginHarness, type PluginHarness } from '@kora/runtime/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { startAdminHost, type AdminHost } from './admin-host.test-helper.js';
import plugin from './index.js';

const TOKEN_A = 'token-a-0123456789abcdef';
const TOKEN_B = 'token-b-0123456789abcdef';
const READER_TOKEN = 'reader-token-0123456789';
const sha = (t: string) => createHash('sha256').update(t).digest('hex');

let ticks = 0;
const fixture = definePlugin({
  id: 'fixture',
  register(ctx) {
    ctx.registerTool({
      name: 'weather',
      description: 'The weather in a city',
      mcp: true,
      inputSchema: { type: 'object', properties: { city: { type: 'string', minLength: 1 } }, required: ['city'] },
      run: (input) => ({ city: input.city, sky: 'clear' }),
    });
    ctx.registerTool({ name: 'engine_only', description: 'For the reasoning engine, not for MCP', run: () => 'private' });
    ctx.on('pre_tool_call', (call) => (call.route === 'mcp' && call.input.city === 'Mordor' ? { block: true, reason: 'one does not simply' } : null));
    ctx.registerDaemon({
      name: 'fixture',
      start() {},
      tasks: [
        {
          name: 'fixture.tick',
          every: '1h',
          run: () => {
            ticks++;
          },
        },
      ],
    });
  },
});

interface Setup {
  harness: PluginHarness;
  host: AdminHost;
  home: string;
  connect(token: string): Promise<Client>;
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(options: { env?: Record<string, string>; callers?: unknown; deployEnv?: string; start?: boolean; home?: string } = {}): Promise<Setup> {
  const home = options.home ?? mkdtempSync(join(tmpdir(), 'kora-mcp-'));
  if (!options.home) cleanups.push(() => rmSync(home, { recursive: true, force: true }));
  if (options.callers !== undefined) writeFileSync(join(home, 'mcp_callers.yaml'), typeof options.callers === 'string' ? options.callers : JSON.stringify(options.callers));
  const harness = await createPluginHarness([plugin, fixture], { home, env: options.env ?? { KORA_MCP_BEARER_TOKEN: `${TOKEN_A}, ${TOKEN_B}` }, deployEnv: options.deployEnv ?? 'production' });
  cleanups.push(() => harness.close());
  const host = await startAdminHost(harness.contributions);
  cleanups.push(() => host.close());
  if (options.start !== false) await harness.startDaemons();
  return {
    harness,
    host,
    home,
    async connect(token) {
      const client = new Client({ name: 'kora-test', version: '1.0.0' });
      const transport = new StreamableHTTPClientTransport(new URL('/mcp', host.origin), { requestInit: { headers: { Authorization: `Bearer ${token}` } } });
      await client.connect(transport);
      cleanups.push(() => client.close());
      return client;
    },
  };
}

const call = (client: Client, name: string, args: Record<string, unknown> = {}) => client.callTool({ name, arguments: args }) as Promise<CallToolResult>;
const textOf = (r: CallToolResult) => r.content.map((c) => (c.type === 'text' ? c.text : '')).join('');

async function rawPost(origin: string, body: string, headers: Record<string, string>) {
  const res = await fetch(`${origin}/mcp`, { method: 'POST', body, headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers } });
  const text = await res.text();
  return { status: res.status, text, json: () => JSON.parse(text) as Record<string, unknown> };
}

const KORA_TOOL_NAMES = ['kora__daemon_status', 'kora__list_tasks', 'kora__run_task', 'kora__audit_tail', 'kora__dead_letters', 'kora__replay_dead_letter', 'kora__request_stop'];

describe('mcp plugin: tools over the SDK client', () => {
  it('lists the kora__ tools and the plugin tools exposed over MCP, not the others', async () => {
    const { connect } = await setup();
    const { tools } = await (await connect(TOKEN_A)).listTools();
    expect(tools.map((t) => t.name)).toEqual([...KORA_TOOL_NAMES, 'weather']);
    const weather = tools.find((t) => t.name === 'weather');
    expect(weather?.inputSchema).toMatchObject({ type: 'object', properties: { city: { type: 'string', minLength: 1 } }, required: ['city'] });
    expect(tools.find((t) => t.name === 'kora__request_stop')?.inputSchema.required).toEqual(['confirm_token', 'actor']);
  });

  it('answers kora__daemon_status with the gateway status shape', async () => {
    const { connect, harness } = await setup();
    const result = await call(await connect(TOKEN_A), 'kora__daemon_status');
    expect(result.isError).toBeFalsy();
    expect(result.structuredContent).toMatchObject({ sessionId: 'harness', state: 'running', daemons: [{ name: 'mcp', state: 'running' }, { name: 'mcp_consumption', state: 'running' }, { name: 'fixture', state: 'running' }] });
    expect(JSON.parse(textOf(result))).toEqual(JSON.parse(JSON.stringify(result.structuredContent)));
    expect(result.structuredContent).toHaveProperty('daemons.0.endpoints', harness.daemons()[0]?.endpoints);
  });

  it('answers kora__list_tasks with the status tasks (none in the harness, whose status schedules nothing)', async () => {
    const { connect } = await setup();
    expect((await call(await connect(TOKEN_A), 'kora__list_tasks')).structuredContent).toEqual({ tasks: [] });
  });

  it('runs a task now with kora__run_task, audited under mcp:<caller>, and waits for its row', async () => {
    const { connect, harness } = await setup();
    const client = await connect(TOKEN_B);
    const before = ticks;
    const result = await call(client, 'kora__run_task', { name: 'fixture.tick', wait: true });
    expect(result.isError).toBeFalsy();
    expect(result.structuredContent).toMatchObject({ task: 'fixture.tick', daemon: 'fixture', run: { status: 'ok', trigger: 'manual' } });
    expect(ticks).toBe(before + 1);
    const [audited] = await harness.audit({ seam: 'operations.task_run' });
    expect(audited?.details).toMatchObject({ task: 'fixture.tick', by: 'mcp:env-2' });

    const started = await call(client, 'kora__run_task', { name: 'fixture.tick' });
    expect(started.structuredContent).toMatchObject({ task: 'fixture.tick', started: true });
  });

  it('maps a runtime refusal of kora__run_task to a tool error with its code', async () => {
    const { connect } = await setup();
    const result = await call(await connect(TOKEN_A), 'kora__run_task', { name: 'no.such.task' });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/^KORA_ERR_TASK_UNKNOWN: /);
    expect(result.structuredContent).toMatchObject({ error: { code: 'KORA_ERR_TASK_UNKNOWN' } });
  });

  it('pages the audit log newest first with kora__audit_tail', async () => {
    const { connect, harness } = await setup();
    const t0 = harness.clock.now();
    for (let i = 0; i < 3; i++) await harness.store.audit.append({ at: t0 + i, plugin: 'fixture', seam: 'fixture.event', details: { i } });
    const client = await connect(TOKEN_A);
    const first = await call(client, 'kora__audit_tail', { seam: 'fixture.event', limit: 2 });
    const page = first.structuredContent as { entries: { details: { i: number } }[]; next_before_id: number };
    expect(page.entries.map((e) => e.details.i)).toEqual([2, 1]);
    const second = (await call(client, 'kora__audit_tail', { seam: 'fixture.event', limit: 2, before_id: page.next_before_id })).structuredContent as typeof page;
    expect(second.entries.map((e) => e.details.i)).toEqual([0]);
    expect(second.next_before_id).toBeNull();
    const since = (await call(client, 'kora__audit_tail', { plugin: 'fixture', since: new Date(t0 + 2).toISOString() })).structuredContent as typeof page;
    expect(since.entries.map((e) => e.details.i)).toEqual([2]);
  });

  it('lists dead letters with kora__dead_letters and replays one with kora__replay_dead_letter', async () => {
    const { connect, harness } = await setup();
    const now = harness.clock.now();
    const { id } = await harness.store.inbox.enqueue({ topic: 'fixture.jobs', key: 'k1', payload: { n: 1 } });
    await harness.store.inbox.claim({ topics: ['fixture.jobs'], owner: 'test', leaseMs: 1000, now });
    await harness.store.inbox.fail(id, 'test', { error: 'boom', dead: true });
    const client = await connect(TOKEN_A);

    const listed = (await call(client, 'kora__dead_letters', { topic: 'fixture.jobs' })).structuredContent as { topics: Record<string, { dead: number }>; dead: { id: number; payload: unknown }[] };
    expect(listed.topics['fixture.jobs']).toMatchObject({ dead: 1 });
    expect(listed.dead).toMatchObject([{ id, payload: { n: 1 } }]);

    expect((await call(client, 'kora__replay_dead_letter', { id })).structuredContent).toEqual({ id, replayed: true });
    expect((await harness.store.inbox.stats())['fixture.jobs']).toMatchObject({ pending: 1, dead: 0 });
    expect((await harness.audit({ seam: 'inbox.replayed' }))[0]?.details).toMatchObject({ id, by: 'mcp:env-1' });

    const again = await call(client, 'kora__replay_dead_letter', { id });
    expect(again.isError).toBe(true);
    expect(textOf(again)).toMatch(/^dead_letter_unknown: .*kora__dead_letters/);
  });

  it('refuses kora__request_stop with a stale confirm token, and stops with the current session id', async () => {
    const { connect, harness } = await setup();
    const client = await connect(TOKEN_A);
    const stale = await call(client, 'kora__request_stop', { confirm_token: 'an-earlier-session', actor: 'alice' });
    expect(stale.isError).toBe(true);
    expect(textOf(stale)).toMatch(/^confirm_token_stale: .*kora__daemon_status/);
    await new Promise((r) => setImmediate(r));
    expect(harness.stopRequested()).toBeNull();

    const missingActor = await call(client, 'kora__request_stop', { confirm_token: 'harness' });
    expect(missingActor.isError).toBe(true);
    expect(textOf(missingActor)).toContain('actor');

    const sessionId = ((await call(client, 'kora__daemon_status')).structuredContent as { sessionId: string }).sessionId;
    const stop = await call(client, 'kora__request_stop', { confirm_token: sessionId, actor: 'alice', reason: 'maintenance' });
    expect(stop.structuredContent).toEqual({ stopping: true, sessionId });
    await new Promise((r) => setImmediate(r));
    expect(harness.stopRequested()).toBe('stop requested by mcp:env-1: asked by alice: maintenance');
    expect((await harness.audit({ seam: 'operations.stop_requested' }))[0]?.details).toMatchObject({ by: 'mcp:env-1', reason: 'asked by alice: maintenance' });
  });

  it('calls a plugin tool through the runtime pipeline (route mcp, its guards), and not one kept from MCP', async () => {
    const { connect } = await setup();
    const client = await connect(TOKEN_A);
    const ok = await call(client, 'weather', { city: 'Lyon' });
    expect(ok.isError).toBeFalsy();
    expect(ok.structuredContent).toEqual({ city: 'Lyon', sky: 'clear' });

    const blocked = await call(client, 'weather', { city: 'Mordor' });
    expect(blocked.isError).toBe(true);
    expect(textOf(blocked)).toMatch(/^KORA_ERR_TOOL_BLOCKED: .*one does not simply/);

    const invalid = await call(client, 'weather', {});
    expect(invalid.isError).toBe(true);
    expect(textOf(invalid)).toContain('Input validation error');

    const hidden = await call(client, 'engine_only');
    expect(hidden.isError).toBe(true);
    expect(textOf(hidden)).toContain('Tool engine_only not found');
  });
});

describe('mcp plugin: callers and capabilities', () => {
  const callers = [
    { id: 'reader', token_sha256: sha(READER_TOKEN), capabilities: ['status:read', 'tools:call:weather'] },
    { id: 'ops', token_sha256: sha('ops-token-0123456789'), capabilities: ['tasks:run', 'gateway:stop'] },
  ];

  it('denies a tool whose capability the caller lacks, audits the denial before the reply, and names the capability', async () => {
    const { connect, harness } = await setup({ env: {}, callers });
    const client = await connect(READER_TOKEN);
    expect((await call(client, 'kora__daemon_status')).isError).toBeFalsy();
    expect((await call(client, 'weather', { city: 'Oslo' })).isError).toBeFalsy();

    const denied = await call(client, 'kora__run_task', { name: 'fixture.tick' });
    expect(denied.isError).toBe(true);
    expect(textOf(denied)).toBe('capability_denied: caller "reader" lacks the capability "tasks:run" that kora__run_task needs: grant it in mcp_callers.yaml (see docs/mcp.md)');
    // The reply came after the audit row was written.
    expect((await harness.audit({ seam: 'mcp.denied' })).map((e) => e.details)).toEqual([{ caller: 'reader', tool: 'kora__run_task', capability: 'tasks:run' }]);
    expect(await harness.audit({ seam: 'operations.task_run' })).toEqual([]);

    const stop = await call(client, 'kora__request_stop', { confirm_token: 'harness', actor: 'mallory' });
    expect(textOf(stop)).toContain('"gateway:stop"');
    await new Promise((r) => setImmediate(r));
    expect(harness.stopRequested()).toBeNull();
  });

  it('answers 401 to a wrong or missing token before any JSON-RPC is read', async () => {
    const { host, harness } = await setup({ env: {}, callers });
    const stop = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'kora__request_stop', arguments: { confirm_token: 'harness', actor: 'x' } } });
    for (const headers of [{ authorization: 'Bearer wrong-token-0123456789' }, {} as Record<string, string>, { authorization: `Basic ${Buffer.from(`x:${READER_TOKEN}`).toString('base64')}` }, { authorization: `Bearer ${sha(READER_TOKEN)}` }]) {
      const reply = await rawPost(host.origin, stop, headers);
      expect(reply.status).toBe(401);
      expect(reply.json()).toEqual({ error: { code: 'unauthorized' } });
    }
    expect(host.handled()).toBe(0);
    await new Promise((r) => setImmediate(r));
    expect(harness.stopRequested()).toBeNull();

    const client = new Client({ name: 'kora-test', version: '1.0.0' });
    const transport = new StreamableHTTPClientTransport(new URL('/mcp', host.origin), { requestInit: { headers: { Authorization: 'Bearer wrong-token-0123456789' } } });
    await expect(client.connect(transport)).rejects.toMatchObject({ code: 401 });
  });

  it('answers a JSON body that is not a JSON-RPC message with the SDK’s JSON-RPC error', async () => {
    const { host } = await setup();
    const reply = await rawPost(host.origin, JSON.stringify({ hello: 'world' }), { authorization: `Bearer ${TOKEN_A}` });
    expect(reply.status).toBe(400);
    expect(reply.json()).toMatchObject({ jsonrpc: '2.0', id: null, error: { code: -32700 } });
  });

  it('answers GET and DELETE 405 (stateless: no stream, no session), after authentication', async () => {
    const { host } = await setup();
    for (const method of ['GET', 'DELETE']) {
      const res = await fetch(`${host.origin}/mcp`, { method, headers: { authorization: `Bearer ${TOKEN_A}`, accept: 'text/event-stream' } });
      expect(res.status).toBe(405);
      expect(res.headers.get('allow')).toBe('POST');
      expect(await res.json()).toMatchObject({ jsonrpc: '2.0', error: { code: -32000 } });
      expect((await fetch(`${host.origin}/mcp`, { method })).status).toBe(401);
    }
  });

  it('answers 503 until the daemon runs and after it stopped', async () => {
    const { host, harness } = await setup({ start: false });
    const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' });
    const before = await rawPost(host.origin, body, { authorization: `Bearer ${TOKEN_A}` });
    expect(before.status).toBe(503);
    expect(before.json()).toMatchObject({ error: { code: 'mcp_unavailable' } });
    await harness.startDaemons();
    await harness.stopDaemons();
    expect((await rawPost(host.origin, body, { authorization: `Bearer ${TOKEN_A}` })).status).toBe(503);
  });

  it('keeps every token out of the logs and the audit log', async () => {
    const { connect, harness } = await setup({ env: { KORA_MCP_BEARER_TOKEN: TOKEN_A }, callers });
    const client = await connect(READER_TOKEN);
    await call(client, 'kora__run_task', { name: 'fixture.tick' });
    await call(await connect(TOKEN_A), 'kora__run_task', { name: 'fixture.tick', wait: true });
    const text = JSON.stringify([harness.logs, await harness.audit()]);
    for (const secret of [TOKEN_A, READER_TOKEN, sha(READER_TOKEN)]) expect(text).not.toContain(secret);
    expect(harness.logs.find((l) => l.msg.startsWith('MCP server at'))).toMatchObject({ callers: ['env-1', 'reader', 'ops'] });
  });
});

describe('mcp plugin: the daemon start', () => {
  it('fails closed without any caller, naming both ways to add one', async () => {
    const { harness } = await setup({ env: {} });
    const [status] = harness.daemons();
    expect(status).toMatchObject({ name: 'mcp', state: 'failed', errorCode: 'KORA_ERR_DAEMON_START' });
    expect(status?.error).toContain('KORA_MCP_BEARER_TOKEN');
    expect(status?.error).toContain('mcp_callers.yaml');
  });

  it('fails its start on a bad callers file, naming the file and the entry', async () => {
    const bad = [
      { id: 'fine', token_sha256: sha('fine-token-0123456789'), capabilities: ['status:read'] },
      { id: 'typo', token_sha256: sha('typo-token-0123456789'), capabilities: ['status:raed'] },
    ];
    const { harness, home } = await setup({ env: {}, callers: bad });
    const error = harness.daemons()[0]?.error ?? '';
    expect(error).toContain(join(home, 'mcp_callers.yaml'));
    expect(error).toContain('entry 2 (id "typo"), field "capabilities": not a capability');
  });

  it.each([
    ['a token that is not a SHA-256', `- id: a\n  token_sha256: abc\n  capabilities: ['*']\n`, 'entry 1 (id "a"), field "token_sha256"'],
    ['an unknown field', `- id: a\n  token: plain\n  token_sha256: ${sha('x')}\n  capabilities: ['*']\n`, 'entry 1 (id "a")'],
    ['not a list', `callers: []\n`, 'the top level'],
    ['not YAML', `- id: [\n`, 'is not valid YAML'],
    ['two callers with one token', `- { id: a, token_sha256: ${sha('t')}, capabilities: ['*'] }\n- { id: b, token_sha256: ${sha('t')}, capabilities: ['*'] }\n`, 'callers "a"'],
    ['a file id taken by an env caller', `- { id: env-1, token_sha256: ${sha('t')}, capabilities: ['*'] }\n`, 'caller id "env-1" is declared twice'],
  ])('fails its start on %s', async (_what, yaml, message) => {
    const { harness } = await setup({ env: { KORA_MCP_BEARER_TOKEN: TOKEN_A }, callers: yaml });
    expect(harness.daemons()[0]).toMatchObject({ state: 'failed' });
    expect(harness.daemons()[0]?.error).toContain(message);
  });

  it('in dev mode without a caller, generates a token once (0600), reuses it, and publishes the endpoint', async () => {
    const home = mkdtempSync(join(tmpdir(), 'kora-mcp-dev-'));
    cleanups.push(() => rmSync(home, { recursive: true, force: true }));
    const first = await setup({ env: {}, deployEnv: 'dev', home });
    const file = join(home, 'mcp_token');
    const token = readFileSync(file, 'utf8').trim();
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(first.harness.daemons()[0]).toMatchObject({ state: 'running', endpoints: [{ name: 'MCP', url: 'http://127.0.0.1:9119/mcp', note: `bearer token in ${file}` }] });
    expect((await call(await first.connect(token), 'kora__daemon_status')).isError).toBeFalsy();
    expect(JSON.stringify(first.harness.logs)).not.toContain(token);
    await first.harness.close();

    const second = await setup({ env: { KORA_WEB_HOST: '127.0.0.2', KORA_WEB_PORT: '9200' }, deployEnv: 'dev', home });
    expect(readFileSync(file, 'utf8').trim()).toBe(token);
    expect(second.harness.daemons()[0]?.endpoints).toEqual([{ name: 'MCP', url: 'http://127.0.0.2:9200/mcp', note: `bearer token in ${file}` }]);
    const client = await second.connect(token);
    expect((await call(client, 'kora__daemon_status')).isError).toBeFalsy();
  });

  it('in dev mode with a caller configured, generates no token', async () => {
    const { harness, home } = await setup({ deployEnv: 'dev' });
    expect(harness.daemons()[0]).toMatchObject({ state: 'running' });
    expect(() => statSync(join(home, 'mcp_token'))).toThrow();
  });

  it('registers the mcp daemon, fatal on a failed start, and the /mcp admin route', async () => {
    const { harness } = await setup({ start: false });
    expect(harness.registered.get('mcp')).toMatchObject({ daemons: ['mcp', 'mcp_consumption'], contributions: ['http.admin'] });
    expect(harness.contributions.list('http.admin').map((c) => c.value.path)).toEqual(['/mcp']);
  });
});
