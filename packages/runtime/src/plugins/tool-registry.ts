// Tools plugins offer to the agent, by unique name.
import { KoraError, PluginError } from '../errors.js';
import type { ToolSpec } from './types.js';

export class ToolRegistry {
  #tools = new Map<string, { tool: ToolSpec; pluginId: string }>();

  register(pluginId: string, tool: ToolSpec): void {
    if (!tool || typeof tool.name !== 'string' || typeof tool.run !== 'function') {
      throw new PluginError('KORA_ERR_PLUGIN_BAD_REGISTRATION', `Plugin "${pluginId}" registered a tool without a name or run function`, { pluginId });
    }
    const existing = this.#tools.get(tool.name);
    if (existing) {
      throw new KoraError('KORA_ERR_TOOL_DUPLICATE', `Tool "${tool.name}" is registered by both plugin "${existing.pluginId}" and plugin "${pluginId}"`, {
        pluginId,
        tool: tool.name,
      });
    }
    this.#tools.set(tool.name, { tool, pluginId });
  }

  removePlugin(pluginId: string): void {
    for (const [name, t] of this.#tools) if (t.pluginId === pluginId) this.#tools.delete(name);
  }

  get(name: string): ToolSpec | undefined {
    return this.#tools.get(name)?.tool;
  }

  /** The tool and the plugin that registered it. */
  entry(name: string): { tool: ToolSpec; pluginId: string } | undefined {
    return this.#tools.get(name);
  }

  list(): { tool: ToolSpec; pluginId: string }[] {
    return [...this.#tools.values()];
  }
}
