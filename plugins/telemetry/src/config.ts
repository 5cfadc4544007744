// The telemetry plugin's config (`plugins.config.telemetry`): a budget in USD per window. A window
// without a budget is still measured; it never moves the rung. Strict, so a misspelt window is an
// error rather than a budget silently ignored.
import { z } from '@kora/runtime';

const usd = z.number().positive().max(1_000_000);

export const telemetryConfigSchema = z
  .object({
    budgets: z
      .object({
        /** USD over the last 24 hours. */
        rolling_24h: usd.optional(),
        /** USD over the calendar month (UTC). */
        month: usd.optional(),
      })
      .strict()
      .optional(),
    /** Days the cost chart and `kora costs` show by default (default 14). */
    chartDays: z.number().int().min(1).max(366).optional(),
  })
  .strict();

export type TelemetryConfig = z.infer<typeof telemetryConfigSchema>;

export interface TelemetrySettings {
  readonly budgets: { readonly rolling_24h: number | null; readonly month: number | null };
  readonly chartDays: number;
}

export function telemetrySettings(config: TelemetryConfig | undefined): TelemetrySettings {
  return {
    budgets: { rolling_24h: config?.budgets?.rolling_24h ?? null, month: config?.budgets?.month ?? null },
    chartDays: config?.chartDays ?? 14,
  };
}
