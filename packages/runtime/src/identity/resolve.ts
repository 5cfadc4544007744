// Identity resolution (DESIGN §4): the first valid spec a provider returns, in plugin load order;
// else the files named by config/env; else a typed error. Fails closed: never a default persona.
import { readFile } from 'node:fs/promises';
import { basename, extname, resolve as resolvePath } from 'node:path';
import { IdentityError, describeError } from '../errors.js';
import type { HookBus } from '../hooks/hook-bus.js';
import { SOUL_ENV, SYSTEM_PROMPT_ENV } from './env.js';
import type { Logger } from '../log/logger.js';
import type { IdentityRequest, IdentitySpec, ResolvedIdentity } from './types.js';


export interface IdentityFiles {
  /** The system prompt file (`KORA_SYSTEM_PROMPT_PATH`); required for a file identity. */
  systemPromptPath?: string;
  /** The persona file (`KORA_SOUL_MD_PATH`); optional. */
  soulPath?: string;
}

export interface ResolveIdentityOptions {
  hooks: HookBus;
  request: IdentityRequest;
  files?: IdentityFiles;
  logger: Logger;
  /** A provider answered with a spec that is not one (it is skipped, as a pass): who, and what is wrong with it. */
  onInvalidClaim?: (pluginId: string, problem: string) => void;
}

export async function resolveIdentity(options: ResolveIdentityOptions): Promise<ResolvedIdentity> {
  const { hooks, request, files, logger } = options;
  const claim = await hooks.dispatch('pre_agent_identity_set', request, {
    validate: (value, pluginId) => {
      const problem = specProblem(value);
      if (problem === undefined) return true;
      logger.warn({ pluginId, hook: 'pre_agent_identity_set' }, `identity provider of plugin "${pluginId}" returned an invalid identity (${problem}); treated as no claim`);
      options.onInvalidClaim?.(pluginId, problem);
      return false;
    },
  });
  if (claim !== null) {
    const spec = freezeIdentity(claim.value);
    const resolved: ResolvedIdentity = {
      spec,
      source: Object.freeze({ kind: 'plugin', pluginId: claim.pluginId }),
      agentName: agentNameOf(spec, claim.pluginId),
    };
    logger.info({ agentName: resolved.agentName, pluginId: claim.pluginId }, `identity "${resolved.agentName}" provided by plugin "${claim.pluginId}"`);
    return Object.freeze(resolved);
  }

  const systemPromptPath = nonBlank(files?.systemPromptPath);
  const soulPath = nonBlank(files?.soulPath);
  if (systemPromptPath !== undefined) {
    const resolved = await fileIdentity(systemPromptPath, soulPath);
    logger.info({ agentName: resolved.agentName, path: systemPromptPath }, `identity "${resolved.agentName}" read from ${systemPromptPath}`);
    return resolved;
  }

  const providers = hooks.registrations().filter((r) => r.hook === 'pre_agent_identity_set').map((r) => r.pluginId);
  const tried = providers.length > 0 ? `Identity providers asked (none claimed): ${providers.join(', ')}. ` : 'No enabled plugin registers an identity provider. ';
  if (soulPath !== undefined) {
    throw new IdentityError(
      `No plugin claimed an identity, and ${SOUL_ENV} (${soulPath}) is set without a system prompt. ${tried}` +
        `Set ${SYSTEM_PROMPT_ENV} to the system prompt file (the soul file alone is not an identity), or enable a plugin that provides one (e.g. \`kora\` in plugins.enabled).`,
      { providers, soulPath },
    );
  }
  throw new IdentityError(
    `No plugin claimed an identity and no identity files are set. ${tried}` +
      `Enable a plugin that provides one (e.g. \`kora\` in plugins.enabled, without KORA_DISABLE_IDENTITY_PROVIDER), ` +
      `or set ${SYSTEM_PROMPT_ENV} (and optionally ${SOUL_ENV}) to identity files.`,
    { providers },
  );
}

/** A spec a provider may claim with: a non-blank system prompt, a string soul, an object of metadata. */
export function isValidIdentitySpec(value: unknown): value is IdentitySpec {
  return specProblem(value) === undefined;
}

/** A deep-frozen copy, so no provider can change the identity after it won. */
export function freezeIdentity(spec: IdentitySpec): IdentitySpec {
  return Object.freeze({
    soul: spec.soul,
    systemPrompt: spec.systemPrompt,
    metadata: frozenCopy(spec.metadata, new Map()) as IdentitySpec['metadata'],
  });
}

function specProblem(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'not an object';
  const { soul, systemPrompt, metadata } = value as Record<string, unknown>;
  if (typeof systemPrompt !== 'string') return systemPrompt === undefined ? 'systemPrompt is missing' : 'systemPrompt is not a string';
  if (systemPrompt.trim() === '') return 'systemPrompt is blank';
  if (typeof soul !== 'string') return "soul is not a string (use '' for none)";
  if (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata)) return 'metadata is not an object';
  return undefined;
}

/**
 * Plain objects and arrays are copied and frozen at every depth; anything else (a Date, a class
 * instance) is kept as it is: metadata is meant to be plain data, shown in status as JSON.
 */
function frozenCopy(value: unknown, seen: Map<object, unknown>): unknown {
  if (value === null || typeof value !== 'object') return value;
  const done = seen.get(value);
  if (done !== undefined) return done;
  if (Array.isArray(value)) {
    const copy: unknown[] = [];
    seen.set(value, copy);
    for (const item of value) copy.push(frozenCopy(item, seen));
    return Object.freeze(copy);
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value;
  const copy: Record<string, unknown> = {};
  seen.set(value, copy);
  // defineProperty, not assignment: an own `__proto__` key stays data.
  for (const [key, item] of Object.entries(value)) Object.defineProperty(copy, key, { value: frozenCopy(item, seen), enumerable: true });
  return Object.freeze(copy);
}

function agentNameOf(spec: IdentitySpec, fallback: string): string {
  const name = spec.metadata.agent_name;
  return typeof name === 'string' && name.trim() !== '' ? name.trim() : fallback;
}

async function fileIdentity(systemPromptPath: string, soulPath: string | undefined): Promise<ResolvedIdentity> {
  const promptFile = resolvePath(systemPromptPath);
  const systemPrompt = await readIdentityFile(promptFile, SYSTEM_PROMPT_ENV, 'system prompt');
  if (systemPrompt.trim() === '') {
    throw new IdentityError(`The system prompt file ${promptFile} (${SYSTEM_PROMPT_ENV}) is empty; an identity needs a non-blank system prompt.`, {
      path: promptFile,
      env: SYSTEM_PROMPT_ENV,
    });
  }
  const soulFile = soulPath === undefined ? undefined : resolvePath(soulPath);
  const soul = soulFile === undefined ? '' : await readIdentityFile(soulFile, SOUL_ENV, 'soul');
  const metadata = soulFile === undefined ? { system_prompt_path: promptFile } : { system_prompt_path: promptFile, soul_path: soulFile };
  const spec = freezeIdentity({ soul, systemPrompt, metadata });
  const fallbackName = basename(promptFile, extname(promptFile));
  return Object.freeze({ spec, source: Object.freeze({ kind: 'file', path: promptFile }), agentName: agentNameOf(spec, fallbackName) });
}

async function readIdentityFile(path: string, env: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const problem = code === 'ENOENT' ? 'does not exist' : code === 'EISDIR' ? 'is a directory' : `cannot be read (${describeError(err)})`;
    throw new IdentityError(`The ${what} file ${path} named by ${env} ${problem}; fix ${env} or create the file.`, { path, env, cause: code });
  }
}

function nonBlank(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}
