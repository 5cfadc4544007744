// The `cost_telemetry` daemon (non-fatal, DESIGN §8): provides `cost.rung` and `cost.windows`
// once it has read its tables, and runs the three tasks. Without the reasoning plugin's `usage`
// service it still runs, every window at zero, and says so in the status.
import type { DaemonSpec } from '@kora/runtime';
import type { CostTelemetry } from './telemetry.js';

export const DAEMON_NAME = 'cost_telemetry';
export const TASKS = { persist: 'cost_telemetry.persist', daily: 'cost_telemetry.rolling_24h_reset', monthly: 'cost_telemetry.monthly_reset' } as const;

export const NO_USAGE_NOTE = 'no usage service (enable the reasoning plugin): every cost window reads 0 and the rung stays normal';

/** What the routes, the page and the hook read: the running daemon's telemetry, or null. */
export interface TelemetryHolder {
  current: CostTelemetry | null;
}

export function costTelemetryDaemon(make: () => CostTelemetry, holder: TelemetryHolder): DaemonSpec {
  const running = (): CostTelemetry => {
    if (!holder.current) throw new Error('cost_telemetry is not running');
    return holder.current;
  };
  return {
    name: DAEMON_NAME,
    fatalOnStartupFailure: false,
    // Everywhere: each gateway's cost ladder reads the rung; the resets are once per period by their key.
    scope: 'everywhere',
    async start(d) {
      const t = make();
      await t.load();
      if (!d.services.has('usage')) d.setNote(NO_USAGE_NOTE);
      // A first sum before the rung is served, so a restart past a budget refuses at once; a
      // failing sum still serves the rung the tables kept.
      await t.refresh().catch((err: unknown) => d.log.warn({ err }, 'cost telemetry: the first sum of the windows failed; cost_telemetry.persist tries again'));
      holder.current = t;
      d.services.provide('cost.rung', t);
      d.services.provide('cost.windows', t);
    },
    stop() {
      holder.current = null;
    },
    tasks: [
      { name: TASKS.persist, every: '5m', run: () => running().persist() },
      // Hourly checks, each also at start: a reset missed while the gateway was down happens as
      // soon as it is back, and at most once per period however many checks run.
      { name: TASKS.daily, every: '1h', runOnStart: true, run: async () => void (await running().reset('rolling_24h')) },
      { name: TASKS.monthly, every: '1h', runOnStart: true, run: async () => void (await running().reset('month')) },
    ],
  };
}
