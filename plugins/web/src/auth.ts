// Who is asking: the admin token as a bearer, or a UI session cookie got by logging in with it.
// Runs in onRequest, before any body is read, for every route but the few marked otherwise.
// Cookie-carried requests that change state must also pass the CSRF check (preHandler, once a
// form body is parsed): same origin when the browser says, and the session's CSRF token.
import type { FastifyRequest } from '@kora/runtime/http';
import { csrfMatches, SESSION_COOKIE, type Session, type SessionStore } from './sessions.js';

/** How a route is protected: the admin auth (default), its own (`authenticate`), or none. */
export type RouteAuth = 'admin' | 'own' | 'none';

export interface RouteConfig {
  readonly auth?: RouteAuth;
  /** Answers JSON (the API, contributed routes) rather than HTML pages. */
  readonly json?: boolean;
}

export interface Auth {
  readonly principal: string;
  readonly via: 'bearer' | 'session' | 'route';
  readonly session: Session | null;
}

declare module 'fastify' {
  interface FastifyRequest {
    auth: Auth | null;
  }
  interface FastifyContextConfig {
    /** How the route is protected (default: the admin auth). */
    auth?: RouteAuth;
    /** Answers JSON rather than HTML pages. */
    json?: boolean;
  }
}

export const ADMIN_PRINCIPAL = 'admin';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function routeConfig(request: FastifyRequest): RouteConfig {
  return (request.routeOptions.config ?? {}) as RouteConfig;
}

/** Answers JSON: the API, a contributed route, or any path under /api/ (a 404 too). */
export function wantsJson(request: FastifyRequest): boolean {
  return routeConfig(request).json === true || request.url.startsWith('/api/') || request.url === '/api';
}

export function bearerOf(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  const match = typeof header === 'string' ? /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header) : null;
  return match?.[1];
}

export function authenticate(request: FastifyRequest, matches: (token: string | undefined) => boolean, sessions: SessionStore): Auth | null {
  if (request.headers.authorization !== undefined) {
    // A request that sends a bearer is judged on it alone: a wrong token is not rescued by a cookie.
    return matches(bearerOf(request)) ? { principal: ADMIN_PRINCIPAL, via: 'bearer', session: null } : null;
  }
  const session = sessions.touch(request.cookies[SESSION_COOKIE]);
  return session ? { principal: ADMIN_PRINCIPAL, via: 'session', session } : null;
}

/** Why a cookie-carried, state-changing request is refused; null when it may go on. */
export function csrfRefusal(request: FastifyRequest): string | null {
  const auth = request.auth;
  if (!auth || auth.via !== 'session' || SAFE_METHODS.has(request.method)) return null;
  const origin = sameOriginRefusal(request);
  if (origin) return origin;
  const body = request.body as Record<string, unknown> | undefined;
  const candidate = request.headers['x-csrf-token'] ?? (body && typeof body === 'object' ? body._csrf : undefined);
  return auth.session && csrfMatches(auth.session, candidate) ? null : 'the form is missing its CSRF token or it is stale: reload the page and try again';
}

/** A browser names the page a request came from: it must be this server. */
export function sameOriginRefusal(request: FastifyRequest): string | null {
  const origin = request.headers.origin;
  if (origin !== undefined && origin !== 'null' && origin !== `http://${request.headers.host}` && origin !== `https://${request.headers.host}`) {
    return `a request from ${origin} may not act on this server`;
  }
  if (origin === 'null') return 'a request from an opaque origin may not act on this server';
  const site = request.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return `a ${String(site)} request may not act on this server`;
  return null;
}
