// The admin API of the proposals (contributed to `http.admin`, behind the admin token) and the UI
// page's form actions. `kora proposals` calls the API; the page posts the forms (with the
// session's CSRF token, checked by the web plugin). Every decision goes through the desk, which
// audits who decided: `web:<principal>` for the API and the UI, `cli` when the CLI says it asks.
import { KoraError, type HttpRoute, type HttpRouteRequest, type HttpRouteResponse } from '@kora/runtime';
import type { ProposalDesk } from './desk.js';
import { listQuery, proposalId, reasonOf } from './query.js';

const STATUS_OF: Record<string, { status: number; code: string }> = {
  KORA_ERR_PROPOSAL_UNKNOWN: { status: 404, code: 'proposal_unknown' },
  KORA_ERR_PROPOSAL_NOT_PENDING: { status: 409, code: 'proposal_not_pending' },
  KORA_ERR_USAGE: { status: 400, code: 'bad_request' },
};

export function failure(err: unknown): HttpRouteResponse {
  if (err instanceof KoraError && STATUS_OF[err.code]) {
    const { status, code } = STATUS_OF[err.code]!;
    return { status, body: { error: { code, message: err.message, kora: err.code } } };
  }
  throw err;
}

export function actorOf(request: HttpRouteRequest): string {
  const body = request.body as { via?: unknown } | undefined;
  // The CLI authenticates with the same admin token; it says so, and the audit row says `cli`.
  return body?.via === 'cli' ? 'cli' : `web:${request.principal || 'admin'}`;
}

export function proposalRoutes(desk: ProposalDesk): HttpRoute[] {
  const decide = (status: 'approved' | 'rejected'): HttpRoute => ({
    method: 'POST',
    path: `/api/proposals/:id/${status === 'approved' ? 'approve' : 'reject'}`,
    async handle(request) {
      try {
        const id = proposalId(request.params.id);
        const body = (request.body ?? {}) as { reason?: unknown };
        return { body: { proposal: await desk.decide(id, status, actorOf(request), reasonOf(body.reason)) } };
      } catch (err) {
        return failure(err);
      }
    },
  });
  return [
    {
      method: 'GET',
      path: '/api/proposals',
      async handle(request) {
        try {
          return { body: await desk.list(listQuery(request.query)) };
        } catch (err) {
          return failure(err);
        }
      },
    },
    {
      method: 'GET',
      path: '/api/proposals/:id',
      async handle(request) {
        try {
          const id = proposalId(request.params.id);
          const proposal = await desk.get(id);
          if (!proposal) throw new KoraError('KORA_ERR_PROPOSAL_UNKNOWN', `There is no proposal "${id}": \`kora proposals list\` shows their ids`, { id });
          return { body: { proposal } };
        } catch (err) {
          return failure(err);
        }
      },
    },
    decide('approved'),
    decide('rejected'),
  ];
}

/** The page's forms: decide, then 303 back to the page with what happened (a fixed message, never text from the request). */
export function proposalFormRoutes(desk: ProposalDesk): HttpRoute[] {
  return (['approve', 'reject'] as const).map((action) => ({
    method: 'POST' as const,
    path: `/proposals/:id/${action}`,
    async handle(request: HttpRouteRequest): Promise<HttpRouteResponse> {
      const params = new URLSearchParams();
      const body = (request.body ?? {}) as { reason?: unknown; back?: unknown };
      if (typeof body.back === 'string' && /^(pending|approved|rejected|expired|all)$/.test(body.back)) params.set('status', body.back);
      try {
        const id = proposalId(request.params.id);
        params.set('id', id);
        await desk.decide(id, action === 'approve' ? 'approved' : 'rejected', `web:${request.principal || 'admin'}`, reasonOf(body.reason));
        params.set('done', action === 'approve' ? 'approved' : 'rejected');
      } catch (err) {
        params.set('error', err instanceof KoraError ? err.code : 'failed');
        if (!(err instanceof KoraError)) throw err;
      }
      return { status: 303, headers: { location: `/proposals?${params.toString()}` } };
    },
  }));
}
