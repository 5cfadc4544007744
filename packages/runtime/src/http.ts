// @kora/runtime/http: the HTTP stack every surface builds on — Fastify and its official plugins
// — bundled once with the runtime. The admin server (`web`) and the webhook receiver
// (`webhooks`) share this one copy, loaded once, from one file, when the first of them starts;
// a gateway without an HTTP surface never loads it. A plugin's own server uses it the same way.
export { default as Fastify } from 'fastify';
export type { FastifyError, FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest, FastifyServerOptions, RouteOptions } from 'fastify';
export { default as fastifyCookie } from '@fastify/cookie';
export { default as fastifyFormbody } from '@fastify/formbody';
export { default as fastifyRateLimit } from '@fastify/rate-limit';
export { default as fastifyStatic } from '@fastify/static';
