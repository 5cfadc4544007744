// mcp_consumption against a real MCP server built with the official SDK: as a child process over
// stdio, and over Streamable HTTP on 127.0.0.1, through the runtime's tool pipeline.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { createPluginHarness, ManualClock, type PluginHarness } from '@kora/runtime/testing';
import { afterEach, describe, expect, it } from 'vitest';
import plugin from '../index.js';
import { CONSUMPTION_DAEMON, HEALTH_TASK, NO_SERVERS_NOTE } from './daemon.js';
// @ts-expect-error a plain-JS fixture, no types
import { buildServer } from './__fixtures__/mcp-server.mjs';

const FIXTURE = fileURLToPath(new URL('./__fixtures__/mcp-server.mjs', import.meta.url));
const open: PluginHarness[] = [];
const servers: Server[] = [];
afterEach(async () => {
  for (const h of open.splice(0)) await h.close();
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

/** The fixture over Streamable HTTP (stateless, a server per request), needing `authorization: Bearer <token>`. */
async function httpFixture(token: string): Promise<{ url: string; requests: () => number }> {
  let requests = 0;
  const server = createServer((req, res) => {
    requests++;
    if (req.headers.authorization !== `Bearer ${token}`) {
      res.writeHead(401).end('unauthorized');
      return;
    }
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', async () => {
      const mcp = buildServer('http') as { connect(t: unknown): Promise<void>; close(): Promise<void> };
      const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
      res.on('close', () => void mcp.close());
      await mcp.connect(transport);
      await transport.handleRequest(req, res, raw ? JSON.parse(raw) : undefined);
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`, requests: () => requests };
}

async function harness(config: Record<string, unknown>, env: Record<string, string> = {}): Promise<PluginHarness> {
  const h = await createPluginHarness(plugin, { config, env, clock: new ManualClock() });
  open.push(h);
  await h.startDaemons();
  return h;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('mcp_consumption: a stdio server (child process)', () => {
  it('offers its tools as mcp__<server>__<tool> once checked, calls them through the pipeline, reopens a dead child, and closes it on stop', async () => {
    const h = await harness({ servers: [{ name: 'local', command: process.execPath, args: [FIXTURE, 'local'], env: { FIXTURE_TOKEN: { env: 'MY_TOKEN' } } }] }, { MY_TOKEN: 'tok-123456', KORA_SECRET_LEAK: 'never' });
    const consumption = h.services.get('mcp.consumption');
    expect(consumption.health()).toEqual([{ name: 'local', transport: 'stdio', connected: false, tools: 0, lastCheck: null, lastError: null }]);
    expect(await h.callTool('mcp__local__echo', { text: 'hi' })).toMatchObject({ ok: false, code: 'KORA_ERR_TOOL_UNKNOWN' });

    expect(await h.runTask(HEALTH_TASK)).toMatchObject({ status: 'ok' });
    expect(consumption.health()).toEqual([{ name: 'local', transport: 'stdio', connected: true, tools: 4, lastCheck: h.clock.now(), lastError: null }]);
    expect(await h.callTool('mcp__local__echo', { text: 'hi' })).toMatchObject({ ok: true, result: 'local: hi', providedBy: 'mcp' });
    expect(await h.callTool('mcp__local__add', { a: 2, b: 3 })).toMatchObject({ ok: true, result: { sum: 5 } });
    expect(await h.callTool('mcp__local__fail', {})).toMatchObject({ ok: false, error: expect.stringContaining('the fixture refuses') });
    // The child gets the variable named, not the gateway's environment.
    const who = await h.callTool('mcp__local__whoami', {});
    expect(who.ok).toBe(true);
    const { pid, token, home } = JSON.parse(String((who as { result: unknown }).result)) as { pid: number; token: string; home: string | null };
    expect([token, home]).toEqual(['tok-123456', null]);
    expect(alive(pid)).toBe(true);

    // The child dies: the next call opens another session (a new child).
    process.kill(pid, 'SIGKILL');
    await expect.poll(() => alive(pid), { timeout: 5000 }).toBe(false);
    await expect.poll(() => consumption.health()[0]?.connected, { timeout: 5000 }).toBe(false);
    const again = await h.callTool('mcp__local__whoami', {});
    expect(again.ok).toBe(true);
    const second = (JSON.parse(String((again as { result: unknown }).result)) as { pid: number }).pid;
    expect(second).not.toBe(pid);

    await h.stopDaemons();
    expect(consumption.health()[0]).toMatchObject({ connected: false, tools: 0 });
    expect(await h.callTool('mcp__local__echo', { text: 'hi' })).toMatchObject({ ok: false, code: 'KORA_ERR_TOOL_UNKNOWN' });
    await expect.poll(() => alive(second), { timeout: 5000 }).toBe(false);
  });

  it('records a server that cannot start as not connected with its error, and keeps running', async () => {
    const h = await harness({ servers: [{ name: 'broken', command: '/nonexistent/mcp-server', timeoutMs: 2000 }] });
    expect(await h.runTask(HEALTH_TASK)).toMatchObject({ status: 'ok' });
    expect(h.services.get('mcp.consumption').health()[0]).toMatchObject({ name: 'broken', connected: false, tools: 0, lastCheck: h.clock.now(), lastError: expect.stringMatching(/ENOENT|spawn/) });
    expect(h.daemons().find((d) => d.name === CONSUMPTION_DAEMON)).toMatchObject({ state: 'running', note: expect.stringContaining('1 of 1 MCP server(s) not connected: broken (') });
  });
  it('ends a child that never finishes the handshake, and records the timeout', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kora-mcp-'));
    const pidFile = join(dir, 'pid');
    try {
      const silent = `require('node:fs').writeFileSync(${JSON.stringify(pidFile)}, String(process.pid)); setInterval(() => {}, 1000);`;
      const h = await harness({ servers: [{ name: 'silent', command: process.execPath, args: ['-e', silent], timeoutMs: 200 }] });
      await h.runTask(HEALTH_TASK);
      expect(h.services.get('mcp.consumption').health()[0]).toMatchObject({ connected: false, lastError: expect.stringMatching(/timed out|timeout/i) });
      const pid = Number(readFileSync(pidFile, 'utf8'));
      await expect.poll(() => alive(pid), { timeout: 5000 }).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('mcp_consumption: a Streamable HTTP server', () => {
  it('sends the header from the environment, lists and calls the tools, and leaves out a tool name the model would not take', async () => {
    const fixture = await httpFixture('s3cret-token');
    const h = await harness({ servers: [{ name: 'remote', url: fixture.url, headers: { Authorization: { env: 'REMOTE_AUTH' } } }] }, { REMOTE_AUTH: 'Bearer s3cret-token' });
    await h.runTask(HEALTH_TASK);
    expect(h.services.get('mcp.consumption').health()[0]).toMatchObject({ name: 'remote', transport: 'http', connected: true, tools: 4, lastError: null });
    expect(await h.callTool('mcp__remote__echo', { text: 'over http' })).toMatchObject({ ok: true, result: 'http: over http' });
    expect(await h.callTool('mcp__remote__add', { a: 40, b: 2 })).toMatchObject({ ok: true, result: { sum: 42 } });
    // The bad tool name is left out, said in the log.
    expect(h.logs.some((l) => l.level === 'warn' && l.msg.includes('"bad.name!"'))).toBe(true);
  });

  it('keeps a wrong token out of the recorded error', async () => {
    const fixture = await httpFixture('right-token');
    const h = await harness({ servers: [{ name: 'remote', url: fixture.url, headers: { Authorization: { env: 'REMOTE_AUTH' } } }] }, { REMOTE_AUTH: 'Bearer wrong-token-value' });
    await h.runTask(HEALTH_TASK);
    const health = h.services.get('mcp.consumption').health()[0]!;
    expect(health).toMatchObject({ connected: false, tools: 0 });
    expect(health.lastError).toBeTruthy();
    expect(JSON.stringify(h.logs)).not.toContain('wrong-token-value');
    expect(health.lastError).not.toContain('wrong-token-value');
    expect(fixture.requests()).toBeGreaterThan(0);
  });
});

describe('mcp_consumption: config', () => {
  it('runs with no server, saying so', async () => {
    const h = await harness({});
    expect(h.daemons().find((d) => d.name === CONSUMPTION_DAEMON)).toMatchObject({ state: 'running', note: NO_SERVERS_NOTE });
    expect(await h.runTask(HEALTH_TASK)).toMatchObject({ status: 'ok' });
  });

  it('refuses a server name that would break tool names, and two servers of one name', async () => {
    await expect(createPluginHarness(plugin, { config: { servers: [{ name: 'a__b', command: 'x' }] } })).rejects.toMatchObject({ code: 'KORA_ERR_CONFIG_INVALID' });
    await expect(createPluginHarness(plugin, { config: { servers: [{ name: 'a', command: 'x' }, { name: 'a', url: 'http://127.0.0.1:1/mcp' }] } })).rejects.toMatchObject({ code: 'KORA_ERR_CONFIG_INVALID', message: expect.stringContaining('unique') });
  });
});
