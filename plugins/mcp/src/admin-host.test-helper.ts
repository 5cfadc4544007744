// A small stand-in for the web plugin's admin server, for the mcp plugin's unit tests: Fastify on
// 127.0.0.1, every `http.admin` contribution mounted with its own `authenticate` in onRequest
// (before the body is read) and its `handle` behind reply.hijack(), as the contract says.
import { Fastify, type FastifyInstance } from '@kora/runtime/http';
import type { AddressInfo } from 'node:net';
import type { Contributions, HttpMethod, HttpRoute } from '@kora/runtime';

export interface AdminHost {
  readonly origin: string;
  /** Requests whose route `handle` ran (after authentication). */
  readonly handled: () => number;
  close(): Promise<void>;
}

export async function startAdminHost(contributions: Contributions): Promise<AdminHost> {
  const app: FastifyInstance = Fastify({ logger: false });
  let handled = 0;
  for (const { value: route } of contributions.list('http.admin')) mount(app, route, () => handled++);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;
  return { origin: `http://127.0.0.1:${port}`, handled: () => handled, close: () => app.close() };
}

function mount(app: FastifyInstance, route: HttpRoute, count: () => void): void {
  const methods = (Array.isArray(route.method) ? route.method : [route.method]) as HttpMethod[];
  app.route({
    method: methods,
    url: route.path,
    async onRequest(request, reply) {
      const principal = route.authenticate ? await route.authenticate(request.headers) : 'admin';
      if (principal === null) return reply.code(401).send({ error: { code: 'unauthorized' } });
      (request as unknown as { principal: string }).principal = principal;
    },
    async handler(request, reply) {
      count();
      reply.hijack();
      const res = reply.raw;
      try {
        const out = await route.handle({
          method: request.method as HttpMethod,
          path: request.url.split('?')[0] ?? request.url,
          params: request.params as Record<string, string>,
          query: request.query as Record<string, string>,
          headers: request.headers,
          body: request.body,
          principal: (request as unknown as { principal: string }).principal,
          raw: { req: request.raw, res },
        });
        if ('handled' in out) return;
        res.writeHead(out.status ?? 200, { 'content-type': 'application/json', ...out.headers });
        res.end(out.body === undefined ? '' : JSON.stringify(out.body));
      } catch {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { code: 'internal_error' } }));
      }
    },
  });
}
