// The public receiver's Fastify app: one POST route per webhook source under /api/webhooks/,
// /healthz, and nothing else. Bodies stay raw Buffers (signatures cover the bytes as sent) and
// are parsed as JSON only once verified. Every refusal is audited without its body.
import { Fastify, type FastifyInstance, type FastifyReply, type FastifyRequest } from '@kora/runtime/http';
import { InboxError, type Clock, type InboxMessage, type Logger } from '@kora/runtime';
import type { ListenOptions } from './config.js';
import { FixedWindowLimiter, senderOf } from './rate-limit.js';
import { isRejection, type WebhookRejection, type WebhookRequest, type WebhookSource } from './source.js';

export const ROUTE_PREFIX = '/api/webhooks/';
export const REJECTED_SEAM = 'webhooks.rejected';
const PATH_RE = /^[a-z0-9][a-z0-9_-]*(\/[a-z0-9][a-z0-9_-]*)*$/;
/** Kept of a signature in the audit log: enough to tell two apart, not enough to replay one. */
const SIGNATURE_PREFIX = 12;
const AUDITED_HEADERS = ['content-type', 'content-length', 'user-agent'];

export interface ReceiverDeps {
  readonly sources: readonly WebhookSource[];
  readonly options: ListenOptions;
  readonly clock: Clock;
  readonly log: Logger;
  enqueue(message: InboxMessage): Promise<{ id: number; duplicate: boolean }>;
  audit(seam: string, details: Record<string, unknown>): Promise<void>;
}

/** Thrown by `buildReceiver` for a source it cannot mount; the daemon's start fails with it. */
export class SourceMountError extends Error {}

export async function buildReceiver(deps: ReceiverDeps): Promise<FastifyInstance> {
  const byRoute = mountable(deps.sources);
  const app = Fastify({ logger: false, bodyLimit: deps.options.bodyLimit });

  // Every content type is kept as bytes: the JSON parse happens after verification, in the route.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  // Before the body is read; not audited: the limit exists to bound what a flood can write.
  const limiter = new FixedWindowLimiter({ max: deps.options.rateLimit.max, windowMs: deps.options.rateLimit.timeWindow, clock: deps.clock });
  const limit = (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
    const waitMs = limiter.take(senderOf(request.ip));
    if (waitMs === 0) return done();
    void reply.code(429).header('retry-after', String(Math.ceil(waitMs / 1000))).send({ error: 'rate_limited' });
  };

  const refuse = async (request: FastifyRequest, reply: FastifyReply, rejection: WebhookRejection, size: number | null) => {
    const route = request.routeOptions.url ?? request.url;
    const details = { route, reason: rejection.reason, status: rejection.status, ip: request.ip, size, headers: auditedHeaders(request, byRoute.get(route)) };
    await deps.audit(REJECTED_SEAM, details).catch((err: unknown) => deps.log.warn({ err, route, reason: rejection.reason }, 'a rejected webhook request could not be audited'));
    return reply.code(rejection.status).send({ error: rejection.reason });
  };

  app.setErrorHandler(async (error: { statusCode?: number; code?: string; message: string }, request, reply) => {
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return refuse(request, reply, { reason: 'body_too_large', status: 413 }, declaredSize(request));
    if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
      return refuse(request, reply, { reason: 'bad_request', status: error.statusCode }, declaredSize(request));
    }
    deps.log.error({ err: error, route: request.routeOptions.url }, 'webhook request failed');
    return reply.code(500).send({ error: 'internal_error' });
  });
  app.setNotFoundHandler((_request, reply) => reply.code(404).send({ error: 'not_found' }));

  app.get('/healthz', () => ({ status: 'ok' }));

  for (const [route, source] of byRoute) {
    app.post(route, { onRequest: limit }, async (request, reply) => {
      const rawBody = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const webhook: WebhookRequest = { rawBody, headers: request.headers, now: deps.clock.now() };
      const failure = source.verify(webhook);
      if (failure) return refuse(request, reply, failure, rawBody.length);
      let body: unknown;
      try {
        body = JSON.parse(rawBody.toString('utf8'));
      } catch {
        return refuse(request, reply, { reason: 'malformed_json', status: 400 }, rawBody.length);
      }
      const outcome = source.toOutcome(body, webhook);
      if (isRejection(outcome)) return refuse(request, reply, outcome, rawBody.length);
      if ('reply' in outcome) return reply.code(200).send(outcome.reply);
      try {
        // Kept before the 200: a sender that got its 200 never has to send the item again.
        const { duplicate } = await deps.enqueue(outcome.item);
        if (duplicate) deps.log.debug({ topic: outcome.item.topic, key: outcome.item.key }, 'webhook item already in the inbox');
      } catch (err) {
        if (err instanceof InboxError && (err.code === 'KORA_ERR_INBOX_INVALID' || err.code === 'KORA_ERR_INBOX_PAYLOAD')) {
          return refuse(request, reply, { reason: 'inbox_item_invalid', status: 400 }, rawBody.length);
        }
        // No 200, so the sender retries later; the store is what is wrong, not the request.
        deps.log.error({ err, route }, 'a verified webhook item could not be kept in the inbox');
        return reply.code(503).send({ error: 'inbox_unavailable' });
      }
      return reply.code(200).send({ ok: true });
    });
  }
  return app;
}

function mountable(sources: readonly WebhookSource[]): Map<string, WebhookSource> {
  const byRoute = new Map<string, WebhookSource>();
  for (const source of sources) {
    if (typeof source?.path !== 'string' || !PATH_RE.test(source.path) || typeof source.verify !== 'function' || typeof source.toOutcome !== 'function') {
      throw new SourceMountError(`a webhooks.source contribution needs a path of lower-case words joined by "/" (got ${JSON.stringify(source?.path)}), verify() and toOutcome()`);
    }
    const route = ROUTE_PREFIX + source.path;
    if (byRoute.has(route)) throw new SourceMountError(`two webhooks.source contributions claim ${route}`);
    byRoute.set(route, source);
  }
  return byRoute;
}

function declaredSize(request: FastifyRequest): number | null {
  const length = Number(request.headers['content-length']);
  return Number.isFinite(length) ? length : null;
}

function auditedHeaders(request: FastifyRequest, source: WebhookSource | undefined): Record<string, string> {
  const kept: Record<string, string> = {};
  const keep = (name: string, truncate: boolean) => {
    const raw = request.headers[name];
    const value = Array.isArray(raw) ? raw.join(', ') : raw;
    if (value === undefined) return;
    kept[name] = truncate && value.length > SIGNATURE_PREFIX ? `${value.slice(0, SIGNATURE_PREFIX)}…` : value.slice(0, 256);
  };
  for (const name of [...AUDITED_HEADERS, ...(source?.auditHeaders ?? [])]) keep(name.toLowerCase(), false);
  for (const name of source?.signatureHeaders ?? []) keep(name.toLowerCase(), true);
  return kept;
}
