// The admin API (JSON): the gateway's status and its parts, a task run now, the audit log paged
// back from the newest, dead letters replayed or discarded, a stop. Every operation goes through
// ctx.operations with the actor `web:admin`, so the audit log says it came from here.
import type { FastifyInstance } from '@kora/runtime/http';
import type { GatewayOperations, GatewayView } from '@kora/runtime';
import { BadRequest, sendError } from './errors.js';
import { auditPage, auditQuery, inboxTopics, positiveInt, runLimit, single, tasksWithRuns } from './views.js';
import type { RouteConfig } from './auth.js';

export const ACTOR = { actor: 'web:admin' } as const;

export interface ApiDeps {
  readonly gateway: GatewayView;
  readonly operations: GatewayOperations;
}

const json: RouteConfig = { json: true };

export function registerApi(app: FastifyInstance, deps: ApiDeps): void {
  const { gateway, operations } = deps;

  app.get('/api/status', { config: json }, () => gateway.status());
  app.get('/api/daemons', { config: json }, () => ({ daemons: gateway.status().daemons }));
  app.get('/api/plugins', { config: json }, () => ({ plugins: gateway.status().plugins }));
  app.get('/api/identity', { config: json }, () => {
    const status = gateway.status();
    return { identity: status.identity, sessionId: status.sessionId };
  });
  app.get('/api/tasks', { config: json }, async (request) => ({ tasks: await tasksWithRuns(gateway, runLimit(request.query as Record<string, unknown>)) }));

  app.post<{ Params: { name: string }; Querystring: Record<string, unknown> }>('/api/tasks/:name/run', { config: json }, async (request, reply) => {
    const run = await operations.runTask(request.params.name, ACTOR);
    const wait = single(request.query.wait);
    if (wait === '1' || wait === 'true') return reply.code(200).send(await run.done);
    // The run goes on; its ledger row settles it. An unobserved rejection must not go unhandled.
    run.done.catch(() => undefined);
    return reply.code(202).send({ task: run.task, daemon: run.daemon, slot: run.slot });
  });

  app.get('/api/audit', { config: json }, async (request) => auditPage(gateway, auditQuery(request.query as Record<string, unknown>)));

  app.get('/api/inbox', { config: json }, async () => ({ topics: await inboxTopics(gateway, operations) }));
  // The fleet from the store: every gateway sharing it, its heartbeat, and the leader.
  app.get('/api/fleet', { config: json }, () => gateway.fleet());
  app.get<{ Querystring: Record<string, unknown> }>('/api/inbox/dead', { config: json }, async (request) => {
    const topic = single(request.query.topic)?.trim();
    const limitText = single(request.query.limit);
    const limit = limitText ? positiveInt('limit', limitText, 500) : 100;
    return { deadLetters: await operations.inbox.dead({ ...(topic ? { topic } : {}), limit }) };
  });
  for (const action of ['replay', 'discard'] as const) {
    app.post<{ Params: { id: string } }>(`/api/inbox/dead/:id/${action}`, { config: json }, async (request, reply) => {
      const id = deadLetterId(request.params.id);
      const done = await operations.inbox[action](id, ACTOR);
      if (!done) return sendError(reply, 404, 'not_found', `no dead letter ${id}: it was replayed, discarded or never dead (GET /api/inbox/dead lists them)`);
      return { id, [action === 'replay' ? 'replayed' : 'discarded']: true };
    });
  }

  app.post('/api/stop', { config: json }, async (request, reply) => {
    const body = request.body as { reason?: unknown } | undefined;
    const reason = body && typeof body === 'object' && typeof body.reason === 'string' ? body.reason : undefined;
    await operations.requestStop({ ...ACTOR, ...(reason ? { reason } : {}) });
    return reply.code(202).send({ stopping: true });
  });
}

export function deadLetterId(text: string): number {
  if (!/^\d+$/.test(text)) throw new BadRequest(`${JSON.stringify(text)} is not a dead letter id (a whole number)`);
  return Number(text);
}
