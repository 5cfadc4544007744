// The bundled probes plugin (DESIGN §8): the `heartbeat_probes` daemon probing Vercel, Sentry,
// Doppler, Supabase, Fly and the generic HTTP probes of its config every 5 minutes, providing
// the `probes` service; the `probe_wake` daemon turning a probe that turns bad into an
// investigation by the engine, posted to Slack. Its history lives in its own table; the admin
// API (`GET /api/probes`, read by `kora probes`), the Probes page and `kora__probes` show it.
import { definePlugin, PluginError } from '@kora/runtime';
import { probesConfigSchema, probesSettings, type ProbesConfig } from './config.js';
import { heartbeatDaemon, ProbeBoard } from './heartbeat-daemon.js';
import { migrations } from './history.js';
import { buildProbes } from './probe-run.js';
import { probesPage, probesRoute, probesTool } from './surfaces.js';
import { wakeDaemon } from './wake-daemon.js';

export type { ProbesConfig } from './config.js';
export { PRESETS, type PresetName } from './presets.js';
export type { ProbesAnswer, ProbeView } from './surfaces.js';

export default definePlugin<ProbesConfig | undefined>({
  id: 'probes',
  configSchema: probesConfigSchema.optional(),
  migrations,
  register(ctx) {
    const settings = probesSettings(ctx.config, ctx.env);
    if ('error' in settings) throw new PluginError('KORA_ERR_PLUGIN_REGISTER', settings.error, { pluginId: ctx.pluginId });
    const board = new ProbeBoard(buildProbes(settings));
    ctx.registerDaemon(heartbeatDaemon(ctx, settings, board));
    ctx.registerDaemon(wakeDaemon(ctx, settings));
    ctx.contribute('http.admin', probesRoute(ctx, board));
    ctx.contribute('web.page', probesPage(ctx, board));
    ctx.registerTool(probesTool(ctx, board));
  },
});
