// Which credential the engine uses, read from the gateway's environment (never process.env):
// a Claude Code OAuth token first (a bearer token), else an API key. Blank counts as unset.
import { EnvError } from '@kora/runtime';
import { CREDENTIAL_ENVS, notConfigured } from './errors.js';

export const BASE_URL_ENV = 'ANTHROPIC_BASE_URL';
export const DEFAULT_BASE_URL = 'https://api.anthropic.com';

export type Credential =
  | { readonly kind: 'oauth'; readonly token: string; readonly from: 'CLAUDE_CODE_OAUTH_TOKEN' }
  | { readonly kind: 'apiKey'; readonly key: string; readonly from: 'KORA_ANTHROPIC_API_KEY' | 'ANTHROPIC_API_KEY' };

type Env = Readonly<Record<string, string | undefined>>;

const set = (value: string | undefined): string | undefined => (value !== undefined && value.trim() !== '' ? value.trim() : undefined);

/** The credential to use; throws the coded ReasoningEngineNotConfigured naming the variables when none is set. */
export function readCredential(env: Env): Credential {
  const [oauthEnv, koraKeyEnv, keyEnv] = CREDENTIAL_ENVS;
  const token = set(env[oauthEnv]);
  if (token) return { kind: 'oauth', token, from: oauthEnv };
  for (const from of [koraKeyEnv, keyEnv] as const) {
    const key = set(env[from]);
    if (key) return { kind: 'apiKey', key, from };
  }
  throw notConfigured();
}

/**
 * ANTHROPIC_BASE_URL over the config's baseUrl (checked by the schema) over the public API. An
 * ANTHROPIC_BASE_URL that is not an http(s) URL is KORA_ERR_ENV_INVALID naming it (its value
 * shown without any user:password part).
 */
export function baseUrl(env: Env, configured: string | undefined): string {
  const fromEnv = set(env[BASE_URL_ENV]);
  if (fromEnv === undefined) return configured ?? DEFAULT_BASE_URL;
  let url: URL | undefined;
  try {
    url = new URL(fromEnv);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new EnvError([{ variable: BASE_URL_ENV, shown: fromEnv.replace(/\/\/[^/@]*@/, '//[redacted]@'), expected: 'the Messages API base URL, http(s)://… (e.g. https://api.anthropic.com), or unset' }]);
  }
  return fromEnv;
}
