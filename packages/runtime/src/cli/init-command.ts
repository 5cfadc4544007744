// `kora init`: write a commented kora.yaml for a new project — the bundled plugins this install
// has, in load order by role (identity first), and a `home:` beside the file, so two projects
// never share a store by accident. It never overwrites a kora.yaml.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseConfigText } from '../config/load.js';
import type { Env } from '../config/locate.js';
import { ConfigError } from '../errors.js';
import { createSilentLogger } from '../log/logger.js';
import { discoverPlugins, type DiscoveredPlugin } from '../plugins/discovery.js';
import { PLUGIN_ROLES, type PluginRole } from '../plugins/manifest.js';
import { escaped, type Io } from './output.js';

export interface InitOptions {
  /** The project folder; default the working directory. Created when missing. */
  dir?: string | undefined;
  env: Env;
  cwd: string;
  /** Override the bundled plugins folder (tests). */
  bundledDir?: string | null;
}

/** The home `kora init` writes, relative to the kora.yaml. */
export const INIT_HOME = './.kora';

export interface InitPlugin {
  id: string;
  role: PluginRole;
  description: string;
  /** Ids it loads after when both are listed (the manifest's `kora.after`). */
  after?: readonly string[];
}

/**
 * A plugin's role: what its manifest says (`kora.role`); a plugin that says nothing but declares
 * the identity hook is an identity plugin; any other is taken for an operations one (loaded last).
 */
export function roleOf(manifest: Pick<DiscoveredPlugin['manifest'], 'role' | 'hooks'>): PluginRole {
  if (manifest.role) return manifest.role;
  return manifest.hooks.includes('pre_agent_identity_set') ? 'identity' : 'operations';
}

/**
 * Load order: by role (identity, engine, channel, surface, operations), then by id, except that
 * a plugin waits for the listed plugins its manifest says it comes `after` (mcp after web, whose
 * admin server it mounts on). A cycle is broken at the first plugin in role/id order.
 */
export function initOrder(plugins: readonly InitPlugin[]): InitPlugin[] {
  const rank = (p: InitPlugin) => PLUGIN_ROLES.indexOf(p.role);
  const pending = [...plugins].sort((a, b) => rank(a) - rank(b) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const listed = new Set(pending.map((p) => p.id));
  const placed = new Set<string>();
  const out: InitPlugin[] = [];
  while (pending.length > 0) {
    const ready = pending.findIndex((p) => (p.after ?? []).every((id) => id === p.id || placed.has(id) || !listed.has(id)));
    const [next] = pending.splice(ready === -1 ? 0 : ready, 1);
    if (!next) break;
    placed.add(next.id);
    out.push(next);
  }
  return out;
}

export function runInit(options: InitOptions, io: Io): number {
  const dir = resolve(options.cwd, options.dir ?? '.');
  const file = join(dir, 'kora.yaml');
  if (existsSync(file)) {
    throw new ConfigError(
      'KORA_ERR_CONFIG_EXISTS',
      file,
      [{ path: '', message: 'kora init never overwrites a kora.yaml' }],
      `${file} already exists. Edit it (\`kora plugins enable <id>\`, \`kora config check\`), or run \`kora init --dir <another folder>\`.`,
    );
  }
  const discovery = discoverPlugins({ projectRoot: dir, home: join(dir, INIT_HOME), env: options.env, logger: createSilentLogger(), bundledDir: options.bundledDir });
  const bundled = initOrder(
    [...discovery.plugins.values()].filter((p) => p.source === 'bundled').map((p) => ({ id: p.id, role: roleOf(p.manifest), description: p.manifest.description, after: p.manifest.after })),
  );
  const text = initConfigText(bundled);
  parseConfigText(text, file); // never write a config the gateway would refuse
  mkdirSync(dir, { recursive: true });
  writeFileSync(file, text, { flag: 'wx' });
  io.out(escaped`Wrote ${file}: home ${INIT_HOME}, ${bundled.length} bundled plugin(s) enabled${bundled.length ? `: ${bundled.map((p) => p.id).join(', ')}` : ''}.`);
  io.out('Next: `kora config check`, then `kora daemon --dev`. `kora plugins enable <id>` adds a plugin you install.');
  return 0;
}

/** The commented kora.yaml for these plugins (already in load order). */
export function initConfigText(plugins: readonly InitPlugin[]): string {
  const lines = [
    '# kora.yaml, written by `kora init`. `kora config check` checks it without starting anything;',
    '# `kora config schema` prints every key. Every key but plugins.enabled is optional.',
    '',
    '# Where this project keeps its store (SQLite), status file, generated tokens and user plugins,',
    '# relative to this file: two projects never share a store by accident. Keep it out of git.',
    `home: ${INIT_HOME}`,
    '',
    'plugins:',
    '  # Load order, and so identity precedence: the first plugin that claims the identity wins.',
    '  # Identity plugins first, then the engine, channels, surfaces, operations. Delete a line to',
    '  # leave a plugin out; `kora plugins enable <id>` / `kora plugins disable <id>` edit this list.',
  ];
  if (plugins.length === 0) {
    lines.push('  # This install has no bundled plugins: install one (npm install <package>), then enable it.', '  enabled: []');
  } else {
    lines.push('  enabled:');
    for (const p of plugins) {
      lines.push(...wrapComment(`${p.role}: ${p.description || '(no description)'}`, '    # '));
      lines.push(`    - ${p.id}`);
    }
  }
  lines.push(
    '  disabled: []',
    '  # Each plugin\'s own settings, checked by its config schema (`kora plugins info <id>`):',
    '  # config:',
    '  #   <id>: { key: value }',
    '',
    '# Per daemon and task: fatal, timeouts, schedules (see `kora config schema`). A fatal daemon',
    '# that cannot start (a missing credential) stops the boot; `{ fatal: false }` boots degraded.',
    '# daemons:',
    '#   <daemon>: { fatal: false }',
    '',
    'log:',
    '  level: info',
    '',
  );
  return lines.join('\n');
}

/** A comment at `prefix`, wrapped to about 100 columns; control characters a manifest carried become spaces. */
function wrapComment(text: string, prefix: string): string[] {
  // eslint-disable-next-line no-control-regex -- a manifest's description must not start a YAML line of its own
  const words = text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, ' ').split(/\s+/).filter(Boolean);
  const out: string[] = [];
  let line = '';
  for (const word of words) {
    if (line && prefix.length + line.length + 1 + word.length > 100) {
      out.push(prefix + line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) out.push(prefix + line);
  return out;
}
