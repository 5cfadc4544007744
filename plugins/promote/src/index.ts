// The bundled promote plugin (DESIGN §8): five learning loops, each a daemon with one daily task,
// that read the audit log and write proposals; a person approves or rejects them (admin UI,
// `kora proposals`, MCP `kora__proposals`), and only then do they apply, through the `proposals`
// service and this plugin's `pre_tool_list_finalized` hook. See docs/promote.md.
import { definePlugin } from '@kora/runtime';
import { ApprovedCache } from './approved.js';
import { promoteConfigSchema, promoteSettings, type PromoteConfig } from './config.js';
import { loopDaemon } from './cycle.js';
import { ProposalDesk } from './desk.js';
import { migrations } from './migrations.js';
import { proposalsPage } from './page.js';
import { LOOPS } from './proposal.js';
import { proposalFormRoutes, proposalRoutes } from './routes.js';
import { ProposalStore } from './store.js';
import { killSwitchRoutes, switchView } from './switch-routes.js';
import { RuntimeSwitches } from './switches.js';
import { proposalsTool } from './tool.js';
import { trimToolList } from './trim-hook.js';

export type { PromoteConfig } from './config.js';
export type { Candidate, LoopName, Proposal, ProposalStatus } from './proposal.js';
export { LOOPS, daemonOf, taskOf } from './proposal.js';

export default definePlugin<PromoteConfig | undefined>({
  id: 'promote',
  configSchema: promoteConfigSchema.optional(),
  migrations,
  async register(ctx) {
    const settings = promoteSettings(ctx.config);
    const store = new ProposalStore(ctx.db);
    const switches = new RuntimeSwitches(ctx.store);
    const cache = new ApprovedCache(store, settings, ctx.clock, ctx.log, switches);
    // What a person approved applies on every gateway of a fleet, leader or not: the service is
    // the plugin's (provided at register, from the table), not a leader daemon's.
    await cache.refresh();
    ctx.services.provide('proposals', cache);
    const audit = (seam: string, details: Record<string, unknown>) => ctx.audit(seam, details);
    const desk = new ProposalDesk({ store, cache, clock: ctx.clock, log: ctx.log, audit });

    for (const loop of LOOPS) ctx.registerDaemon(loopDaemon(loop, { desk, settings, switches, gateway: ctx.gateway, log: ctx.log, audit }));
    ctx.on('pre_tool_list_finalized', function trimTools({ route, tools }) {
      return trimToolList(cache, route, tools);
    });
    ctx.registerTool(proposalsTool(desk));
    for (const route of [...proposalRoutes(desk), ...proposalFormRoutes(desk), ...killSwitchRoutes({ switches, settings, cache, clock: ctx.clock, log: ctx.log, audit })]) ctx.contribute('http.admin', route);
    ctx.contribute('web.page', proposalsPage(desk, async () => switchView(settings, await switches.read()).loops));
  },
});
