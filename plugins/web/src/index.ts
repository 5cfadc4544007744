// The bundled web plugin: Kora's admin API and admin UI (DESIGN §8) on 127.0.0.1:9119 behind the
// admin token. It owns the `web.page` point and mounts the runtime's `http.admin` routes, so
// other plugins add pages and API routes (the MCP server at /mcp) without changing it.
import { definePlugin, PluginError } from '@kora/runtime';
import { listenOptions, webConfigSchema, type WebConfig } from './config.js';
import { webDaemon } from './daemon.js';

export type { WebPage, WebPageRequest } from './page.js';
export { PAGE_POINT } from './page.js';
export { escapeHtml, html, raw, SafeHtml } from './html.js';
export type { WebConfig } from './config.js';

export default definePlugin<WebConfig | undefined>({
  id: 'web',
  configSchema: webConfigSchema.optional(),
  register(ctx) {
    const options = listenOptions(ctx.config, ctx.env);
    if ('error' in options) throw new PluginError('KORA_ERR_PLUGIN_REGISTER', options.error, { pluginId: ctx.pluginId });
    ctx.registerDaemon(webDaemon({ options, env: ctx.env, deployEnv: ctx.deployEnv, home: ctx.paths.home, gateway: ctx.gateway, operations: ctx.operations }));
  },
});
