// The plugin manifest (`package.json#kora`), validated before any plugin code is imported.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from '../zod.js';
import { describeError, PluginError } from '../errors.js';

/** The parts of an agent, in the load order `kora init` writes: whoever claims the identity first, operations last. */
export const PLUGIN_ROLES = ['identity', 'engine', 'channel', 'surface', 'operations'] as const;
export type PluginRole = (typeof PLUGIN_ROLES)[number];

const manifestSchema = z.object({
  id: z.string().regex(/^[a-z][a-z0-9_-]*$/, { message: 'expected lowercase letters, digits, "_" or "-", starting with a letter' }),
  entry: z.string().min(1, { message: 'expected the path of the entry module, e.g. "./dist/index.js"' }),
  hostApi: z.string().min(1, { message: 'expected a semver range of the host API, e.g. "^1.0.0"' }),
  description: z.string().default(''),
  hooks: z.array(z.string()).default([]),
  daemons: z.array(z.string()).default([]),
  critical: z.boolean().default(false),
  /** What part of an agent it is; `kora init` orders plugins.enabled by it (identity first). */
  role: z.enum(PLUGIN_ROLES, { message: `expected one of ${PLUGIN_ROLES.join(', ')}` }).optional(),
  /** Plugins it belongs after in plugins.enabled when both are there (mcp after web); `kora init` writes that order. */
  after: z.array(z.string()).default([]),
});

export type PluginManifest = z.output<typeof manifestSchema>;

export interface PluginPackage {
  /** Folder of the package. */
  dir: string;
  /** `package.json` path. */
  file: string;
  name: string;
  version: string;
  manifest: PluginManifest;
}

/** Whether a package.json object declares a Kora plugin at all. */
export function hasManifest(pkg: unknown): pkg is { kora: unknown } {
  return typeof pkg === 'object' && pkg !== null && 'kora' in pkg;
}

/** Read and validate `<dir>/package.json#kora`. Throws a PluginError naming the file and the field. */
export function readPluginPackage(dir: string, pkg?: Record<string, unknown>): PluginPackage {
  const file = join(dir, 'package.json');
  const json: Record<string, unknown> = pkg ?? readPackageJson(file);
  if (!('kora' in json)) {
    throw new PluginError('KORA_ERR_PLUGIN_MANIFEST', `${file} has no "kora" manifest object`, { file });
  }
  const parsed = manifestSchema.safeParse(json.kora);
  if (!parsed.success) {
    const fields = parsed.error.issues.map((i) => `kora.${i.path.join('.')}: ${i.message}`);
    const rawId = (json.kora as { id?: unknown } | null)?.id;
    throw new PluginError('KORA_ERR_PLUGIN_MANIFEST', `Invalid plugin manifest in ${file}:\n  - ${fields.join('\n  - ')}`, {
      file,
      fields,
      ...(typeof rawId === 'string' ? { pluginId: rawId } : {}),
    });
  }
  return {
    dir,
    file,
    name: typeof json.name === 'string' ? json.name : parsed.data.id,
    version: typeof json.version === 'string' ? json.version : '0.0.0',
    manifest: parsed.data,
  };
}

function readPackageJson(file: string): Record<string, unknown> {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    const cannotRead = (err as NodeJS.ErrnoException).code !== undefined;
    throw new PluginError('KORA_ERR_PLUGIN_MANIFEST', cannotRead ? `Cannot read ${file}: ${describeError(err)}` : `${file} is not valid JSON: ${describeError(err)}`, { file });
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new PluginError('KORA_ERR_PLUGIN_MANIFEST', `${file} is not a JSON object`, { file });
  }
  return json as Record<string, unknown>;
}
