// The one daemon registry: names unique across all plugins, tasks unique across all daemons.
import { DaemonError } from '../errors.js';
import type { DaemonSpec } from './types.js';

export interface RegisteredDaemon {
  readonly spec: DaemonSpec;
  readonly pluginId: string;
}

export class DaemonRegistry {
  #daemons = new Map<string, RegisteredDaemon>();

  register(pluginId: string, spec: DaemonSpec): void {
    if (!spec || typeof spec.name !== 'string' || spec.name.trim() === '') {
      throw new DaemonError('KORA_ERR_DAEMON_START', `Plugin "${pluginId}" registered a daemon without a name`, { pluginId });
    }
    if (typeof spec.start !== 'function') {
      throw new DaemonError('KORA_ERR_DAEMON_START', `Daemon "${spec.name}" of plugin "${pluginId}" has no start function`, { daemon: spec.name, pluginId });
    }
    const existing = this.#daemons.get(spec.name);
    if (existing) {
      throw new DaemonError(
        'KORA_ERR_DAEMON_DUPLICATE',
        `Daemon "${spec.name}" is registered by both plugin "${existing.pluginId}" and plugin "${pluginId}"; daemon names are unique across plugins`,
        { daemon: spec.name, plugins: [existing.pluginId, pluginId] },
      );
    }
    for (const task of spec.tasks ?? []) {
      const clash = this.#taskOwner(task.name);
      if (clash || (spec.tasks ?? []).filter((t) => t.name === task.name).length > 1) {
        const other = clash ? `daemon "${clash.spec.name}" of plugin "${clash.pluginId}"` : `daemon "${spec.name}" itself`;
        throw new DaemonError('KORA_ERR_DAEMON_DUPLICATE', `Task "${task.name}" of daemon "${spec.name}" (plugin "${pluginId}") clashes with a task of ${other}; task names are unique`, {
          daemon: spec.name,
          task: task.name,
          pluginId,
        });
      }
    }
    this.#daemons.set(spec.name, { spec, pluginId });
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
