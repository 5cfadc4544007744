// What is wrong right now, from every source an alert can come from: the probes (`probes`
// service), the cost rung (`cost.rung`), the run ledger (a task failing N times in a row), the
// inbox (dead letters) and the daemons (status). Each firing condition has a dedup key and a
// fingerprint: a new fingerprint under an open key (a rung moving up, a new dead letter) is said
// at once; the same one is said again only after the re-notify interval. A source that cannot be
// read this time (a service not provided) is not "checked", so its open alerts stay as they are.
import type { PluginContext, RunRecord } from '@kora/runtime';
import type { Severity } from './store.js';

export interface Condition {
  readonly key: string;
  readonly severity: Severity;
  readonly title: string;
  readonly detail: string | null;
  readonly fingerprint: string;
}

export type SourceName = 'probes' | 'rung' | 'tasks' | 'dead_letters' | 'daemons';

export interface Evaluation {
  readonly firing: Condition[];
  /** Key prefixes whose source was read: an open alert under one that is not firing is resolved. */
  readonly checked: Set<SourceName>;
  /** What could not be read, for the daemon's note. */
  readonly missing: string[];
}

export const SOURCE_OF_KEY = (key: string): SourceName | null => {
  if (key.startsWith('probe:')) return 'probes';
  if (key === 'rung') return 'rung';
  if (key.startsWith('task:')) return 'tasks';
  if (key.startsWith('dead_letter:')) return 'dead_letters';
  if (key.startsWith('daemon:')) return 'daemons';
  return null;
};

const FINISHED = new Set(['ok', 'failed', 'timeout', 'interrupted']);
const FAILED = new Set(['failed', 'timeout']);

export async function evaluate(ctx: PluginContext<unknown>, options: { failedRuns: number; ownDaemon: string; ownTopic: string }): Promise<Evaluation> {
  const firing: Condition[] = [];
  const checked = new Set<SourceName>();
  const missing: string[] = [];

  const probes = ctx.services.tryGet('probes');
  if (probes) {
    checked.add('probes');
    for (const r of probes.latest()) {
      if (r.state !== 'down' && r.state !== 'error') continue;
      firing.push({ key: `probe:${r.name}`, severity: r.state === 'down' ? 'critical' : 'warning', title: `Probe ${r.name} is ${r.state}`, detail: r.detail, fingerprint: 'bad' });
    }
  } else missing.push('no probes service (plugin probes)');

  const rung = ctx.services.tryGet('cost.rung');
  if (rung) {
    checked.add('rung');
    const now = rung.current();
    if (now !== 'normal') firing.push({ key: 'rung', severity: now === 'hard_stop_100' ? 'critical' : 'warning', title: `Cost rung is ${now}`, detail: rungDetail(now), fingerprint: now });
  } else missing.push('no cost.rung service (plugin telemetry)');

  checked.add('tasks');
  for (const [task, runs] of await recentRunsByTask(ctx, options.failedRuns)) {
    const finished = runs.filter((r) => FINISHED.has(r.status)).slice(0, options.failedRuns);
    if (finished.length < options.failedRuns || !finished.every((r) => FAILED.has(r.status))) continue;
    firing.push({ key: `task:${task}`, severity: 'warning', title: `Task ${task} failed ${options.failedRuns} times in a row`, detail: finished[0]?.error?.slice(0, 500) ?? null, fingerprint: 'failing' });
  }

  try {
    const dead = await ctx.operations.inbox.dead({ limit: 500 });
    checked.add('dead_letters');
    const byTopic = new Map<string, { count: number; newest: number; error: string | null }>();
    for (const d of dead) {
      // The alerts' own dead letters are audited when they die; alerting on them would loop.
      if (d.topic === options.ownTopic) continue;
      const seen = byTopic.get(d.topic) ?? { count: 0, newest: 0, error: null };
      byTopic.set(d.topic, { count: seen.count + 1, newest: Math.max(seen.newest, d.id), error: seen.newest > d.id ? seen.error : (d.errors.at(-1)?.error ?? null) });
    }
    for (const [topic, t] of byTopic) {
      firing.push({ key: `dead_letter:${topic}`, severity: 'warning', title: `${t.count} dead letter${t.count === 1 ? '' : 's'} in inbox topic ${topic}`, detail: t.error?.slice(0, 500) ?? null, fingerprint: `newest:${t.newest}` });
    }
  } catch (err) {
    missing.push(`dead letters unreadable (${err instanceof Error ? err.message : String(err)})`);
  }

  checked.add('daemons');
  for (const d of ctx.gateway.status().daemons) {
    if (d.state !== 'failed' || d.name === options.ownDaemon) continue;
    firing.push({ key: `daemon:${d.name}`, severity: d.fatal ? 'critical' : 'warning', title: `Daemon ${d.name} (plugin ${d.plugin}) failed`, detail: d.error?.slice(0, 500) ?? null, fingerprint: 'failed' });
  }

  return { firing, checked, missing };
}

function rungDetail(rung: string): string {
  switch (rung) {
    case 'warn_75':
      return 'spend passed 75% of a budget: turns go to the cheap model';
    case 'downshift_90':
      return 'spend passed 90% of a budget: every turn goes to the cheap model';
    case 'hard_stop_100':
      return 'spend reached a budget: model calls are refused until the window resets';
    default:
      return rung;
  }
}

/** The tasks of the status and of the ledger's recent rows, each with its newest rows (enough to see N finished ones). */
async function recentRunsByTask(ctx: PluginContext<unknown>, n: number): Promise<Map<string, RunRecord[]>> {
  const names = new Set<string>();
  for (const d of ctx.gateway.status().daemons) for (const t of d.tasks) names.add(t.name);
  for (const r of await ctx.gateway.recentRuns({ limit: 200 })) names.add(r.task);
  const out = new Map<string, RunRecord[]>();
  for (const task of names) out.set(task, await ctx.gateway.recentRuns({ task, limit: n * 3 }));
  return out;
}
