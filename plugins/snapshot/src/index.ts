// The bundled snapshot plugin (DESIGN §8): the `snapshot` daemon and service, GET /api/snapshot,
// the Snapshot page, the `kora__snapshot` tool, and the snapshot as a short system block of
// context on the engine's calls for Kora's routes (`pre_llm_call`, decision 0124).
import { definePlugin } from '@kora/runtime';
import { snapshotConfigSchema, snapshotSettings, type SnapshotConfig } from './config.js';
import { contextText } from './context.js';
import { currentView, snapshotDaemon, type KeeperHolder } from './daemon.js';
import { migrations } from './migrations.js';
import { SnapshotKeeper, StoredSnapshotReader } from './snapshot.js';
import { snapshotPage, snapshotRoute, snapshotTool } from './surfaces.js';

export type { SnapshotConfig } from './config.js';

export default definePlugin<SnapshotConfig | undefined>({
  id: 'snapshot',
  configSchema: snapshotConfigSchema.optional(),
  migrations,
  register(ctx) {
    const settings = snapshotSettings(ctx.config);
    const holder: KeeperHolder = { current: null, stored: new StoredSnapshotReader({ db: ctx.db, clock: ctx.clock, settings, log: ctx.log }) };
    const make = () => new SnapshotKeeper({ db: ctx.db, clock: ctx.clock, settings, log: ctx.log, gateway: ctx.gateway, services: ctx.services, tools: ctx.tools });
    ctx.registerDaemon(snapshotDaemon(make, holder));
    ctx.registerTool(snapshotTool(holder));
    ctx.contribute('http.admin', snapshotRoute(holder));
    ctx.contribute('web.page', snapshotPage(holder));
    ctx.on('pre_llm_call', async function snapshotContext(event) {
      if (!settings.contextRoutes.has(event.route)) return null;
      const { view } = await currentView(holder);
      return view ? { type: 'text' as const, text: contextText(view, ctx.clock.now(), settings.contextChars) } : null;
    });
  },
});
