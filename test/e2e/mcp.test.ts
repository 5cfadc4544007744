// The MCP server on the real gateway process: the mcp plugin's `/mcp` route served by an admin
// server, reached with the SDK's own client over HTTP. Until the web plugin lands, a stand-in
// user plugin mounts the `http.admin` contributions with Fastify (as the web plugin does).
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { killAll, makeProject, REPO, startKora, writeUserPlugin, type Project, type Running } from './helpers.js';

const projects: Project[] = [];
const running: Running[] = [];
const clients: Client[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) await c.close();
  await killAll(running);
  for (const p of projects.splice(0)) p.cleanup();
});

const FASTIFY = pathToFileURL(join(REPO, 'node_modules/fastify/fastify.js')).href;

// Mounts every http.admin route as the contract says: authenticate in onRequest, before the body.
const ADMIN_HOST = `import Fastify from '${FASTIFY}';
export default { id: 'adminhost', register(ctx) {
  let app;
  ctx.registerDaemon({ name: 'adminhost', async start(d) {
    app = Fastify();
    for (const { value: route } of d.contributions.list('http.admin')) {
      app.route({ method: [].concat(route.method), url: route.path,
        async onRequest(req, reply) {
          const principal = route.authenticate ? await route.authenticate(req.headers) : null;
          if (principal === null) return reply.code(401).send({ error: { code: 'unauthorized' } });
          req.principal = principal;
        },
        async handler(req, reply) {
          reply.hijack();
          const out = await route.handle({ method: req.method, path: req.url, params: req.params, query: req.query, headers: req.headers, body: req.body, principal: req.principal, raw: { req: req.raw, res: reply.raw } });
          if (out.handled) return;
          reply.raw.writeHead(out.status ?? 200, { 'content-type': 'application/json', ...out.headers });
          reply.raw.end(JSON.stringify(out.body));
        } });
    }
    await app.listen({ host: '127.0.0.1', port: Number(ctx.env.KORA_WEB_PORT) });
  }, async stop() { await app?.close(); } });
} };`;

const FIXTURE = `export default { id: 'fixture', register(ctx) {
  ctx.registerTool({ name: 'weather', description: 'The weather in a city', mcp: true,
    inputSchema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
    run: (input) => ({ city: input.city, sky: 'clear' }) });
  ctx.registerTool({ name: 'engine_only', description: 'not for MCP', run: () => 'private' });
  ctx.registerDaemon({ name: 'fixture', start() {}, tasks: [{ name: 'fixture.tick', every: '1h', run: () => { console.log('TICK'); } }] });
} };`;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function project(): Project {
  const p = makeProject();
  projects.push(p);
  writeUserPlugin(p, 'adminhost', ADMIN_HOST, { hostApi: '^1.1.0' });
  writeUserPlugin(p, 'fixture', FIXTURE, { hostApi: '^1.1.0' });
  p.writeConfig('plugins:\n  enabled: [kora, fixture, mcp, adminhost]\n');
  return p;
}

async function connect(url: string, token: string): Promise<Client> {
  const client = new Client({ name: 'kora-e2e', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { Authorization: `Bearer ${token}` } } }));
  clients.push(client);
  return client;
}

const call = (client: Client, name: string, args: Record<string, unknown> = {}) => client.callTool({ name, arguments: args }) as Promise<CallToolResult>;

describe('the MCP server on a real gateway', () => {
  it('serves the dev token caller: lists tools, runs a task, reads it back, and request_stop ends the process with 0', async () => {
    const p = project();
    const port = await freePort();
    const gw = startKora(['daemon', '--dev'], p, { KORA_WEB_PORT: String(port) });
    running.push(gw);
    const tokenFile = join(p.home, 'mcp_token');
    const url = `http://127.0.0.1:${port}/mcp`;
    await gw.waitFor(`MCP ${url} (bearer token in ${tokenFile})`);
    const token = readFileSync(tokenFile, 'utf8').trim();
    const client = await connect(url, token);

    const names = (await client.listTools()).tools.map((t) => t.name);
    expect(names).toContain('kora__run_task');
    expect(names).toContain('weather');
    expect(names).not.toContain('engine_only');
    expect((await call(client, 'weather', { city: 'Lyon' })).structuredContent).toEqual({ city: 'Lyon', sky: 'clear' });

    const ran = await call(client, 'kora__run_task', { name: 'fixture.tick', wait: true });
    expect(ran.structuredContent).toMatchObject({ task: 'fixture.tick', run: { status: 'ok', trigger: 'manual' } });
    await gw.waitFor('TICK');
    const { tasks } = (await call(client, 'kora__list_tasks')).structuredContent as { tasks: { name: string; recentRuns: { trigger: string; status: string }[] }[] };
    expect(tasks.find((t) => t.name === 'fixture.tick')?.recentRuns).toMatchObject([{ trigger: 'manual', status: 'ok' }]);
    const audit = (await call(client, 'kora__audit_tail', { seam: 'operations.task_run' })).structuredContent as { entries: { details: Record<string, unknown> }[] };
    expect(audit.entries[0]?.details).toMatchObject({ task: 'fixture.tick', by: 'mcp:dev' });

    const status = (await call(client, 'kora__daemon_status')).structuredContent as { sessionId: string; daemons: { name: string; state: string }[] };
    expect(status.daemons.find((d) => d.name === 'mcp')).toMatchObject({ state: 'running' });
    const stale = await call(client, 'kora__request_stop', { confirm_token: 'not-this-session', actor: 'e2e' });
    expect(stale.isError).toBe(true);
    expect((await call(client, 'kora__request_stop', { confirm_token: status.sessionId, actor: 'e2e', reason: 'test over' })).structuredContent).toMatchObject({ stopping: true });
    expect((await gw.exited).code).toBe(0);

    const written = JSON.parse(readFileSync(join(p.home, 'run', 'status.json'), 'utf8')) as { shutdownReason: string };
    expect(written.shutdownReason).toBe('stop requested by mcp:dev: asked by e2e: test over');
    for (const text of [gw.stdout(), gw.stderr()]) expect(text).not.toContain(token);
  });

  it('answers 401 to a wrong token, and a gateway with no caller outside dev mode does not start (exit 1)', async () => {
    const p = project();
    const port = await freePort();
    const token = 'e2e-token-0123456789abcdef';
    const gw = startKora(['daemon'], p, { KORA_WEB_PORT: String(port), KORA_DEPLOY_ENV: 'e2e', KORA_MCP_BEARER_TOKEN: token });
    running.push(gw);
    const url = `http://127.0.0.1:${port}/mcp`;
    await gw.waitFor(`MCP ${url}`);
    const wrong = await fetch(url, { method: 'POST', headers: { authorization: 'Bearer not-the-token-0123', 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: '{"jsonrpc":"2.0","id":1,"method":"tools/list"}' });
    expect(wrong.status).toBe(401);
    expect((await (await connect(url, token)).listTools()).tools.length).toBeGreaterThan(7);
    gw.child.kill('SIGTERM');
    expect((await gw.exited).code).toBe(0);
    for (const text of [gw.stdout(), gw.stderr()]) expect(text).not.toContain(token);

    const closed = startKora(['daemon'], p, { KORA_WEB_PORT: String(port), KORA_DEPLOY_ENV: 'e2e' });
    running.push(closed);
    expect((await closed.exited).code).toBe(1);
    expect(closed.stderr() + closed.stdout()).toMatch(/no MCP caller is configured[\s\S]*KORA_MCP_BEARER_TOKEN[\s\S]*mcp_callers\.yaml/);
  });
});
