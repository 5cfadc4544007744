// The runtime kill switch on the admin API (switches.ts): `GET /api/promote/kill-switch` says
// which loops run and why not; `POST /api/promote/kill-switch` `{ loop?: "all" | <loop>,
// enabled: boolean, reason? }` turns all loops (the default) or one off or on again, audited
// (`promote.kill_switch`) with who did it, and applied at once on this gateway (the `proposals`
// service is refreshed), on the others of a fleet at their next refresh or cycle.
import type { Clock, HttpRoute, Logger } from '@kora/runtime';
import type { ApprovedCache } from './approved.js';
import { killSwitchKey, loopOn, type PromoteSettings } from './config.js';
import { LOOPS } from './proposal.js';
import { ProposalInputError, reasonOf } from './query.js';
import { actorOf, failure } from './routes.js';
import { isTarget, runtimeOffOf, SWITCH_SEAM, SWITCH_TARGETS, type RuntimeOff, type RuntimeSwitches } from './switches.js';

export const KILL_SWITCH_PATH = '/api/promote/kill-switch';

export interface SwitchRouteDeps {
  readonly switches: RuntimeSwitches;
  readonly settings: PromoteSettings;
  readonly cache: ApprovedCache;
  readonly clock: Clock;
  readonly log: Logger;
  audit(seam: string, details: Record<string, unknown>): Promise<void>;
}

/** Per loop: on or not, and what turned it off (the config key, or who at runtime). */
export function switchView(settings: PromoteSettings, off: RuntimeOff) {
  return {
    runtime: off,
    loops: Object.fromEntries(
      LOOPS.map((loop) => {
        if (!loopOn(settings, loop)) return [loop, { on: false, offBy: 'config', key: killSwitchKey(settings, loop) }];
        const r = runtimeOffOf(off, loop);
        return [loop, r ? { on: false, offBy: 'runtime', target: r.target, by: r.off.by, at: r.off.at, reason: r.off.reason } : { on: true }];
      }),
    ),
  };
}

export function killSwitchRoutes(deps: SwitchRouteDeps): HttpRoute[] {
  return [
    {
      method: 'GET',
      path: KILL_SWITCH_PATH,
      async handle() {
        return { body: switchView(deps.settings, await deps.switches.read()) };
      },
    },
    {
      method: 'POST',
      path: KILL_SWITCH_PATH,
      async handle(request) {
        try {
          const body = (request.body ?? {}) as { loop?: unknown; enabled?: unknown; reason?: unknown };
          const target = body.loop === undefined ? 'all' : body.loop;
          if (!isTarget(target)) throw new ProposalInputError(`loop must be one of ${SWITCH_TARGETS.join(', ')} (all when left out), not ${JSON.stringify(body.loop)}`);
          if (typeof body.enabled !== 'boolean') throw new ProposalInputError(`enabled must be true (turn on again) or false (turn off), not ${JSON.stringify(body.enabled)}`);
          const reason = reasonOf(body.reason);
          const by = actorOf(request);
          const off = await deps.switches.set(target, body.enabled, by, deps.clock.now(), reason);
          await deps.audit(SWITCH_SEAM, { loop: target, enabled: body.enabled, by, ...(reason ? { reason: reason.slice(0, 200) } : {}) });
          await deps.cache.refresh();
          deps.log.info({ loop: target, enabled: body.enabled, by }, `promote: ${target === 'all' ? 'all loops' : `loop ${target}`} turned ${body.enabled ? 'on' : 'off'} by ${by}`);
          return { body: switchView(deps.settings, off) };
        } catch (err) {
          return failure(err);
        }
      },
    },
  ];
}
