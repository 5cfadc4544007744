// Writes fixture plugin packages (plain ESM, no imports) into temp dirs for plugin tests.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface FixturePlugin {
  id: string;
  /** Body of `register(ctx)`, as JS source. */
  register?: string;
  hostApi?: string;
  critical?: boolean;
  hooks?: string[];
  daemons?: string[];
  version?: string;
  /** Extra top-level module source (before the default export). */
  prelude?: string;
  /** Extra fields of the default export, as JS source. */
  definition?: string;
  /** Replace the whole manifest (for invalid-manifest tests). */
  manifest?: unknown;
  packageName?: string;
}

/** Write a plugin package at `<parent>/<folder>` and return its folder. */
export function writePlugin(parent: string, plugin: FixturePlugin, folder = plugin.id): string {
  const dir = join(parent, folder);
  mkdirSync(dir, { recursive: true });
  const manifest = plugin.manifest ?? {
    id: plugin.id,
    entry: './index.js',
    hostApi: plugin.hostApi ?? '^1.0.0',
    description: `fixture ${plugin.id}`,
    hooks: plugin.hooks ?? [],
    daemons: plugin.daemons ?? [],
    critical: plugin.critical ?? false,
  };
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: plugin.packageName ?? `kora-plugin-${plugin.id}`, version: plugin.version ?? '1.0.0', type: 'module', kora: manifest }, null, 2));
  writeFileSync(
    join(dir, 'index.js'),
    `${plugin.prelude ?? ''}\nexport default {\n  id: ${JSON.stringify(plugin.id)},\n  ${plugin.definition ? `${plugin.definition},` : ''}\n  async register(ctx) {\n${plugin.register ?? ''}\n  },\n};\n`,
  );
  return dir;
}
