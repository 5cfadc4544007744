// The MCP server behind the real admin server: plugins web and mcp enabled on a real gateway,
// reached with the SDK's own client. Runs once the web plugin is in the tree (it is built on
// another branch at the same time as this one); test/e2e/mcp.test.ts covers the gateway side
// with a stand-in admin host meanwhile.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { killAll, makeProject, REPO, startKora, type Project, type Running } from './helpers.js';

const projects: Project[] = [];
const running: Running[] = [];
const clients: Client[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) await c.close();
  await killAll(running);
  for (const p of projects.splice(0)) p.cleanup();
});

const call = (client: Client, name: string, args: Record<string, unknown> = {}) => client.callTool({ name, arguments: args }) as Promise<CallToolResult>;

describe.skipIf(!existsSync(join(REPO, 'plugins/web/package.json')))('the MCP server on the web plugin’s admin server', () => {
  it('is mounted at /mcp on the port web bound, behind its own callers, and request_stop ends the gateway with 0', async () => {
    const p = makeProject();
    projects.push(p);
    p.writeConfig('plugins:\n  enabled: [kora, web, mcp]\n');
    const adminToken = 'admin-token-0123456789abcdef';
    const gw = startKora(['daemon', '--dev'], p, { KORA_WEB_PORT: '0', KORA_ADMIN_TOKEN: adminToken });
    running.push(gw);
    const tokenFile = join(p.home, 'mcp_token');
    // Port 0: the address comes from the web daemon's published endpoint, so web must have started first.
    await gw.waitFor(new RegExp(`MCP (http://127\\.0\\.0\\.1:\\d+/mcp) \\(bearer token in ${tokenFile.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\)`));
    const url = /MCP (http:\/\/127\.0\.0\.1:\d+\/mcp) /.exec(gw.stdout())![1]!;
    expect(url).not.toContain(':9119/');
    const token = readFileSync(tokenFile, 'utf8').trim();

    const tools = (body: string, authorization?: string) =>
      fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...(authorization ? { authorization } : {}) } });
    const list = '{"jsonrpc":"2.0","id":1,"method":"tools/list"}';
    // The admin token is not an MCP caller's, and no token is none.
    expect((await tools(list, `Bearer ${adminToken}`)).status).toBe(401);
    expect((await tools(list)).status).toBe(401);
    const malformed = await tools('{"not":"json-rpc"}', `Bearer ${token}`);
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ jsonrpc: '2.0', error: { code: -32700 } });

    const client = new Client({ name: 'kora-e2e', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { Authorization: `Bearer ${token}` } } }));
    clients.push(client);
    expect((await client.listTools()).tools.map((t) => t.name)).toContain('kora__request_stop');
    const status = (await call(client, 'kora__daemon_status')).structuredContent as { sessionId: string; daemons: { name: string; state: string }[] };
    expect(status.daemons.filter((d) => d.name === 'web' || d.name === 'mcp').map((d) => d.state)).toEqual(['running', 'running']);
    // The same status shape as the admin API.
    const api = (await (await fetch(url.replace(/\/mcp$/, '/api/status'), { headers: { authorization: `Bearer ${adminToken}` } })).json()) as { sessionId: string; daemons: unknown[] };
    expect(Object.keys(api).sort()).toEqual(Object.keys(status).sort());
    expect(api.sessionId).toBe(status.sessionId);

    expect((await call(client, 'kora__request_stop', { confirm_token: 'stale', actor: 'e2e' })).isError).toBe(true);
    expect((await call(client, 'kora__request_stop', { confirm_token: status.sessionId, actor: 'e2e' })).structuredContent).toMatchObject({ stopping: true });
    expect((await gw.exited).code).toBe(0);
    for (const text of [gw.stdout(), gw.stderr()]) {
      expect(text).not.toContain(token);
      expect(text).not.toContain(adminToken);
    }
  });
});
