// The runtime's two HTTP extension points (DESIGN §2, §8): routes other plugins add to the admin
// server (`http.admin`, run by the `web` plugin on 127.0.0.1) and to the public receiver
// (`http.public`, run by `webhooks`). The shape is framework-free, so a contributing plugin
// depends on no HTTP library and the server that mounts it can change without breaking it.
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface HttpRouteRequest {
  readonly method: HttpMethod;
  /** The path as requested, without the query. */
  readonly path: string;
  /** `:name` segments of the route's path. */
  readonly params: Readonly<Record<string, string>>;
  readonly query: Readonly<Record<string, string | string[] | undefined>>;
  /** Lower-case names. */
  readonly headers: IncomingHttpHeaders;
  /** The parsed JSON body, or undefined when there is none. */
  readonly body: unknown;
  /** Who was authenticated: `admin` behind the admin token, or what the route's own `authenticate` returned. */
  readonly principal: string;
  /**
   * The Node request and response, for a handler that writes the reply itself (a stream, the MCP
   * transport). Such a handler returns `{ handled: true }` once it has taken the response over.
   */
  readonly raw: { readonly req: IncomingMessage; readonly res: ServerResponse };
}

/** A JSON reply (`body` is serialised), or the word that the handler wrote the response itself. */
export type HttpRouteResponse = { status?: number; headers?: Record<string, string>; body?: unknown } | { handled: true };

export interface HttpRoute {
  readonly method: HttpMethod | readonly HttpMethod[];
  /** Absolute, with `:name` segments for parameters, e.g. `/api/probes/:name`. */
  readonly path: string;
  /**
   * The route's own authentication, instead of the server's (the admin token on `http.admin`):
   * the MCP server's callers, say. Called with the headers before the body is read; a principal
   * (the caller's id) lets the request through, null answers 401 `{"error":{"code":"unauthorized"}}`.
   * Without it, the server's authentication applies.
   */
  authenticate?(headers: IncomingHttpHeaders): string | null | Promise<string | null>;
  /** A thrown error answers 500 with `{ "error": { "code": "internal_error" } }` and is logged with the contributing plugin. */
  handle(request: HttpRouteRequest): HttpRouteResponse | Promise<HttpRouteResponse>;
}

declare module './contributions.js' {
  interface ContributionMap {
    /** Routes on the admin server (the `web` daemon, 127.0.0.1:9119). */
    'http.admin': HttpRoute;
    /** Routes on the public receiver (the `webhooks` daemon, 0.0.0.0:9118). */
    'http.public': HttpRoute;
  }
}
