// Every error the runtime throws, in one place, each with a stable code and the context an
// operator needs to act on it (which file, which field, which daemon, what to set).

export type KoraErrorCode =
  | 'KORA_ERR_CONFIG_NOT_FOUND'
  | 'KORA_ERR_CONFIG_PARSE'
  | 'KORA_ERR_CONFIG_INVALID'
  | 'KORA_ERR_DEPLOY_ENV'
  | 'KORA_ERR_PLUGIN_MANIFEST'
  | 'KORA_ERR_PLUGIN_NOT_FOUND'
  | 'KORA_ERR_PLUGIN_HOST_API'
  | 'KORA_ERR_PLUGIN_IMPORT'
  | 'KORA_ERR_PLUGIN_CONFIG'
  | 'KORA_ERR_PLUGIN_REGISTER'
  | 'KORA_ERR_PLUGIN_CRITICAL'
  | 'KORA_ERR_HOOK_TIMEOUT'
  | 'KORA_ERR_IDENTITY_UNRESOLVED'
  | 'KORA_ERR_SERVICE_MISSING'
  | 'KORA_ERR_SERVICE_DUPLICATE'
  | 'KORA_ERR_DAEMON_DUPLICATE'
  | 'KORA_ERR_DAEMON_NAME'
  | 'KORA_ERR_DAEMON_UNKNOWN'
  | 'KORA_ERR_DAEMON_START'
  | 'KORA_ERR_DAEMON_START_TIMEOUT'
  | 'KORA_ERR_DAEMON_STOP'
  | 'KORA_ERR_SCHEDULE_INVALID'
  | 'KORA_ERR_TASK_TIMEOUT'
  | 'KORA_ERR_TASK_NAME'
  | 'KORA_ERR_TASK_DUPLICATE'
  | 'KORA_ERR_TASK_INTERRUPTED'
  | 'KORA_ERR_STORE'
  | 'KORA_ERR_USAGE';

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
  /** Dotted path of the field, e.g. `daemons.snapshot.tasks.snapshot.compute.every`. */
  path: string;
  message: string;
}

export class ConfigError extends KoraError {
  readonly file: string | undefined;
  readonly issues: readonly ConfigIssue[];

  constructor(
    code: 'KORA_ERR_CONFIG_NOT_FOUND' | 'KORA_ERR_CONFIG_PARSE' | 'KORA_ERR_CONFIG_INVALID' | 'KORA_ERR_SCHEDULE_INVALID',
    file: string | undefined,
    issues: readonly ConfigIssue[],
    headline?: string,
  ) {
    const where = file ?? '(no config file)';
    const lines = issues.map((i) => `  - ${i.path || '(root)'}: ${i.message}`);
    super(code, [headline ?? `Invalid config in ${where}:`, ...lines].join('\n'), { file, issues });
    this.file = file;
    this.issues = issues;
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
    code: 'KORA_ERR_HOOK_TIMEOUT' | 'KORA_ERR_DAEMON_START_TIMEOUT' | 'KORA_ERR_DAEMON_STOP' | 'KORA_ERR_TASK_TIMEOUT',
    message: string,
    timeoutMs: number,
    details: Record<string, unknown> = {},
  ) {
    super(code, message, { ...details, timeoutMs });
    this.timeoutMs = timeoutMs;
  }
}

export class StoreError extends KoraError {
  constructor(message: string, details: Record<string, unknown> = {}, options?: ErrorOptions) {
    super('KORA_ERR_STORE', message, details, options);
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
