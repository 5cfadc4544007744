// `GET /api/costs` on the admin API (contributed to `http.admin`, behind the admin token): the
// rung, the windows with their budgets and breakdown, the spend per day and model, the last
// resets. What `kora costs` prints and the Costs page draws.
import type { CostRungName, CostWindow, HttpRoute, HttpRouteResponse } from '@kora/runtime';
import type { TelemetryHolder } from './daemon.js';
import { DAEMON_NAME } from './daemon.js';
import type { DayCost, ResetRecord } from './telemetry.js';

export const MAX_DAYS = 366;

export interface CostsAnswer {
  /** When the windows were summed (epoch ms), null before the first sum. */
  readonly at: number | null;
  readonly rung: CostRungName;
  readonly windows: readonly CostWindow[];
  /** The highest rung each window reached since its last reset. */
  readonly peaks: Readonly<Record<string, CostRungName>>;
  readonly days: number;
  readonly daily: readonly DayCost[];
  readonly resets: readonly ResetRecord[];
}

function failure(status: number, code: string, message: string): HttpRouteResponse {
  return { status, body: { error: { code, message } } };
}

export async function costsAnswer(holder: TelemetryHolder, days: number): Promise<CostsAnswer | null> {
  const t = holder.current;
  if (!t) return null;
  const [daily, resets] = await Promise.all([t.days(days), t.resets(10)]);
  return { at: t.computedAt(), rung: t.current(), windows: t.windows(), peaks: t.peaks(), days, daily, resets };
}

export function parseDays(raw: string | string[] | undefined, fallback: number): number | string {
  const days = raw === undefined ? fallback : Array.isArray(raw) ? Number.NaN : Number(raw);
  if (!Number.isSafeInteger(days) || days < 1 || days > MAX_DAYS) return `days must be a whole number from 1 to ${MAX_DAYS} (got ${JSON.stringify(raw)})`;
  return days;
}

export function costsRoute(holder: TelemetryHolder, chartDays: number): HttpRoute {
  return {
    method: 'GET',
    path: '/api/costs',
    async handle(request) {
      const days = parseDays(request.query.days, chartDays);
      if (typeof days === 'string') return failure(400, 'bad_request', days);
      const answer = await costsAnswer(holder, days);
      if (!answer) return failure(503, 'telemetry_unavailable', `The cost telemetry is not running: its daemon ${DAEMON_NAME} has not started (see \`kora status\` for its error)`);
      return { status: 200, body: answer };
    },
  };
}
