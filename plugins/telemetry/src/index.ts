// The bundled telemetry plugin (DESIGN §8): the `cost_telemetry` daemon with `cost.rung` and
// `cost.windows`, GET /api/costs (for `kora costs`) and the admin UI's Costs page. It reads the
// engine's usage rows through the reasoning plugin's `usage` service, priced by that plugin's
// price table (`plugins.config.reasoning.prices`); its own tables hold the daily sums and resets.
import { definePlugin } from '@kora/runtime';
import { telemetryConfigSchema, telemetrySettings, type TelemetryConfig } from './config.js';
import { costTelemetryDaemon, type TelemetryHolder } from './daemon.js';
import { migrations } from './migrations.js';
import { costsPage } from './page.js';
import { costsRoute } from './routes.js';
import { CostTelemetry } from './telemetry.js';

export type { TelemetryConfig } from './config.js';
export type { CostsAnswer } from './routes.js';

export default definePlugin<TelemetryConfig | undefined>({
  id: 'telemetry',
  configSchema: telemetryConfigSchema.optional(),
  migrations,
  register(ctx) {
    const settings = telemetrySettings(ctx.config);
    const holder: TelemetryHolder = { current: null };
    const make = () =>
      new CostTelemetry({
        db: ctx.db,
        usage: () => ctx.services.tryGet('usage'),
        settings,
        clock: ctx.clock,
        log: ctx.log,
        audit: (seam, details) => ctx.audit(seam, details),
      });
    ctx.registerDaemon(costTelemetryDaemon(make, holder));
    // The usage row is written before this hook fires: the rung follows each call, not the next persist.
    ctx.on('post_api_request', function costTelemetryAfterCall() {
      holder.current?.refreshSoon();
    });
    ctx.contribute('http.admin', costsRoute(holder, settings.chartDays));
    ctx.contribute('web.page', costsPage(holder, settings.chartDays, () => ctx.clock.now()));
  },
});
