// Module resolution hooks, registered with `module.register` only when a plugin sits where
// `@kora/runtime` cannot be found (a folder in $KORA_HOME/plugins with no node_modules): they
// hand it the host's own runtime, as a peer dependency promises. Runs in Node's loader thread.

export interface ResolveHooksData {
  /** Bare specifier → file URL of the host runtime's module. */
  aliases: Record<string, string>;
}

interface ResolveContext {
  conditions: string[];
  importAttributes: Record<string, string>;
  parentURL?: string;
}

interface ResolveResult {
  url: string;
  format?: string | null;
  shortCircuit?: boolean;
}

let aliases: Record<string, string> = {};

export function initialize(data: ResolveHooksData): void {
  aliases = data.aliases;
}

export async function resolve(
  specifier: string,
  context: ResolveContext,
  nextResolve: (specifier: string, context: ResolveContext) => Promise<ResolveResult>,
): Promise<ResolveResult> {
  const url = aliases[specifier];
  if (url !== undefined) return { url, format: 'module', shortCircuit: true };
  return nextResolve(specifier, context);
}
