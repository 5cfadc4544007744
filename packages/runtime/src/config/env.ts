// Every environment variable Kora reads, read and checked in one place: the gateway and the
// CLI take the typed result instead of reading `process.env` here and there, and a value Kora
// cannot use is one coded error (KORA_ERR_ENV_INVALID) naming each variable, before anything starts.
import { EnvError, type EnvIssue } from '../errors.js';
import { SOUL_ENV, SYSTEM_PROMPT_ENV } from '../identity/env.js';
import type { LogLevel } from '../log/logger.js';
import { redactUrl } from '../log/redact.js';
import { storeUrlProblem } from '../store/url.js';
import { FLAG_ACCEPTED, flagValue } from './env-flag.js';
import type { Env } from './locate.js';
import { LOG_LEVELS } from './schema.js';

/** The names, so a message or a test never spells one differently. */
export const KORA_ENV = {
  home: 'KORA_HOME',
  config: 'KORA_CONFIG',
  deployEnv: 'KORA_DEPLOY_ENV',
  dev: 'KORA_DEV',
  logLevel: 'KORA_LOG_LEVEL',
  storeUrl: 'KORA_STORE_URL',
  enableProjectPlugins: 'KORA_ENABLE_PROJECT_PLUGINS',
  disableIdentityProvider: 'KORA_DISABLE_IDENTITY_PROVIDER',
  systemPromptPath: SYSTEM_PROMPT_ENV,
  soulPath: SOUL_ENV,
} as const;

export interface KoraEnv {
  /** `KORA_HOME` as written (relative to the working directory); undefined when unset or blank. */
  readonly home: string | undefined;
  /** `KORA_CONFIG` as written; undefined when unset or blank. */
  readonly config: string | undefined;
  /** `KORA_DEPLOY_ENV`, trimmed; undefined when unset or blank (the deploy-env gate decides). */
  readonly deployEnv: string | undefined;
  readonly dev: boolean;
  /** `KORA_LOG_LEVEL`, lower-cased; undefined when unset or blank (then `log.level` applies). */
  readonly logLevel: LogLevel | undefined;
  /** `KORA_STORE_URL`, trimmed; undefined when unset or blank (then `store.url` applies). */
  readonly storeUrl: string | undefined;
  readonly enableProjectPlugins: boolean;
  readonly disableIdentityProvider: boolean;
  /** `KORA_SYSTEM_PROMPT_PATH` as written; undefined when unset. Set and blank is an error. */
  readonly systemPromptPath: string | undefined;
  /** `KORA_SOUL_MD_PATH` as written; undefined when unset. Set and blank is an error. */
  readonly soulPath: string | undefined;
}

// eslint-disable-next-line no-control-regex
const CONTROL_RE = /[\u0000-\u001f\u007f]/;
const CONTROL_HINT = 'contains a control character (a line break or a carriage return from a CRLF env file?); remove it';

/** Read and check every Kora environment variable. Throws one EnvError listing every bad one. */
export function readKoraEnv(env: Env): KoraEnv {
  const issues: EnvIssue[] = [];
  const bad = (variable: string, shown: string, expected: string) => {
    issues.push({ variable, shown, expected });
    return undefined;
  };

  const optionalPath = (variable: string): string | undefined => {
    const v = env[variable];
    if (v === undefined || v.trim() === '') return undefined;
    return CONTROL_RE.test(v) ? bad(variable, v, CONTROL_HINT) : v;
  };

  const requiredIfSetPath = (variable: string): string | undefined => {
    const v = env[variable];
    if (v === undefined) return undefined;
    if (v.trim() === '') return bad(variable, v, 'is set but blank: name a file, or unset it');
    return CONTROL_RE.test(v) ? bad(variable, v, CONTROL_HINT) : v;
  };

  const flag = (variable: string): boolean => {
    const v = flagValue(env[variable]);
    if (v === undefined) bad(variable, env[variable] ?? '', FLAG_ACCEPTED);
    return v ?? false;
  };

  const deployEnv = (() => {
    const v = env[KORA_ENV.deployEnv]?.trim();
    if (!v) return undefined;
    return CONTROL_RE.test(v) ? bad(KORA_ENV.deployEnv, v, CONTROL_HINT) : v;
  })();

  const logLevel = (() => {
    const v = env[KORA_ENV.logLevel]?.trim().toLowerCase();
    if (!v) return undefined;
    const level = LOG_LEVELS.find((l) => l === v);
    return level ?? bad(KORA_ENV.logLevel, env[KORA_ENV.logLevel] ?? '', `expected one of ${LOG_LEVELS.join(', ')}`);
  })();

  const storeUrl = (() => {
    const v = env[KORA_ENV.storeUrl]?.trim();
    if (!v) return undefined;
    const problem = storeUrlProblem(v);
    return problem ? bad(KORA_ENV.storeUrl, redactUrl(v), problem.replace(/^"[^"]*" /, '')) : v;
  })();

  const result: KoraEnv = {
    home: optionalPath(KORA_ENV.home),
    config: optionalPath(KORA_ENV.config),
    deployEnv,
    dev: flag(KORA_ENV.dev),
    logLevel,
    storeUrl,
    enableProjectPlugins: flag(KORA_ENV.enableProjectPlugins),
    disableIdentityProvider: flag(KORA_ENV.disableIdentityProvider),
    systemPromptPath: requiredIfSetPath(KORA_ENV.systemPromptPath),
    soulPath: requiredIfSetPath(KORA_ENV.soulPath),
  };
  if (issues.length > 0) throw new EnvError(issues);
  return Object.freeze(result);
}
