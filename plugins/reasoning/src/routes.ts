// The engine's admin API (contributed to `http.admin`, mounted by the `web` plugin behind the
// admin token): `POST /api/ask` asks the running engine for one reply on the `cli` route, and
// `GET /api/usage` sums the usage rows per day and model. Both are what `kora ask` and
// `kora usage` call; errors are `{ error: { code, message } }` with the status saying who is at fault.
import { randomUUID } from 'node:crypto';
import { KoraError, z, type HttpRoute, type HttpRouteResponse, type PluginContext } from '@kora/runtime';
import { CREDENTIAL_ENVS } from './errors.js';
import { DAEMON_NAME } from './daemon.js';
import { DAY_MS, usageLedger } from './usage.js';

export const ASK_ROUTE = 'cli';
/** `kora usage --days` at most: a year of rows, per day and model, is still a short answer. */
export const MAX_USAGE_DAYS = 366;

const askBody = z.object({
  message: z.string().trim().min(1, 'message must be a non-empty string'),
  // The turns table keys conversations by varchar(512).
  conversation: z.string().trim().min(1).max(512).optional(),
});

export function failure(status: number, code: string, message: string, extra: Record<string, unknown> = {}): HttpRouteResponse {
  return { status, body: { error: { code, message, ...extra } } };
}

/** The engine's coded failures, as the HTTP status that says whose fault it is. */
const ENGINE_FAILURES: Partial<Record<string, { status: number; code: string }>> = {
  KORA_ERR_REASONING_API: { status: 502, code: 'engine_api' },
  KORA_ERR_REASONING_MAX_CALLS: { status: 502, code: 'engine_max_calls' },
  KORA_ERR_REASONING_TIMEOUT: { status: 504, code: 'engine_timeout' },
  KORA_ERR_REASONING_REFUSED: { status: 409, code: 'refused' },
  KORA_ERR_REASONING_ABORTED: { status: 503, code: 'engine_stopped' },
};

export function askRoute(ctx: PluginContext<unknown>): HttpRoute {
  return {
    method: 'POST',
    path: '/api/ask',
    async handle(request) {
      const parsed = askBody.safeParse(request.body ?? {});
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        return failure(400, 'bad_request', `The body must be JSON { "message": "…", "conversation"?: "…" }: ${issue ? `${issue.path.join('.') || 'body'}: ${issue.message}` : 'invalid'}`);
      }
      const engine = ctx.services.tryGet('engine');
      if (!engine) {
        const [oauth, koraKey, key] = CREDENTIAL_ENVS;
        return failure(
          503,
          'engine_unavailable',
          `The reasoning engine is not running: its daemon ${DAEMON_NAME} has not started (see \`kora status\` for its error). ` +
            `Usually no Anthropic credential is set: set ${oauth} (preferred), or ${koraKey} or ${key}, in the gateway's environment and restart the gateway.`,
        );
      }
      const conversation = parsed.data.conversation ?? `cli:${randomUUID()}`;
      try {
        const reply = await engine.respond({ route: ASK_ROUTE, conversation, messages: [{ role: 'user', content: parsed.data.message }], metadata: { principal: request.principal } });
        return { status: 200, body: { reply: reply.text, conversation, model: reply.model, calls: reply.calls, usage: reply.usage } };
      } catch (err) {
        const known = err instanceof KoraError ? ENGINE_FAILURES[err.code] : undefined;
        if (!known || !(err instanceof KoraError)) throw err;
        // A refusal is the budget speaking to the person: its own message, not the engine's wrapper.
        const reason = err.code === 'KORA_ERR_REASONING_REFUSED' && typeof err.details.reason === 'string' ? err.details.reason : err.message;
        return failure(known.status, known.code, reason, { kora: err.code, conversation });
      }
    },
  };
}

export interface UsageDay {
  /** UTC day, `YYYY-MM-DD`. */
  readonly day: string;
  readonly model: string;
  readonly calls: number;
  /** Calls whose outcome was not `ok` (failed, timed out, cancelled). */
  readonly failed: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cacheReadTokens: number;
  readonly cacheWriteTokens: number;
  readonly costUsd: number;
}

/** Usage rows since the start of the UTC day `days - 1` days before `now`, summed per day and model, oldest first. */
export async function usageByDay(db: PluginContext['db'], now: number, days: number): Promise<UsageDay[]> {
  const since = (Math.floor(now / DAY_MS) - (days - 1)) * DAY_MS;
  // The usage service's sums by day, model and route, summed again over the routes.
  const totals = await usageLedger(db).totals({ since, until: Number.MAX_SAFE_INTEGER, byDay: true });
  const byKey = new Map<string, { -readonly [K in keyof UsageDay]: UsageDay[K] }>();
  for (const t of totals) {
    const key = `${t.day}\u0000${t.model}`;
    const sum = byKey.get(key) ?? { day: t.day!, model: t.model, calls: 0, failed: 0, inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, costUsd: 0 };
    sum.calls += t.calls;
    sum.failed += t.failed;
    sum.inputTokens += t.inputTokens;
    sum.outputTokens += t.outputTokens;
    sum.cacheReadTokens += t.cacheReadTokens;
    sum.cacheWriteTokens += t.cacheWriteTokens;
    sum.costUsd += t.costUsd;
    byKey.set(key, sum);
  }
  return [...byKey.values()].sort((a, b) => (a.day === b.day ? (a.model < b.model ? -1 : a.model > b.model ? 1 : 0) : a.day < b.day ? -1 : 1));
}

export function usageRoute(ctx: PluginContext<unknown>): HttpRoute {
  return {
    method: 'GET',
    path: '/api/usage',
    async handle(request) {
      const raw = request.query.days;
      const days = raw === undefined ? 7 : Array.isArray(raw) ? Number.NaN : Number(raw);
      if (!Number.isSafeInteger(days) || days < 1 || days > MAX_USAGE_DAYS) {
        return failure(400, 'bad_request', `days must be a whole number from 1 to ${MAX_USAGE_DAYS} (got ${JSON.stringify(raw)})`);
      }
      const rows = await usageByDay(ctx.db, ctx.clock.now(), days);
      const total = rows.reduce((t, r) => ({ calls: t.calls + r.calls, costUsd: t.costUsd + r.costUsd }), { calls: 0, costUsd: 0 });
      return { status: 200, body: { days, rows, total } };
    },
  };
}
