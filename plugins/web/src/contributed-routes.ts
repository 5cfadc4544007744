// Mounting the `http.admin` contributions (the runtime's HttpRoute, framework-free) on the admin
// server. A route without `authenticate` sits behind the admin auth; one with it is judged by
// it in onRequest, before Fastify reads the body. A handler that takes the raw response over
// (a stream, the MCP transport) gets it hijacked from Fastify on first touch.
import type { FastifyInstance, FastifyReply, FastifyRequest } from '@kora/runtime/http';
import type { Contribution, HttpMethod, HttpRoute, HttpRouteRequest, HttpRouteResponse, Logger } from '@kora/runtime';
import type { RouteConfig } from './auth.js';
import { errorBody, sendError } from './errors.js';

export const ROUTE_POINT = 'http.admin';
const METHODS: readonly HttpMethod[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];
const SEGMENT = '(?:[A-Za-z0-9._~-]+|:[A-Za-z_][A-Za-z0-9_]*)';
const PATH_RE = new RegExp(`^(?:/${SEGMENT})+$`);

/** Thrown for a contribution the server cannot mount; the daemon's start fails with it. */
export class RouteMountError extends Error {}

export interface PlannedRoute {
  readonly pluginId: string;
  readonly route: HttpRoute;
  readonly methods: readonly HttpMethod[];
}

/** A route's identity for clashes: parameter names do not matter (`/a/:x` is `/a/:y`). */
export function routeKey(method: string, path: string): string {
  return `${method} ${path.replace(/:[A-Za-z_][A-Za-z0-9_]*/g, ':')}`;
}

/**
 * Check every contribution before anything is mounted: a valid path and methods, a handler,
 * and no clash with another contribution or with the server's own routes (`taken`: key → owner).
 */
export function planRoutes(contributions: readonly Contribution<'http.admin'>[], taken: Map<string, string>): PlannedRoute[] {
  const planned: PlannedRoute[] = [];
  for (const { pluginId, value: route } of contributions) {
    const what = `the http.admin route ${JSON.stringify(route?.path)} of plugin "${pluginId}"`;
    if (typeof route?.path !== 'string' || !PATH_RE.test(route.path)) {
      throw new RouteMountError(`${what} needs an absolute path of plain segments and :params (e.g. /api/probes/:name)`);
    }
    if (route.path === '/assets' || route.path.startsWith('/assets/')) throw new RouteMountError(`${what} is under /assets/, which serves the UI's files`);
    const methods = (Array.isArray(route.method) ? route.method : [route.method]) as HttpMethod[];
    if (methods.length === 0 || methods.some((m) => !METHODS.includes(m))) {
      throw new RouteMountError(`${what} has method ${JSON.stringify(route.method)}; use ${METHODS.join(', ')}`);
    }
    if (typeof route.handle !== 'function') throw new RouteMountError(`${what} has no handle() function`);
    if (route.authenticate !== undefined && typeof route.authenticate !== 'function') throw new RouteMountError(`${what} has an authenticate that is not a function`);
    for (const method of new Set(methods)) {
      const key = routeKey(method, route.path);
      const owner = taken.get(key);
      if (owner) throw new RouteMountError(`${what} claims ${method} ${route.path}, already served by ${owner}`);
      taken.set(key, `plugin "${pluginId}"`);
    }
    planned.push({ pluginId, route, methods: [...new Set(methods)] });
  }
  return planned;
}

export function mountRoutes(app: FastifyInstance, planned: readonly PlannedRoute[], log: Logger): void {
  for (const { pluginId, route, methods } of planned) {
    const name = `${methods.join('|')} ${route.path}`;
    const failed = (err: unknown, stage: string) => log.error({ err, plugin: pluginId, route: name }, `http.admin route ${name} of plugin "${pluginId}" failed in ${stage}`);
    const config: RouteConfig = { auth: route.authenticate ? 'own' : 'admin', json: true };
    app.route({
      method: [...methods],
      url: route.path,
      config,
      // HEAD is not in HttpMethod: a contributed GET must not be called with a method it does not know.
      exposeHeadRoute: false,
      // The route's own authentication, before the body is read: a refused caller costs no parse.
      onRequest: route.authenticate
        ? async function authenticateContributed(request: FastifyRequest, reply: FastifyReply) {
            let principal: string | null;
            try {
              principal = await route.authenticate!(request.headers);
            } catch (err) {
              failed(err, 'authenticate()');
              return sendError(reply, 500, 'internal_error', `the route's authentication failed; see the gateway log`);
            }
            if (typeof principal !== 'string' || principal.length === 0) return sendError(reply, 401, 'unauthorized', 'this route needs valid credentials');
            request.auth = { principal, via: 'route', session: null };
          }
        : undefined,
      handler: async function contributedRoute(request, reply) {
        let hijacked = false;
        const takeOver = () => {
          if (!hijacked) {
            hijacked = true;
            reply.hijack();
          }
        };
        const input: HttpRouteRequest = {
          method: request.method as HttpMethod,
          path: request.url.split('?', 1)[0] ?? request.url,
          params: request.params as Record<string, string>,
          query: request.query as Record<string, string | string[] | undefined>,
          headers: request.headers,
          body: request.body,
          principal: request.auth?.principal ?? '',
          raw: {
            req: request.raw,
            // Touching the response means writing it: Fastify must not write it too.
            get res() {
              takeOver();
              return reply.raw;
            },
          },
        };
        let response: HttpRouteResponse;
        try {
          response = await route.handle(input);
        } catch (err) {
          failed(err, 'handle()');
          if (hijacked) return writeRaw(reply, 500, {}, errorBody('internal_error', 'the route failed; see the gateway log'));
          return sendError(reply, 500, 'internal_error', 'the route failed; see the gateway log');
        }
        if (response && 'handled' in response && response.handled === true) {
          takeOver();
          return;
        }
        const { status = 200, headers = {}, body } = (response ?? {}) as { status?: number; headers?: Record<string, string>; body?: unknown };
        if (hijacked) return writeRaw(reply, status, headers, body);
        reply.code(status).headers(headers);
        if (body === undefined) return reply.send();
        return reply.type('application/json; charset=utf-8').send(JSON.stringify(body));
      },
    });
  }
}

/** For a handler that touched the raw response and still returned a reply: write it there, if it can still be. */
function writeRaw(reply: FastifyReply, status: number, headers: Record<string, string>, body: unknown): void {
  const res = reply.raw;
  if (res.headersSent || res.writableEnded) {
    if (!res.writableEnded) res.end();
    return;
  }
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json; charset=utf-8' }) });
  res.end(text);
}
