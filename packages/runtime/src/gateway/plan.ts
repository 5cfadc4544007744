// Planning a boot: which registered daemons run (config `enabled`, `--only`, `--skip`, failed
// plugins), with which fatal flag and timeouts, and each one's tasks resolved against the
// operator's overrides. Pure: it reads the registry and the config and starts nothing, so
// `kora config check` runs exactly the checks `kora daemon` runs before starting daemons.
import type { KoraConfig } from '../config/schema.js';
import type { SupervisedDaemon } from '../daemons/supervisor.js';
import type { RegisteredDaemon } from '../daemons/registry.js';
import { ConfigError, describeError, UsageError } from '../errors.js';
import type { Attribution } from '../plugins/attribution.js';
import { resolveTask, type ResolvedTask } from '../schedule/resolve.js';
import { parseDuration } from '../time/duration.js';

export const DEFAULT_START_TIMEOUT_MS = 30_000;
export const DEFAULT_STOP_TIMEOUT_MS = 10_000;

export interface PlanInput {
  daemons: readonly RegisteredDaemon[];
  config: KoraConfig;
  configFile: string | undefined;
  /** `--only NAME`. */
  only?: readonly string[];
  /** `--skip NAME`. */
  skip?: readonly string[];
  /** Plugins that failed after registering (their daemons do not start), with the reason. */
  failedPlugins?: ReadonlyMap<string, string>;
  now: number;
  /** When given, task runs execute attributed to their daemon. */
  attribution?: Attribution;
}

export interface Plan {
  /** In start order. */
  supervised: SupervisedDaemon[];
  /** Each planned daemon's resolved tasks (disabled ones left out). */
  tasks: Map<string, ResolvedTask[]>;
  /** Daemons that will not start, with the reason. */
  skipped: Map<string, string>;
  /** Config that names no registered daemon: worth a warning, not an error. */
  warnings: string[];
}

/** Throws UsageError for an unknown `--only`/`--skip` name and ConfigError for a bad schedule or timeout. */
export function planBoot(input: PlanInput): Plan {
  const { config, configFile } = input;
  const known = input.daemons.map((d) => d.spec.name);
  const only = input.only ?? [];
  const skip = input.skip ?? [];
  const unknown = [...only, ...skip].filter((n) => !known.includes(n));
  if (unknown.length > 0) {
    throw new UsageError(`Unknown daemon name${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}. Known daemons: ${known.length ? known.join(', ') : '(none registered)'}`, { unknown, known });
  }
  const warnings: string[] = [];
  for (const name of Object.keys(config.daemons)) {
    if (!known.includes(name)) warnings.push(`config has settings for daemon "${name}" (daemons.${name}), but no loaded plugin registers it (known: ${known.join(', ') || 'none'})`);
  }
  const plan: Plan = { supervised: [], tasks: new Map(), skipped: new Map(), warnings };
  for (const { spec, pluginId } of input.daemons) {
    const override = config.daemons[spec.name] ?? {};
    const pluginFailure = input.failedPlugins?.get(pluginId);
    const reason =
      override.enabled === false
        ? 'disabled in config'
        : only.length > 0 && !only.includes(spec.name)
          ? 'not named by --only'
          : skip.includes(spec.name)
            ? 'named by --skip'
            : pluginFailure !== undefined
              ? `its plugin failed: ${pluginFailure}`
              : null;
    if (reason) {
      plan.skipped.set(spec.name, reason);
      continue;
    }
    const where = `daemons.${spec.name}`;
    const taskOverrides = override.tasks ?? {};
    for (const name of Object.keys(taskOverrides)) {
      if (!(spec.tasks ?? []).some((t) => t.name === name)) {
        throw new ConfigError('KORA_ERR_CONFIG_INVALID', configFile, [
          { path: `${where}.tasks.${name}`, message: `daemon "${spec.name}" has no task "${name}"; its tasks: ${(spec.tasks ?? []).map((t) => t.name).join(', ') || 'none'}` },
        ]);
      }
    }
    const tasks: ResolvedTask[] = [];
    const owner = { daemon: spec.name, pluginId };
    for (const task of spec.tasks ?? []) {
      const resolved = resolveTask(task, owner, taskOverrides[task.name], { file: configFile, path: `${where}.tasks.${task.name}` }, input.now);
      if (!resolved) continue;
      const { attribution } = input;
      tasks.push(attribution ? { ...resolved, run: attribution.bind({ pluginId, daemon: spec.name }, resolved.run) } : resolved);
    }
    plan.tasks.set(spec.name, tasks);
    plan.supervised.push({
      name: spec.name,
      pluginId,
      spec,
      fatal: override.fatal ?? spec.fatalOnStartupFailure ?? false,
      scope: spec.scope ?? 'everywhere',
      startTimeoutMs: timeoutOf(override.startTimeout, spec.startTimeout, DEFAULT_START_TIMEOUT_MS, `${where}.startTimeout`, pluginId, configFile),
      stopTimeoutMs: timeoutOf(override.stopTimeout, spec.stopTimeout, DEFAULT_STOP_TIMEOUT_MS, `${where}.stopTimeout`, pluginId, configFile),
    });
  }
  return plan;
}

/**
 * A daemon's start or stop timeout: the config's override, else the daemon's own, else the
 * default. The config's was validated with the file; a bad one in the daemon's spec is a
 * plugin bug the operator can still work around in kora.yaml, so the error says both.
 */
function timeoutOf(configured: string | undefined, declared: string | number | undefined, fallback: number, path: string, pluginId: string, configFile: string | undefined): number {
  if (configured !== undefined) return parseDuration(configured, path);
  if (declared === undefined) return fallback;
  try {
    return parseDuration(declared, path);
  } catch (err) {
    const field = path.slice(path.lastIndexOf('.') + 1);
    throw new ConfigError('KORA_ERR_CONFIG_INVALID', configFile, [
      { path, message: `plugin "${pluginId}" declares ${field} ${JSON.stringify(declared)}, which is not a duration (${describeError(err)}); set ${path} here to override it, or fix the plugin` },
    ]);
  }
}
