// `kora costs`: the telemetry plugin's GET /api/costs from the CLI (admin-client.ts): the cost
// rung, each window against its budget, and the spend per day and model.
import { formatTable, runAdminRead, type AdminCommandOptions } from './admin-client.js';
import type { Io } from './output.js';

interface CostsWindow {
  window: string;
  since: number;
  calls: number;
  costUsd: number;
  budgetUsd: number | null;
  rung?: string;
}

export interface CostsAnswer {
  at: number | null;
  rung: string;
  windows: CostsWindow[];
  peaks?: Record<string, string>;
  days: number;
  daily: { day: string; model: string; calls: number; costUsd: number }[];
}

export function runCosts(options: AdminCommandOptions & { days?: number | undefined }, io: Io): Promise<number> {
  return runAdminRead<CostsAnswer>(options, io, `/api/costs?days=${options.days ?? 7}`, 'telemetry', formatCosts);
}

const usd = (v: number) => v.toFixed(4);

export function formatCosts(answer: CostsAnswer): string {
  const windows = answer.windows.map((w) => [
    w.window,
    new Date(w.since).toISOString(),
    w.calls,
    usd(w.costUsd),
    w.budgetUsd === null ? 'none' : usd(w.budgetUsd),
    w.budgetUsd === null ? '' : `${Math.round((w.costUsd / w.budgetUsd) * 100)}%`,
    w.rung ?? '',
    answer.peaks?.[w.window] ?? '',
  ]);
  const lines = [`Cost rung: ${answer.rung}`, '', formatTable(['window', 'since', 'calls', 'cost USD', 'budget USD', 'used', 'rung', 'peak'], windows, 2), ''];
  if (answer.daily.length === 0) lines.push(`No model calls in the last ${answer.days} day(s) (UTC).`);
  else lines.push(formatTable(['day', 'model', 'calls', 'cost USD'], answer.daily.map((r) => [r.day, r.model, r.calls, usd(r.costUsd)]), 2));
  return lines.join('\n');
}
