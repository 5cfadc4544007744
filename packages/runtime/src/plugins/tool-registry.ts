// Tools plugins offer to the agent, by unique name: the ones registered at register time, and
// tool sources, whose tools are known only once a daemon runs (an MCP server's, discovered when
// its session opens) under a name prefix the source claims at register time (decision 0126).
import { KoraError, PluginError } from '../errors.js';
import type { ToolSource, ToolSpec } from './types.js';

interface Owned<T> {
  readonly pluginId: string;
  readonly value: T;
}

export class ToolRegistry {
  #tools = new Map<string, { tool: ToolSpec; pluginId: string }>();
  #sources: Owned<ToolSource>[] = [];

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
    const source = this.#sourceOf(tool.name);
    if (source) {
      throw new KoraError('KORA_ERR_TOOL_DUPLICATE', `Tool "${tool.name}" of plugin "${pluginId}" falls under the prefix "${source.value.prefix}" that plugin "${source.pluginId}" claims for its tool source`, {
        pluginId,
        tool: tool.name,
      });
    }
    this.#tools.set(tool.name, { tool, pluginId });
  }

  /** Claim `source.prefix`: no registered tool and no other source may share names with it. */
  registerSource(pluginId: string, source: ToolSource): void {
    if (!source || typeof source.prefix !== 'string' || source.prefix.length === 0 || typeof source.tools !== 'function') {
      throw new PluginError('KORA_ERR_PLUGIN_BAD_REGISTRATION', `Plugin "${pluginId}" registered a tool source without a prefix or tools function`, { pluginId });
    }
    const { prefix } = source;
    const clash = this.#sources.find((s) => s.value.prefix.startsWith(prefix) || prefix.startsWith(s.value.prefix));
    if (clash) {
      throw new KoraError('KORA_ERR_TOOL_DUPLICATE', `The tool prefix "${prefix}" of plugin "${pluginId}" overlaps the prefix "${clash.value.prefix}" of plugin "${clash.pluginId}"`, { pluginId, tool: prefix });
    }
    const named = [...this.#tools.values()].find((t) => t.tool.name.startsWith(prefix));
    if (named) {
      throw new KoraError('KORA_ERR_TOOL_DUPLICATE', `The tool prefix "${prefix}" of plugin "${pluginId}" covers tool "${named.tool.name}" that plugin "${named.pluginId}" registered`, { pluginId, tool: prefix });
    }
    this.#sources.push({ pluginId, value: source });
  }

  removePlugin(pluginId: string): void {
    for (const [name, t] of this.#tools) if (t.pluginId === pluginId) this.#tools.delete(name);
    this.#sources = this.#sources.filter((s) => s.pluginId !== pluginId);
  }

  get(name: string): ToolSpec | undefined {
    return this.entry(name)?.tool;
  }

  /** The tool and the plugin that registered it (or whose source offers it now). */
  entry(name: string): { tool: ToolSpec; pluginId: string } | undefined {
    const registered = this.#tools.get(name);
    if (registered) return registered;
    const source = this.#sourceOf(name);
    if (!source) return undefined;
    const tool = sourceTools(source).find((t) => t.name === name);
    return tool ? { tool, pluginId: source.pluginId } : undefined;
  }

  /** Registered tools in registration order, then each source's tools now. */
  list(): { tool: ToolSpec; pluginId: string }[] {
    return [...this.#tools.values(), ...this.#sources.flatMap((s) => sourceTools(s).map((tool) => ({ tool, pluginId: s.pluginId })))];
  }

  #sourceOf(name: string): Owned<ToolSource> | undefined {
    return this.#sources.find((s) => name.startsWith(s.value.prefix));
  }
}

/** A source's tools, only those under its prefix and each name once; a failing source offers none. */
function sourceTools(source: Owned<ToolSource>): ToolSpec[] {
  let tools: readonly ToolSpec[];
  try {
    tools = source.value.tools();
  } catch {
    return [];
  }
  const seen = new Set<string>();
  return tools.filter((t) => {
    if (!t || typeof t.name !== 'string' || typeof t.run !== 'function' || !t.name.startsWith(source.value.prefix) || seen.has(t.name)) return false;
    seen.add(t.name);
    return true;
  });
}
