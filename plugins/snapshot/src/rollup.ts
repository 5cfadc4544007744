// What one snapshot holds: the whole agent read through its status and the operations plugins'
// services, each optional. A service nobody provides is `unavailable` (its plugin is not enabled
// or its daemon is not running); one that throws is `{ error }`. Neither stops the roll-up.
import type { GatewayView, Services, Tools } from '@kora/runtime';

export const UNAVAILABLE = 'unavailable';
export type Section<T> = T | typeof UNAVAILABLE | { readonly error: string };

/** The services a snapshot reads, by section. */
export const SOURCES = ['probes', 'cost.rung', 'cost.windows', 'mcp.consumption', 'alerts', 'proposals'] as const;

export interface RollupDeps {
  readonly gateway: GatewayView;
  readonly services: Services;
  readonly tools: Tools;
}

function read<T>(fn: () => T): Section<T> {
  try {
    return fn();
  } catch (err) {
    return { error: err instanceof Error ? err.message : String(err) };
  }
}

function fromService<S, T>(s: S | undefined, fn: (s: S) => T): Section<T> {
  return s === undefined ? UNAVAILABLE : read(() => fn(s));
}

export async function rollup(deps: RollupDeps, signal?: AbortSignal): Promise<Record<string, unknown>> {
  const { gateway, services } = deps;
  const status = gateway.status();
  const data: Record<string, unknown> = {
    gateway: { state: status.state, problems: status.problems, uptimeMs: status.uptimeMs, agent: status.identity && 'agentName' in status.identity ? status.identity.agentName : null, sessionId: status.sessionId },
    daemons: status.daemons.map((d) => ({ name: d.name, plugin: d.plugin, state: d.state, note: d.note ?? null, error: d.error })),
    tasks: status.daemons.flatMap((d) =>
      d.tasks.map((t) => ({ name: t.name, daemon: d.name, lastStatus: t.lastRun?.status ?? null, lastRunAt: t.lastRun?.startedAt ?? null, nextRun: t.nextRun, runs: t.runs, failures: t.failures })),
    ),
    probes: fromService(services.tryGet('probes'), (p) => p.latest()),
    costs: costs(services),
    mcp: fromService(services.tryGet('mcp.consumption'), (m) => m.health()),
    alerts: fromService(services.tryGet('alerts'), (a) => a.open()),
    proposals: fromService(services.tryGet('proposals'), (p) => ({ pending: p.pendingCount() })),
  };
  const extra = await snapshotTools(deps, signal);
  if (extra !== null) data.tools = extra;
  return data;
}

function costs(services: Services): Section<Record<string, unknown>> {
  const rung = services.tryGet('cost.rung');
  const windows = services.tryGet('cost.windows');
  if (!rung && !windows) return UNAVAILABLE;
  return read(() => ({ rung: rung ? rung.current() : UNAVAILABLE, windows: windows ? windows.windows() : UNAVAILABLE }));
}

/**
 * The results of the tools an approved `promote_snapshot_expand` proposal names, each called
 * through the runtime's tool pipeline (its guards and audit) with no input; null when no
 * proposal names any (or the learning loops are not enabled).
 */
async function snapshotTools(deps: RollupDeps, signal?: AbortSignal): Promise<Record<string, unknown> | null> {
  const proposals = deps.services.tryGet('proposals');
  if (!proposals) return null;
  let names: readonly string[];
  try {
    names = proposals.snapshotTools();
  } catch (err) {
    return { error: err instanceof Error ? err.message : String(err) };
  }
  if (names.length === 0) return null;
  const out: Record<string, unknown> = {};
  for (const name of [...new Set(names)].slice(0, 20)) {
    // The snapshot's own tool would read the snapshot being made.
    if (name === 'kora__snapshot') continue;
    const outcome = await deps.tools.call(name, {}, { route: 'snapshot', ...(signal ? { signal } : {}) });
    out[name] = outcome.ok ? outcome.result : { error: `${outcome.code}: ${outcome.error}` };
  }
  return out;
}
