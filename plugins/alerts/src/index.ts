// The bundled alerts plugin (DESIGN §8): the `alert_notifier` daemon watching the probes, the
// cost rung, the run ledger, the inbox's dead letters and the daemons, deduplicating by key with
// a re-notify interval, and dispatching through the inbox to Slack and/or email; provides the
// `alerts` service. Its tables keep the alerts and what was said; the admin API (`GET
// /api/alerts`, read by `kora alerts`), the Alerts page and `kora__alerts` show them.
import { definePlugin } from '@kora/runtime';
import { alertsConfigSchema, alertsSettings, type AlertsConfig } from './config.js';
import { alertNotifier } from './daemon.js';
import { AlertBook } from './notifier.js';
import { migrations } from './store.js';
import { alertsPage, alertsRoute, alertsTool } from './surfaces.js';

export type { AlertsConfig } from './config.js';
export type { AlertsAnswer } from './surfaces.js';
export type { AlertEvent, AlertRow } from './store.js';

export default definePlugin<AlertsConfig | undefined>({
  id: 'alerts',
  configSchema: alertsConfigSchema.optional(),
  migrations,
  register(ctx) {
    const settings = alertsSettings(ctx.config);
    const book = new AlertBook();
    ctx.registerDaemon(alertNotifier(ctx, settings, book));
    ctx.contribute('http.admin', alertsRoute(ctx));
    ctx.contribute('web.page', alertsPage(ctx));
    ctx.registerTool(alertsTool(ctx));
  },
});
