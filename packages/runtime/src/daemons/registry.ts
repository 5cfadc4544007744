// The one daemon registry: names unique across all plugins, tasks unique across all daemons,
// and every name checked at registration like a plugin id, so none can forge a log line.
import { DaemonError } from '../errors.js';
import type { DaemonSpec, TaskSpec } from './types.js';

export interface RegisteredDaemon {
  readonly spec: DaemonSpec;
  readonly pluginId: string;
}

/** Like a plugin id: lowercase letters, digits, `_` and `-`, starting with a letter. */
export const DAEMON_NAME_RE = /^[a-z][a-z0-9_-]*$/;
/** As a daemon name, plus `.` for the `<daemon>.<what>` convention (`snapshot.compute`). */
export const TASK_NAME_RE = /^[a-z][a-z0-9_.-]*$/;
export const MAX_NAME_LENGTH = 64;

export class DaemonRegistry {
  #daemons = new Map<string, RegisteredDaemon>();

  register(pluginId: string, spec: DaemonSpec): void {
    const name = (spec as Partial<DaemonSpec> | null | undefined)?.name;
    if (!isName(name, DAEMON_NAME_RE)) {
      throw new DaemonError(
        'KORA_ERR_DAEMON_NAME',
        `Plugin "${pluginId}" registered a daemon ${describeName(name)}: a daemon name is lowercase letters, digits, "_" or "-", starting with a letter, at most ${MAX_NAME_LENGTH} characters (e.g. reasoning_engine)`,
        { pluginId, name: typeof name === 'string' ? name : null },
      );
    }
    if (spec.start !== undefined && typeof spec.start !== 'function') {
      throw new DaemonError('KORA_ERR_DAEMON_START', `Daemon "${name}" of plugin "${pluginId}" has a start that is not a function`, { daemon: name, pluginId });
    }
    // A daemon with nothing to start, run or consume is a mistake (a misspelt `tasks`), not a daemon.
    if (spec.start === undefined && !spec.tasks?.length && !spec.consumers?.length) {
      throw new DaemonError('KORA_ERR_DAEMON_START', `Daemon "${name}" of plugin "${pluginId}" has no start function, no tasks and no consumers: give it at least one`, { daemon: name, pluginId });
    }
    const scope: unknown = spec.scope;
    if (scope !== undefined && scope !== 'everywhere' && scope !== 'leader') {
      throw new DaemonError(
        'KORA_ERR_DAEMON_SCOPE',
        `Daemon "${name}" of plugin "${pluginId}" declares scope ${JSON.stringify(scope)}: a scope is "everywhere" (the default) or "leader" (one gateway of a fleet runs it)`,
        { daemon: name, pluginId },
      );
    }
    const existing = this.#daemons.get(name);
    if (existing) {
      throw new DaemonError(
        'KORA_ERR_DAEMON_DUPLICATE',
        `Daemon "${name}" is registered by both plugin "${existing.pluginId}" and plugin "${pluginId}"; daemon names are unique across plugins`,
        { daemon: name, plugins: [existing.pluginId, pluginId] },
      );
    }
    const tasks = spec.tasks ?? [];
    for (const task of tasks) {
      const taskName = (task as Partial<TaskSpec> | null | undefined)?.name;
      if (!isName(taskName, TASK_NAME_RE)) {
        throw new DaemonError(
          'KORA_ERR_TASK_NAME',
          `Daemon "${name}" of plugin "${pluginId}" declares a task ${describeName(taskName)}: a task name is lowercase letters, digits, "_", "-" or ".", starting with a letter, at most ${MAX_NAME_LENGTH} characters (e.g. ${name}.sync)`,
          { daemon: name, pluginId, task: typeof taskName === 'string' ? taskName : null },
        );
      }
      const clash = this.#taskOwner(taskName);
      if (clash || tasks.filter((t) => t.name === taskName).length > 1) {
        const other = clash ? `daemon "${clash.spec.name}" of plugin "${clash.pluginId}"` : `daemon "${name}" itself`;
        throw new DaemonError('KORA_ERR_TASK_DUPLICATE', `Task "${taskName}" of daemon "${name}" (plugin "${pluginId}") clashes with a task of ${other}; task names are unique`, {
          daemon: name,
          task: taskName,
          pluginId,
        });
      }
    }
    this.#daemons.set(name, { spec, pluginId });
  }

  /** Roll back everything a failed plugin registered. */
  removePlugin(pluginId: string): void {
    for (const [name, d] of this.#daemons) if (d.pluginId === pluginId) this.#daemons.delete(name);
  }

  /** In registration order (= start order). */
  list(): RegisteredDaemon[] {
    return [...this.#daemons.values()];
  }

  names(): string[] {
    return [...this.#daemons.keys()];
  }

  #taskOwner(task: string): RegisteredDaemon | undefined {
    for (const d of this.#daemons.values()) if (d.spec.tasks?.some((t) => t.name === task)) return d;
    return undefined;
  }
}

function isName(name: unknown, pattern: RegExp): name is string {
  return typeof name === 'string' && name.length <= MAX_NAME_LENGTH && pattern.test(name);
}

// The bad name as a JSON string: control characters and newlines show as escapes, so a name
// cannot break the message into lines that look like the gateway's own. JSON leaves DEL, the
// C1 controls and the Unicode line separators alone; those are escaped too.
function describeName(name: unknown): string {
  if (name === undefined || name === null || name === '') return 'without a name';
  if (typeof name !== 'string') return `whose name is not a string (${typeof name})`;
  const shown = name.length > 200 ? `${name.slice(0, 200)}…` : name;
  const quoted = JSON.stringify(shown).replace(/[\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return `with the invalid name ${quoted}${name.length > MAX_NAME_LENGTH ? ` (${name.length} characters)` : ''}`;
}
