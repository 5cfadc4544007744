// The `heartbeat_probes` daemon (DESIGN §8, non-fatal): task `heartbeat.service_probes` (5m)
// runs every probe, keeps the results in `probes_results`, provides the `probes` service with
// the latest of each, and writes a `probe.wake_requested` audit event when a probe turns bad
// (ok/degraded/unconfigured → down/error), which `probe_wake` turns into an investigation.
import type { DaemonSpec, PluginContext, ProbeResult, Probes } from '@kora/runtime';
import type { ProbesSettings } from './config.js';
import { latestResults, recordCycle } from './history.js';
import { isBad, isCancelled, runCycle, type ProbeDefinition } from './probe-run.js';

export const HEARTBEAT_DAEMON = 'heartbeat_probes';
export const PROBE_TASK = 'heartbeat.service_probes';
export const WAKE_SEAM = 'probe.wake_requested';

/** What the daemon knows between cycles, shared with the plugin's surfaces. */
export class ProbeBoard implements Probes {
  readonly probes: readonly ProbeDefinition[];
  #latest = new Map<string, ProbeResult>();

  constructor(probes: readonly ProbeDefinition[]) {
    this.probes = probes;
  }

  latest(): readonly ProbeResult[] {
    return this.probes.map((p) => this.#latest.get(p.name)).filter((r): r is ProbeResult => r !== undefined);
  }

  get(name: string): ProbeResult | undefined {
    return this.#latest.get(name);
  }

  set(result: ProbeResult): void {
    this.#latest.set(result.name, result);
  }
}

export function unconfiguredNote(probes: readonly ProbeDefinition[]): string | null {
  const missing = probes.filter((p) => p.unconfigured !== null);
  if (missing.length === 0) return null;
  if (missing.length === probes.length) return `no probe is configured: ${missing.map((p) => p.unconfigured).join(', ')}; set a token or add plugins.config.probes.http`;
  return `unconfigured: ${missing.map((p) => `${p.name} (${p.unconfigured})`).join(', ')}`;
}

export function heartbeatDaemon(ctx: PluginContext<unknown>, settings: ProbesSettings, board: ProbeBoard): DaemonSpec {
  const names = board.probes.map((p) => p.name);
  return {
    name: HEARTBEAT_DAEMON,
    // One gateway of a fleet probes: N gateways would multiply the calls and the wake events.
    scope: 'leader',
    fatalOnStartupFailure: false,
    async start(d) {
      // The previous states survive a restart: a probe already down is not "turning" bad again.
      for (const r of await latestResults(ctx.db, names)) board.set(r);
      d.services.provide('probes', board);
      d.setNote(unconfiguredNote(board.probes));
    },
    tasks: [
      {
        name: PROBE_TASK,
        every: '5m',
        async run({ signal, log }) {
          const cycle = await runCycle(board.probes, { clock: ctx.clock, concurrency: settings.concurrency, signal });
          // A cycle cut short by its own stop (its timeout, the gateway stopping) says nothing of
          // the services it had not heard from: they keep their last result, in the history and on
          // the board, and raise no alert.
          const results = cycle.filter((r) => !isCancelled(r));
          const cut = cycle.length - results.length;
          if (cut > 0) log.warn({ cancelled: cut }, `probe cycle stopped before ${cut} probe(s) answered: they keep their last result`);
          const turned = results.filter((r) => isBad(r.state) && !isBad(board.get(r.name)?.state));
          const previous = new Map(turned.map((r) => [r.name, board.get(r.name)?.state ?? null]));
          await recordCycle(ctx.db, results, settings.history, names);
          for (const r of results) board.set(r);
          for (const r of turned) {
            log.warn({ probe: r.name, state: r.state, detail: r.detail }, `probe ${r.name} turned ${r.state}: ${r.detail ?? ''}`);
            await ctx.audit(WAKE_SEAM, { probe: r.name, state: r.state, previous: previous.get(r.name) ?? null, detail: r.detail, latencyMs: r.latencyMs, at: r.at });
          }
          const counts = results.reduce<Record<string, number>>((c, r) => ({ ...c, [r.state]: (c[r.state] ?? 0) + 1 }), {});
          log.debug({ counts }, `probed ${results.length} service(s)`);
        },
      },
    ],
  };
}
