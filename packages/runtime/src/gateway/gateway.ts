// The gateway: composes config, store, plugins, identity, supervisor and scheduler for one
// process. It holds all state of one gateway, so two can run in one process.
import { randomUUID } from 'node:crypto';
import { dirname, resolve as resolvePath } from 'node:path';
import { loadConfigFile } from '../config/load.js';
import { locateConfig, resolveHome, type Env } from '../config/locate.js';
import { resolveDeployEnv } from '../config/deploy-env.js';
import type { KoraConfig } from '../config/schema.js';
import { ConfigError, describeError, KoraError, UsageError } from '../errors.js';
import { DaemonRegistry } from '../daemons/registry.js';
import { Supervisor, type SupervisedDaemon } from '../daemons/supervisor.js';
import { HookBus } from '../hooks/hook-bus.js';
import { resolveIdentity } from '../identity/resolve.js';
import type { ResolvedIdentity } from '../identity/types.js';
import { createLogger, type Logger } from '../log/logger.js';
import { discoverPlugins } from '../plugins/discovery.js';
import { loadPlugins, type PluginRecord } from '../plugins/loader.js';
import { ToolRegistry } from '../plugins/tool-registry.js';
import { resolveTask, type ResolvedTask } from '../schedule/resolve.js';
import { Scheduler } from '../schedule/scheduler.js';
import { ServiceRegistry } from '../services/registry.js';
import { openStore } from '../store/index.js';
import type { Store } from '../store/types.js';
import { createSystemClock, type Clock } from '../time/clock.js';
import { parseDuration } from '../time/duration.js';
import type { GatewayState, GatewayStatus } from './status.js';
import { statusFilePath, writeStatusFile } from './status-file.js';

export interface GatewayOptions {
  cwd?: string;
  env?: Env;
  /** `--config PATH`. */
  configPath?: string;
  /** `--dev`. */
  dev?: boolean;
  /** `--only NAME`: start only these daemons. */
  only?: string[];
  /** `--skip NAME`: do not start these daemons. */
  skip?: string[];
  clock?: Clock;
  logger?: Logger;
  /** Override the bundled plugins folder (tests). */
  bundledDir?: string | null;
  /** Write `$KORA_HOME/run/status.json` (default true). */
  statusFile?: boolean;
  /**
   * Inspection mode for CLI commands (`kora plugins list`, `kora identity`): no deploy-env gate,
   * an in-memory store, no status file, and only `load()` — daemons never start.
   */
  inspect?: boolean;
}

export type StartResult = { ok: true; state: 'running' | 'degraded' | 'stopped' } | { ok: false; exitCode: number; error: KoraError };

type BootOutcome = { kind: 'booted' } | { kind: 'interrupted' } | { kind: 'failed'; exitCode: number; error: KoraError; reason: string };

const DEFAULT_START_TIMEOUT = 30_000;
const DEFAULT_STOP_TIMEOUT = 10_000;
const PRUNE_EVERY_MS = 3_600_000;
/** Task runs rewrite the status file at most this often (state changes always at once). */
const STATUS_TASK_INTERVAL_MS = 1000;

/** Exit codes (DESIGN §5). */
export const EXIT = { ok: 0, fatal: 1, config: 2, forced: 130 } as const;

export class Gateway {
  readonly sessionId = randomUUID();
  readonly config: KoraConfig;
  readonly configFile: string | undefined;
  readonly home: string;
  readonly deployEnv: string;
  readonly env: Env;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly hooks: HookBus;
  readonly services = new ServiceRegistry();
  readonly daemons = new DaemonRegistry();
  readonly tools = new ToolRegistry();

  #options: GatewayOptions;
  #state: GatewayState = 'booting';
  #startedAt: number;
  #store: Store | undefined;
  #plugins: PluginRecord[] = [];
  #identity: ResolvedIdentity | undefined;
  #identityError: KoraError | undefined;
  #supervisor: Supervisor | undefined;
  #scheduler: Scheduler | undefined;
  #tasks = new Map<string, ResolvedTask[]>();
  #skipped = new Map<string, string>();
  #problems: string[] = [];
  #shutdownReason: string | null = null;
  #exitCode: number | null = null;
  #statusPath: string | undefined;
  #statusQueued = false;
  #statusTimer: ReturnType<Clock['setTimeout']> | undefined;
  #lastStatusWrite = -Infinity;
  #pruneTimer: ReturnType<Clock['setTimeout']> | undefined;
  #stopping: Promise<void> | undefined;
  #booting: Promise<BootOutcome> | undefined;

  private constructor(options: GatewayOptions, loaded: { config: KoraConfig; file: string | undefined; home: string; deployEnv: string; logger: Logger; env: Env }) {
    this.#options = options;
    this.config = loaded.config;
    this.configFile = loaded.file;
    this.home = loaded.home;
    this.deployEnv = loaded.deployEnv;
    this.logger = loaded.logger;
    this.env = loaded.env;
    this.clock = options.clock ?? createSystemClock();
    this.#startedAt = this.clock.now();
    this.hooks = new HookBus({ logger: this.logger.child({ part: 'hooks' }), clock: this.clock, timeoutMs: parseDuration(this.config.hooks.timeout) });
    if (options.statusFile !== false && !options.inspect) this.#statusPath = statusFilePath(this.home);
  }

  /** Read and validate the config and pass the deploy-env gate. Throws ConfigError (exit 2) or DeployEnvError (exit 1). */
  static async create(options: GatewayOptions = {}): Promise<Gateway> {
    const env = options.env ?? process.env;
    const cwd = options.cwd ?? process.cwd();
    const location = locateConfig({ flag: options.configPath, env, cwd });
    if (!location.path) {
      throw new ConfigError('KORA_ERR_CONFIG_NOT_FOUND', undefined, [{ path: '', message: 'looked for --config, $KORA_CONFIG, ./kora.yaml and $KORA_HOME/kora.yaml' }], 'No kora.yaml found: pass --config PATH, set KORA_CONFIG, or create ./kora.yaml.');
    }
    const { config, file } = loadConfigFile(location.path);
    const deployEnv = options.inspect ? (env.KORA_DEPLOY_ENV?.trim() || (options.dev || env.KORA_DEV === '1' ? 'dev' : '(unset)')) : resolveDeployEnv({ env, devFlag: options.dev });
    const home = resolveHome({ env, configPath: file, configHome: config.home });
    const level = (env.KORA_LOG_LEVEL as KoraConfig['log']['level']) ?? config.log.level ?? 'info';
    const logger = options.logger ?? (await createLogger({ level, pretty: (config.log.format ?? (deployEnv === 'dev' ? 'pretty' : 'json')) === 'pretty' }));
    return new Gateway(options, { config, file, home, deployEnv, logger, env });
  }

  get state(): GatewayState {
    return this.#state;
  }

  get plugins(): readonly PluginRecord[] {
    return this.#plugins;
  }

  get identity(): ResolvedIdentity {
    if (!this.#identity) throw this.#identityError ?? new KoraError('KORA_ERR_IDENTITY_UNRESOLVED', 'The identity is not resolved yet: the gateway has not started');
    return this.#identity;
  }

  get store(): Store {
    if (!this.#store) throw new KoraError('KORA_ERR_STORE', 'The store is not open: the gateway has not started');
    return this.#store;
  }

  /** Inspection: open the store, load the plugins and resolve the identity, without starting anything. Throws config errors. */
  async load(): Promise<void> {
    await this.#openStore();
    await this.#loadPlugins();
    await this.#resolveIdentity();
  }

  /** Release what `load()` opened. */
  async close(): Promise<void> {
    if (this.#pruneTimer) this.clock.clearTimeout(this.#pruneTimer);
    await this.#store?.close();
  }

  /**
   * Boot: store, plugins, identity, daemons FIFO, then their tasks. Never throws: failures come
   * back with their exit code. A `stop()` during boot lets the step under way finish (a daemon
   * start gets its signal aborted), starts nothing more, stops what started, and resolves
   * `{ ok: true, state: 'stopped' }`: a clean stop, exit 0.
   */
  async start(): Promise<StartResult> {
    this.#writeStatus();
    this.#booting = this.#boot();
    const outcome = await this.#booting;
    this.#booting = undefined;
    if (outcome.kind === 'failed') {
      this.#exitCode = outcome.exitCode;
      await this.stop(outcome.reason);
      return { ok: false, exitCode: outcome.exitCode, error: outcome.error };
    }
    if (this.#stopping) {
      await this.#stopping;
      return { ok: true, state: 'stopped' };
    }
    this.#state = this.#problems.length > 0 ? 'degraded' : 'running';
    this.#writeStatus();
    if (this.#state === 'degraded') this.logger.warn({ problems: this.#problems }, `gateway DEGRADED: ${this.#problems.join('; ')}`);
    await this.hooks.dispatch('gateway_started', { sessionId: this.sessionId, state: this.#state });
    return { ok: true, state: this.#state };
  }

  /** The boot steps, checking between them whether a stop was asked for. */
  async #boot(): Promise<BootOutcome> {
    const stopAsked = () => this.#stopping !== undefined;
    try {
      await this.#openStore();
      if (stopAsked()) return { kind: 'interrupted' };
      await this.#loadPlugins();
      const supervised = this.#selectDaemons();
      await this.#resolveIdentity();
      if (stopAsked()) return { kind: 'interrupted' };
      const outcome = await this.#startDaemons(supervised);
      if (!outcome.ok) return { kind: 'failed', exitCode: EXIT.fatal, error: outcome.error, reason: `fatal daemon ${outcome.fatal} failed to start` };
      if (stopAsked()) return { kind: 'interrupted' };
      await this.#scheduleTasks();
      return { kind: 'booted' };
    } catch (err) {
      const error = err instanceof KoraError ? err : new KoraError('KORA_ERR_DAEMON_START', describeError(err), {}, { cause: err });
      return { kind: 'failed', exitCode: exitCodeFor(error), error, reason: `boot failed: ${error.code}` };
    }
  }

  /**
   * Stop scheduling, drain runs, stop daemons LIFO, close the store. Idempotent; concurrent
   * callers share one stop. During boot it first lets the boot reach a safe point.
   */
  stop(reason: string): Promise<void> {
    this.#stopping ??= (async () => {
      this.#shutdownReason = reason;
      this.#state = 'shutting_down';
      this.#writeStatus();
      this.#supervisor?.halt();
      if (this.#booting) await this.#booting;
      await this.#stop(reason);
    })();
    return this.#stopping;
  }

  async #stop(reason: string): Promise<void> {
    this.#shutdownReason = reason;
    this.#state = 'shutting_down';
    this.#writeStatus();
    this.logger.info({ reason }, `gateway shutting down: ${reason}`);
    if (this.#pruneTimer) this.clock.clearTimeout(this.#pruneTimer);
    if (this.#statusTimer) this.clock.clearTimeout(this.#statusTimer);
    this.#statusTimer = undefined;
    const drainMs = parseDuration(this.config.gateway.drainBudget);
    try {
      await this.#scheduler?.stop(drainMs);
    } catch (err) {
      this.logger.error({ err }, 'error while draining task runs');
    }
    await this.#supervisor?.stop();
    try {
      await this.#store?.close();
    } catch (err) {
      this.logger.error({ err }, 'error while closing the store');
    }
    this.#exitCode ??= EXIT.ok;
    this.#state = 'stopped';
    this.#writeStatusNow();
    this.logger.info({ exitCode: this.#exitCode }, 'gateway stopped');
  }

  status(): GatewayStatus {
    const now = this.clock.now();
    const tasks = this.#scheduler?.status() ?? [];
    const supervised = this.#supervisor?.status() ?? [];
    const daemons: GatewayStatus['daemons'] = supervised.map((d) => ({ ...d, skipped: null, tasks: tasks.filter((t) => t.daemon === d.name) }));
    for (const [name, reason] of this.#skipped) {
      const reg = this.daemons.list().find((d) => d.spec.name === name);
      daemons.push({
        name,
        plugin: reg?.pluginId ?? '',
        state: 'stopped',
        fatal: false,
        error: null,
        errorCode: null,
        startedAt: null,
        startDurationMs: null,
        stoppedAt: null,
        stopDurationMs: null,
        skipped: reason,
        tasks: [],
      });
    }
    const id = this.#identity;
    return {
      schema: 1,
      pid: process.pid,
      sessionId: this.sessionId,
      state: this.#state,
      problems: [...this.#problems],
      deployEnv: this.deployEnv,
      startedAt: new Date(this.#startedAt).toISOString(),
      updatedAt: new Date(now).toISOString(),
      uptimeMs: now - this.#startedAt,
      shutdownReason: this.#shutdownReason,
      exitCode: this.#exitCode,
      home: this.home,
      config: this.configFile ?? null,
      store: this.#store ? { kind: this.#store.kind, location: this.#store.location } : null,
      identity: id
        ? { agentName: id.agentName, source: id.source, systemPromptChars: id.spec.systemPrompt.length, soulChars: id.spec.soul.length }
        : this.#identityError
          ? { error: this.#identityError.message, code: this.#identityError.code }
          : null,
      plugins: this.#plugins.filter((p) => p.enabled || p.state === 'invalid').map((p) => ({ id: p.id, version: p.version, source: p.source, state: p.state, error: p.error })),
      daemons,
    };
  }

  async #openStore(): Promise<void> {
    const url = this.#options.inspect ? 'sqlite::memory:' : this.env.KORA_STORE_URL || this.config.store.url;
    this.#store = await openStore({ url, home: this.home, logger: this.logger.child({ part: 'store' }), clock: this.clock });
    const stale = await this.#store.ledger.interruptStale({ not: this.sessionId });
    if (stale > 0) this.logger.warn({ runs: stale }, `${stale} task run(s) left running by an earlier gateway were marked interrupted`);
    if (!this.#options.inspect) await this.#prune();
  }

  /** Retention of the run ledger and the audit log: at boot, then hourly. A failure is logged, never fatal. */
  async #prune(): Promise<void> {
    const { ledger, audit } = this.config.store;
    const now = this.clock.now();
    try {
      await this.#store?.ledger.prune({ maxRowsPerTask: ledger.maxRowsPerTask, maxAgeMs: parseDuration(ledger.maxAge), now });
    } catch (err) {
      this.logger.error({ err }, 'pruning the run ledger failed');
    }
    try {
      const removed = await this.#store?.audit.prune({ before: now - parseDuration(audit.maxAge) });
      if (removed) this.logger.info({ removed, maxAge: audit.maxAge }, `audit log: ${removed} entries older than ${audit.maxAge} deleted`);
    } catch (err) {
      this.logger.error({ err }, 'pruning the audit log failed');
    }
    this.#pruneTimer = this.clock.setTimeout(() => void this.#prune(), PRUNE_EVERY_MS);
  }

  async #loadPlugins(): Promise<void> {
    const discovery = discoverPlugins({
      projectRoot: this.#projectRoot,
      home: this.home,
      env: this.env,
      logger: this.logger.child({ part: 'plugins' }),
      ...(this.#options.bundledDir !== undefined ? { bundledDir: this.#options.bundledDir } : {}),
    });
    this.#plugins = await loadPlugins(discovery, this.config, {
      hooks: this.hooks,
      services: this.services,
      daemons: this.daemons,
      tools: this.tools,
      store: this.store,
      logger: this.logger,
      clock: this.clock,
      home: this.home,
      env: this.env,
      deployEnv: this.deployEnv,
      configFile: this.configFile,
      registerTimeoutMs: parseDuration(this.config.hooks.timeout),
    });
    for (const p of this.#plugins) if (p.state === 'failed') this.#problems.push(`plugin ${p.id} failed: ${p.error}`);
  }

  /** Apply `daemons.<name>.enabled`, `--only` and `--skip`; resolve fatal flags, timeouts and task schedules. */
  #selectDaemons(): SupervisedDaemon[] {
    const known = this.daemons.names();
    const only = this.#options.only ?? [];
    const skip = this.#options.skip ?? [];
    const unknown = [...only, ...skip].filter((n) => !known.includes(n));
    if (unknown.length > 0) {
      throw new UsageError(`Unknown daemon name${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}. Known daemons: ${known.length ? known.join(', ') : '(none registered)'}`, { unknown, known });
    }
    for (const name of Object.keys(this.config.daemons)) {
      if (!known.includes(name)) this.logger.warn(`config has settings for daemon "${name}", but no loaded plugin registers it (known: ${known.join(', ') || 'none'})`);
    }
    const supervised: SupervisedDaemon[] = [];
    for (const { spec, pluginId } of this.daemons.list()) {
      const override = this.config.daemons[spec.name] ?? {};
      const reason =
        override.enabled === false ? 'disabled in config' : only.length > 0 && !only.includes(spec.name) ? 'not named by --only' : skip.includes(spec.name) ? 'named by --skip' : null;
      if (reason) {
        this.#skipped.set(spec.name, reason);
        continue;
      }
      const where = `daemons.${spec.name}`;
      const tasks: ResolvedTask[] = [];
      const taskOverrides = override.tasks ?? {};
      for (const name of Object.keys(taskOverrides)) {
        if (!(spec.tasks ?? []).some((t) => t.name === name)) {
          throw new ConfigError('KORA_ERR_CONFIG_INVALID', this.configFile, [
            { path: `${where}.tasks.${name}`, message: `daemon "${spec.name}" has no task "${name}"; its tasks: ${(spec.tasks ?? []).map((t) => t.name).join(', ') || 'none'}` },
          ]);
        }
      }
      for (const task of spec.tasks ?? []) {
        const resolved = resolveTask(task, { daemon: spec.name, pluginId }, taskOverrides[task.name], { file: this.configFile, path: `${where}.tasks.${task.name}` }, this.clock.now());
        if (resolved) tasks.push(resolved);
      }
      this.#tasks.set(spec.name, tasks);
      supervised.push({
        name: spec.name,
        pluginId,
        spec,
        fatal: override.fatal ?? spec.fatalOnStartupFailure ?? false,
        startTimeoutMs: this.#timeoutOf(override.startTimeout, spec.startTimeout, DEFAULT_START_TIMEOUT, `${where}.startTimeout`, pluginId),
        stopTimeoutMs: this.#timeoutOf(override.stopTimeout, spec.stopTimeout, DEFAULT_STOP_TIMEOUT, `${where}.stopTimeout`, pluginId),
      });
    }
    return supervised;
  }

  /**
   * A daemon's start or stop timeout: the config's override, else the daemon's own, else the
   * default. The config's was validated with the file; a bad one in the daemon's spec is a
   * plugin bug the operator can still work around in kora.yaml, so the error says both.
   */
  #timeoutOf(configured: string | undefined, declared: string | number | undefined, fallback: number, path: string, pluginId: string): number {
    if (configured !== undefined) return parseDuration(configured, path);
    if (declared === undefined) return fallback;
    try {
      return parseDuration(declared, path);
    } catch (err) {
      const field = path.slice(path.lastIndexOf('.') + 1);
      throw new ConfigError('KORA_ERR_CONFIG_INVALID', this.configFile, [
        { path, message: `plugin "${pluginId}" declares ${field} ${JSON.stringify(declared)}, which is not a duration (${describeError(err)}); set ${path} here to override it, or fix the plugin` },
      ]);
    }
  }

  /** The folder of kora.yaml: where installed plugins are looked for and config paths are relative to. */
  get #projectRoot(): string {
    return this.configFile ? dirname(this.configFile) : (this.#options.cwd ?? process.cwd());
  }

  /** A path written in kora.yaml is relative to that file, like `home`. */
  #configRelative(path: string | undefined): string | undefined {
    if (path === undefined) return undefined;
    return resolvePath(this.#projectRoot, path);
  }

  async #resolveIdentity(): Promise<void> {
    const files = {
      systemPromptPath: this.env.KORA_SYSTEM_PROMPT_PATH || this.#configRelative(this.config.identity.systemPromptPath),
      soulPath: this.env.KORA_SOUL_MD_PATH || this.#configRelative(this.config.identity.soulPath),
    };
    try {
      this.#identity = await resolveIdentity({ hooks: this.hooks, request: { deployEnv: this.deployEnv, home: this.home }, files, logger: this.logger.child({ part: 'identity' }) });
    } catch (err) {
      // Fail closed: no agent speaks without an identity; the engine asking for it fails. The gateway still hosts its daemons.
      this.#identityError = err instanceof KoraError ? err : new KoraError('KORA_ERR_IDENTITY_UNRESOLVED', describeError(err));
      this.#problems.push(`identity unresolved: ${this.#identityError.message}`);
      // Inspection commands report it themselves; a running gateway logs it loudly.
      if (!this.#options.inspect) this.logger.error({ code: this.#identityError.code }, this.#identityError.message);
    }
  }

  async #startDaemons(supervised: SupervisedDaemon[]) {
    this.#supervisor = new Supervisor({
      daemons: supervised,
      services: this.services,
      logger: this.logger,
      clock: this.clock,
      onChange: () => this.#writeStatus(),
      onFailure: (daemon, error) => {
        if (!daemon.fatal) this.#problems.push(`daemon ${daemon.name} failed: ${error.message}`);
        void this.hooks.dispatch('daemon_failed', { daemon: daemon.name, pluginId: daemon.pluginId, error: error.message, fatal: daemon.fatal });
      },
    });
    return this.#supervisor.start();
  }

  async #scheduleTasks(): Promise<void> {
    this.#scheduler = new Scheduler({
      clock: this.clock,
      ledger: this.store.ledger,
      logger: this.logger.child({ part: 'scheduler' }),
      owner: this.sessionId,
      onChange: () => this.#taskChanged(),
    });
    for (const name of this.#supervisor?.running() ?? []) {
      const tasks = this.#tasks.get(name) ?? [];
      if (tasks.length > 0) await this.#scheduler.add(name, tasks);
    }
  }

  /**
   * A task run, skip or miss was recorded. The first after a quiet second is written at once;
   * a burst after it (hundreds of runs a second) is written once, a second after the last
   * write: the file stays at most a second behind, and writing it does not cost a core.
   */
  #taskChanged(): void {
    if (!this.#statusPath || this.#statusTimer) return;
    const wait = this.#lastStatusWrite + STATUS_TASK_INTERVAL_MS - this.clock.now();
    if (wait <= 0) {
      this.#writeStatus();
      return;
    }
    this.#statusTimer = this.clock.setTimeout(() => {
      this.#statusTimer = undefined;
      this.#writeStatus();
    }, wait);
  }

  /** Coalesce bursts of changes (several daemons changing state in one turn) into one write. */
  #writeStatus(): void {
    if (!this.#statusPath || this.#statusQueued) return;
    this.#statusQueued = true;
    setImmediate(() => {
      this.#statusQueued = false;
      if (this.#state !== 'stopped') this.#writeStatusNow();
    });
  }

  #writeStatusNow(): void {
    if (!this.#statusPath) return;
    this.#lastStatusWrite = this.clock.now();
    try {
      writeStatusFile(this.#statusPath, this.status());
    } catch (err) {
      this.logger.error({ err, path: this.#statusPath }, 'cannot write the status file');
    }
  }
}


/** Map a boot error to the exit code a process supervisor acts on. */
export function exitCodeFor(error: KoraError): number {
  switch (error.code) {
    case 'KORA_ERR_CONFIG_NOT_FOUND':
    case 'KORA_ERR_CONFIG_PARSE':
    case 'KORA_ERR_CONFIG_INVALID':
    case 'KORA_ERR_SCHEDULE_INVALID':
    case 'KORA_ERR_PLUGIN_CRITICAL':
    case 'KORA_ERR_PLUGIN_NOT_FOUND':
    case 'KORA_ERR_USAGE':
      return EXIT.config;
    default:
      return EXIT.fatal;
  }
}
