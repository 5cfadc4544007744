// Every error the runtime throws, in one place, each with a stable code (its meaning, fix and
// exit code in error-codes.ts) and the context an operator needs to act on it (which file,
// which field, which daemon, what to set).

import type { KoraErrorCode } from './error-codes.js';

export { ERROR_CODES, EXIT, exitCodeOf, type ErrorCodeSpec, type ExitCode, type KoraErrorCode } from './error-codes.js';

export class KoraError extends Error {
  readonly code: KoraErrorCode;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: KoraErrorCode, message: string, details: Record<string, unknown> = {}, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.details = Object.freeze({ ...details });
  }
}

/** One problem in a config file: where it is and what was expected there. */
export interface ConfigIssue {
  /** Dotted path of the field, e.g. `daemons.snapshot.tasks.snapshot.compute.every`; '' for the whole file. */
  path: string;
  message: string;
  /** 1-based line in the file, when the field (or the nearest key above it) is written there. */
  line?: number;
  /** 1-based column, for YAML syntax errors. */
  column?: number;
}

/**
 * Where a config came from, so an error raised far from the file (a plugin's config schema, the
 * daemon planner, the hook bus) can still name the file and the line. Built by `loadConfigFile`.
 */
export interface ConfigSource {
  /** Absolute path of the config file. */
  readonly file: string;
  /** The line of `path` (dotted, as in ConfigIssue, or as keys), or of its nearest ancestor written in the file. */
  lineOf(path: string | readonly (string | number)[]): number | undefined;
}

type ConfigErrorCode = 'KORA_ERR_CONFIG_NOT_FOUND' | 'KORA_ERR_CONFIG_EXISTS' | 'KORA_ERR_CONFIG_PARSE' | 'KORA_ERR_CONFIG_INVALID' | 'KORA_ERR_CONFIG_TOO_LARGE' | 'KORA_ERR_SCHEDULE_INVALID';

/** A headline, or a template given the file (or "the config" while it is not known). */
export type ConfigHeadline = string | ((where: string) => string);

export class ConfigError extends KoraError {
  readonly file: string | undefined;
  readonly issues: readonly ConfigIssue[];
  readonly #headline: ConfigHeadline | undefined;

  constructor(code: ConfigErrorCode, file: string | undefined, issues: readonly ConfigIssue[], headline?: ConfigHeadline) {
    super(code, [renderHeadline(headline, file), ...issues.map((i) => `  - ${renderIssueWhere(i)}: ${i.message}`)].join('\n'), { file, issues });
    this.file = file;
    this.issues = issues;
    this.#headline = headline;
  }

  /**
   * The same error, told where the config came from: issues without a line get one from the
   * source, and an error raised without a file names it, unless its headline is a fixed text
   * (an error about a plugin's own spec, whose paths are not in the file, keeps its wording).
   */
  withSource(source: ConfigSource): ConfigError {
    return locate(this, this.#headline, source);
  }
}

// Outside the class on purpose: a class body naming its own class makes esbuild emit
// `class _ConfigError`, and `name` (from new.target) would then read `_ConfigError` in the bundle.
function locate(error: ConfigError, headline: ConfigHeadline | undefined, source: ConfigSource): ConfigError {
  const issues = error.issues.map((i) => {
    if (i.line !== undefined || i.path === '') return i;
    const line = source.lineOf(i.path);
    return line === undefined ? i : { ...i, line };
  });
  const file = error.file ?? (typeof headline === 'string' ? undefined : source.file);
  return new ConfigError(error.code as ConfigErrorCode, file, issues, headline);
}

function renderHeadline(headline: ConfigHeadline | undefined, file: string | undefined): string {
  if (typeof headline === 'string') return headline;
  if (headline) return headline(file ?? 'the config');
  return file ? `Invalid config in ${file}:` : 'Invalid config:';
}

/** `daemons.x.fatal (line 7)`, `line 3, column 5` (syntax), or `(root)`. */
function renderIssueWhere(issue: ConfigIssue): string {
  const at = issue.line === undefined ? '' : `line ${issue.line}${issue.column === undefined ? '' : `, column ${issue.column}`}`;
  if (issue.path === '') return at || '(root)';
  return at ? `${issue.path} (${at})` : issue.path;
}

/** One environment variable with a value Kora cannot use. The value is shown redacted when it may hold a secret. */
export interface EnvIssue {
  variable: string;
  /** The value as it may be shown (a URL's credentials are replaced). */
  shown: string;
  /** What is accepted instead. */
  expected: string;
}

export class EnvError extends KoraError {
  readonly issues: readonly EnvIssue[];

  constructor(issues: readonly EnvIssue[]) {
    const lines = issues.map((i) => `  - ${i.variable}=${JSON.stringify(i.shown)}: ${i.expected}`);
    super('KORA_ERR_ENV_INVALID', [`Invalid environment variable${issues.length > 1 ? 's' : ''}:`, ...lines].join('\n'), {
      variables: issues.map((i) => i.variable),
      issues,
    });
    this.issues = issues;
  }
}

/** A duration that is not one (`5 minutes`, `-1`): from code (a daemon spec) rather than the config file, which the schema checks. */
export class DurationError extends KoraError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('KORA_ERR_DURATION_INVALID', message, details);
  }
}

export class DeployEnvError extends KoraError {
  constructor() {
    super(
      'KORA_ERR_DEPLOY_ENV',
      'KORA_DEPLOY_ENV is not set: the gateway refuses to start without a deploy environment. ' +
        'Set KORA_DEPLOY_ENV (e.g. KORA_DEPLOY_ENV=production), or pass --dev / set KORA_DEV=1 for a development run.',
    );
  }
}

export class PluginError extends KoraError {
  readonly pluginId: string | undefined;

  constructor(
    code: Extract<KoraErrorCode, `KORA_ERR_PLUGIN_${string}`>,
    message: string,
    details: Record<string, unknown> & { pluginId?: string } = {},
    options?: ErrorOptions,
  ) {
    super(code, message, details, options);
    this.pluginId = details.pluginId;
  }
}

export class HookError extends KoraError {
  readonly hook: string;

  constructor(
    code: 'KORA_ERR_HOOK_DEFINE' | 'KORA_ERR_HOOK_KIND_CONFLICT' | 'KORA_ERR_HOOK_UNCLASSIFIED_GUARD',
    message: string,
    details: Record<string, unknown> & { hook: string; pluginId?: string },
  ) {
    super(code, message, details);
    this.hook = details.hook;
  }
}

export class IdentityError extends KoraError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('KORA_ERR_IDENTITY_UNRESOLVED', message, details);
  }
}

export class ServiceError extends KoraError {
  constructor(code: 'KORA_ERR_SERVICE_MISSING' | 'KORA_ERR_SERVICE_DUPLICATE', message: string, details: Record<string, unknown> = {}) {
    super(code, message, details);
  }
}

export class DaemonError extends KoraError {
  readonly daemon: string | undefined;

  constructor(
    code: Extract<KoraErrorCode, `KORA_ERR_DAEMON_${string}` | `KORA_ERR_TASK_${string}`>,
    message: string,
    details: Record<string, unknown> & { daemon?: string } = {},
    options?: ErrorOptions,
  ) {
    super(code, message, details, options);
    this.daemon = details.daemon;
  }
}

export class TimeoutError extends KoraError {
  readonly timeoutMs: number;

  constructor(
    code: 'KORA_ERR_HOOK_TIMEOUT' | 'KORA_ERR_DAEMON_START_TIMEOUT' | 'KORA_ERR_DAEMON_STOP' | 'KORA_ERR_DAEMON_STOP_TIMEOUT' | 'KORA_ERR_TASK_TIMEOUT',
    message: string,
    timeoutMs: number,
    details: Record<string, unknown> = {},
  ) {
    super(code, message, { ...details, timeoutMs });
    this.timeoutMs = timeoutMs;
  }
}

export type StoreErrorCode = Extract<KoraErrorCode, 'KORA_ERR_STORE' | `KORA_ERR_STORE_${string}`>;

export class StoreError extends KoraError {
  declare readonly code: StoreErrorCode;

  /** `options.code` narrows the failure: BUSY (locked past the retry bound), FULL, IO, FILE_GONE; default KORA_ERR_STORE. */
  constructor(message: string, details: Record<string, unknown> = {}, options?: ErrorOptions & { code?: StoreErrorCode }) {
    super(options?.code ?? 'KORA_ERR_STORE', message, details, options);
  }
}

export type InboxErrorCode = Extract<KoraErrorCode, `KORA_ERR_INBOX_${string}`>;

/** A producer or consumer passed the inbox something it cannot keep: a bad topic or key, a payload with no JSON form. */
export class InboxError extends KoraError {
  declare readonly code: InboxErrorCode;

  constructor(code: InboxErrorCode, message: string, details: Record<string, unknown> = {}, options?: ErrorOptions) {
    super(code, message, details, options);
  }
}

/** `run/status.json` could not be written (disk full, home deleted, permissions): the status is frozen until a write succeeds. */
export class StatusFileError extends KoraError {
  readonly path: string;

  constructor(path: string, message: string, options?: ErrorOptions) {
    super('KORA_ERR_STATUS_WRITE', message, { path }, options);
    this.path = path;
  }
}

export class UsageError extends KoraError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('KORA_ERR_USAGE', message, details);
  }
}

/** A short, single-line description of any thrown value, for status and ledger rows. */
export function describeError(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (typeof err === 'string') return err;
  try {
    return JSON.stringify(err);
  } catch {
    return String(err);
  }
}
