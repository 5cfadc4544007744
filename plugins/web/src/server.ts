// The admin server's Fastify app: the admin API, the UI and its assets, /healthz, and every
// `http.admin` route and `web.page` other plugins contribute. Auth runs first for everything
// but /healthz and the login routes; a cookie-carried change must also pass the CSRF check.
import { fastifyCookie as cookie } from '@kora/runtime/http';
import { fastifyFormbody as formbody } from '@kora/runtime/http';
import { fastifyStatic } from '@kora/runtime/http';
import { Fastify, type FastifyInstance } from '@kora/runtime/http';
import type { Clock, Contribution, GatewayOperations, GatewayView, Logger } from '@kora/runtime';
import { registerApi } from './api.js';
import { ASSETS_DIR, loadLoginAssets, PAGE_CSP } from './assets.js';
import { authenticate, csrfRefusal, routeConfig, wantsJson } from './auth.js';
import { mountRoutes, planRoutes, routeKey } from './contributed-routes.js';
import { BadRequest, operationStatus, sendError } from './errors.js';
import { sendLoginPage, registerLogin } from './login.js';
import type { SessionStore } from './sessions.js';
import { registerUi, sendPage } from './ui.js';

export interface AdminServerDeps {
  readonly gateway: GatewayView;
  readonly operations: GatewayOperations;
  readonly clock: Clock;
  readonly log: Logger;
  readonly matches: (token: string | undefined) => boolean;
  readonly sessions: SessionStore;
  readonly routes: readonly Contribution<'http.admin'>[];
  readonly pages: readonly Contribution<'web.page'>[];
  readonly assetsDir?: string;
}

/** Largest request body (JSON or form) in bytes; larger is 413. */
const BODY_LIMIT = 1024 * 1024;

/** Builds the app; throws RouteMountError for a contribution it cannot mount. */
export async function buildAdminServer(deps: AdminServerDeps): Promise<FastifyInstance> {
  const assetsDir = deps.assetsDir ?? ASSETS_DIR;
  const loginAssets = loadLoginAssets(assetsDir);
  const app = Fastify({ logger: false, bodyLimit: BODY_LIMIT, return503OnClosing: true, forceCloseConnections: true });
  app.decorateRequest('auth', null);

  await app.register(cookie);
  await app.register(formbody, { bodyLimit: BODY_LIMIT });

  // Every route this server owns, so a contribution that would shadow one is refused by name.
  const taken = new Map<string, string>();
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) taken.set(routeKey(String(method), route.url), 'the admin server');
  });

  app.addHook('onRequest', async (request, reply) => {
    const config = routeConfig(request);
    if (config.auth === 'none' || config.auth === 'own') return;
    const auth = authenticate(request, deps.matches, deps.sessions);
    if (auth) {
      request.auth = auth;
      return;
    }
    if (wantsJson(request)) {
      return sendError(reply.header('www-authenticate', 'Bearer realm="kora-admin"'), 401, 'unauthorized', 'send Authorization: Bearer <KORA_ADMIN_TOKEN>, or log in at /login');
    }
    return sendLoginPage(reply, loginAssets, 401);
  });

  app.addHook('preHandler', async (request, reply) => {
    const refused = csrfRefusal(request);
    if (!refused) return;
    if (wantsJson(request)) return sendError(reply, 403, 'csrf_failed', refused);
    return sendPage(reply, 403, { title: 'Refused', path: '', nav: [{ path: '/', title: 'Overview' }], csrf: request.auth?.session?.csrf ?? '', content: '', flash: { kind: 'error', text: refused } });
  });

  app.addHook('onSend', async (request, reply, payload) => {
    reply.header('x-content-type-options', 'nosniff');
    // Not no-referrer: under it a browser sends `Origin: null` with every form post, and the CSRF check needs the origin.
    reply.header('referrer-policy', 'same-origin');
    reply.header('x-frame-options', 'DENY');
    if (!request.url.startsWith('/assets/')) reply.header('cache-control', 'no-store');
    const type = String(reply.getHeader('content-type') ?? '');
    if (type.startsWith('text/html') && !reply.hasHeader('content-security-policy')) reply.header('content-security-policy', PAGE_CSP);
    return payload;
  });

  app.setErrorHandler(async (error: { statusCode?: number; code?: string; message: string }, request, reply) => {
    const status = operationStatus(error);
    if (status !== undefined) return sendError(reply, status, (error as { code: string }).code, error.message);
    if (error instanceof BadRequest) return sendError(reply, 400, 'bad_request', error.message);
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return sendError(reply, 413, 'payload_too_large', `the body is larger than ${BODY_LIMIT} bytes`);
    if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return sendError(reply, 415, 'unsupported_media_type', 'send application/json (or a form)');
    if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) return sendError(reply, error.statusCode, 'bad_request', error.message);
    deps.log.error({ err: error, route: request.routeOptions.url }, 'admin request failed');
    return sendError(reply, 500, 'internal_error', 'the request failed; see the gateway log');
  });

  app.setNotFoundHandler((request, reply) => {
    if (wantsJson(request)) return sendError(reply, 404, 'not_found', `no route ${request.method} ${request.url.split('?', 1)[0]}`);
    return sendPage(reply, 404, { title: 'Not found', path: '', nav: [{ path: '/', title: 'Overview' }], csrf: request.auth?.session?.csrf ?? '', content: '<p>There is no such page.</p>' });
  });

  app.get('/healthz', { config: { auth: 'none' } }, () => ({ status: 'ok' }));
  await app.register(fastifyStatic, { root: assetsDir, prefix: '/assets/', index: false, list: false, dotfiles: 'deny', maxAge: 3_600_000 });
  registerLogin(app, { assets: loginAssets, sessions: deps.sessions, matches: deps.matches });
  registerApi(app, { gateway: deps.gateway, operations: deps.operations });
  registerUi(app, { gateway: deps.gateway, operations: deps.operations, clock: deps.clock, log: deps.log, pages: deps.pages }, taken);
  mountRoutes(app, planRoutes(deps.routes, taken), deps.log);
  return app;
}
