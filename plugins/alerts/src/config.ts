// The alerts plugin's config (`plugins.config.alerts`): where alerts go (a Slack channel, email
// addresses), how long an alert still open stays quiet before it is said again, the optional
// daily digest, how many failed runs in a row make a task's alert, and the dispatch's retries.
import { duration, parseDuration, z, type Duration } from '@kora/runtime';

const email = z.email();

export const alertsConfigSchema = z
  .object({
    /** A Slack channel id (C…) or user id: alerts are posted there with `kora__send_slack`. */
    slackChannel: z.string().min(1).max(64).optional(),
    /** One address or several: alerts are mailed through the `email.sender` service. */
    emailTo: z.union([email, z.array(email).min(1).max(20)]).optional(),
    /** An alert still open is said again after this long (default 6h); never before. */
    renotifyAfter: duration.optional(),
    /** A daily digest of the day's alerts, posted by `alerts.digest_flush` (default false). */
    digest: z.boolean().optional(),
    /** A task whose last N finished runs all failed or timed out opens an alert (default 3). */
    failedRuns: z.number().int().min(1).max(50).optional(),
    /** Deliveries of one alert before it is dead-lettered (default 5), and the first retry's delay, doubled after each (default 30s). */
    dispatch: z.object({ attempts: z.number().int().min(1).max(20).optional(), backoff: duration.optional() }).strict().optional(),
  })
  .strict();

export type AlertsConfig = z.infer<typeof alertsConfigSchema>;

export interface AlertsSettings {
  readonly slackChannel: string | null;
  readonly emailTo: readonly string[];
  readonly renotifyAfterMs: number;
  readonly digest: boolean;
  readonly failedRuns: number;
  readonly attempts: number;
  readonly backoff: Duration;
}

export function alertsSettings(config: AlertsConfig | undefined): AlertsSettings {
  const to = config?.emailTo;
  return {
    slackChannel: config?.slackChannel ?? null,
    emailTo: to === undefined ? [] : Array.isArray(to) ? to : [to],
    renotifyAfterMs: parseDuration(config?.renotifyAfter ?? '6h'),
    digest: config?.digest ?? false,
    failedRuns: config?.failedRuns ?? 3,
    attempts: config?.dispatch?.attempts ?? 5,
    backoff: config?.dispatch?.backoff ?? '30s',
  };
}
