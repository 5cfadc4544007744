// The environment variables that name identity files: the runtime's fallback (DESIGN §4) and
// the bundled kora plugin's overrides read the same two.
import { resolve as resolvePath } from 'node:path';

/** The system prompt file. */
export const SYSTEM_PROMPT_ENV = 'KORA_SYSTEM_PROMPT_PATH';
/** The persona (soul) file. */
export const SOUL_ENV = 'KORA_SOUL_MD_PATH';

/**
 * The identity files the runtime falls back to: the environment's, else kora.yaml's (paths in
 * kora.yaml are relative to it, like `home:`).
 */
export function identityFiles(
  env: Readonly<Record<string, string | undefined>>,
  configured: { systemPromptPath?: string | undefined; soulPath?: string | undefined },
  configDir: string,
): { systemPromptPath?: string; soulPath?: string } {
  const relative = (path: string | undefined) => (path === undefined ? undefined : resolvePath(configDir, path));
  const systemPromptPath = env[SYSTEM_PROMPT_ENV] || relative(configured.systemPromptPath);
  const soulPath = env[SOUL_ENV] || relative(configured.soulPath);
  return { ...(systemPromptPath ? { systemPromptPath } : {}), ...(soulPath ? { soulPath } : {}) };
}
