// The gateway: composes config, store, plugins, identity, supervisor and scheduler for one
// process. It holds all state of one gateway, so two can run in one process.
import { randomUUID } from 'node:crypto';
import { dirname } from 'node:path';
import { loadConfigFile } from '../config/load.js';
import { requireConfig, resolveHome, type Env } from '../config/locate.js';
import { resolveDeployEnv } from '../config/deploy-env.js';
import { readKoraEnv, type KoraEnv } from '../config/env.js';
import type { KoraConfig } from '../config/schema.js';
import { ConfigError, describeError, EXIT, exitCodeOf, KoraError, type ConfigSource } from '../errors.js';
import { DaemonRegistry } from '../daemons/registry.js';
import { Supervisor, type SupervisedDaemon } from '../daemons/supervisor.js';
import { HookBus } from '../hooks/hook-bus.js';
import { identityFiles } from '../identity/env.js';
import { resolveIdentity } from '../identity/resolve.js';
import type { ResolvedIdentity } from '../identity/types.js';
import type { DestinationStream } from 'pino';
import { createLogger, type Logger, type LogLevel } from '../log/logger.js';
import { createSecretScrubber, type SecretScrubber } from '../log/scrubber.js';
import { Attribution, describeOwner, type CodeOwner } from '../plugins/attribution.js';
import { ContributionRegistry } from '../plugins/contributions.js';
import { discoverPlugins } from '../plugins/discovery.js';
import { loadPlugins, type PluginRecord } from '../plugins/loader.js';
import { ToolPipeline } from '../plugins/tool-pipeline.js';
import { ToolRegistry } from '../plugins/tool-registry.js';
import type { GatewayOperations, GatewayView, PluginInbox } from '../plugins/types.js';
import { createOperations } from './operations.js';
import { ConsumerRunner } from '../inbox/consumer-runner.js';
import { FleetMembership } from '../fleet/membership.js';
import { readFleet } from '../fleet/view.js';
import type { ResolvedTask } from '../schedule/resolve.js';
import { Scheduler } from '../schedule/scheduler.js';
import { ServiceRegistry } from '../services/registry.js';
import { openStore } from '../store/index.js';
import type { Store } from '../store/types.js';
import { createSystemClock, type Clock, type TimerHandle } from '../time/clock.js';

/** The inbox counts in the status are read at most this often. */
const INBOX_STATS_EVERY_MS = 1000;
import { parseDuration } from '../time/duration.js';
import { acquireHomeLock } from './home-lock.js';
import { Problems } from './problems.js';
import { notEnabledNotices, type NotEnabledNotice } from '../plugins/notices.js';
import { RETENTION_DAEMON, RUNTIME_PLUGIN_ID, retentionDaemon } from './runtime-daemon.js';
import { watchStore } from './store-watch.js';
import { planBoot } from './plan.js';
import { scrubbedStore } from './scrubbed-store.js';
import { rollUpStatus } from './status-rollup.js';
import type { ExitRecord, GatewayState, GatewayStatus } from './status.js';
import { statusFilePath } from './status-file.js';
import { StatusWriter } from './status-writer.js';

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
  /** Where the gateway's own logger writes (default stderr); inspection commands on a terminal pass readable lines. */
  logDestination?: DestinationStream;
  /** Log level when `KORA_LOG_LEVEL` does not set one; above the config's (inspection commands say `warn`). */
  logLevel?: LogLevel;
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

export { RETENTION_DAEMON, RETENTION_TASK, RUNTIME_PLUGIN_ID } from './runtime-daemon.js';

export { EXIT };

export class Gateway {
  readonly sessionId = randomUUID();
  readonly config: KoraConfig;
  readonly configFile: string | undefined;
  readonly home: string;
  readonly deployEnv: string;
  readonly env: Env;
  /** The environment, checked: what the gateway reads instead of `env` directly. */
  readonly koraEnv: KoraEnv;
  /** Scrubs every secret of the environment and config from what the gateway writes or shows. */
  readonly scrubber: SecretScrubber;
  /** Lines of kora.yaml, for config errors raised after loading. */
  readonly configSource: ConfigSource | undefined;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly hooks: HookBus;
  readonly services = new ServiceRegistry();
  readonly daemons = new DaemonRegistry();
  readonly tools = new ToolRegistry();
  readonly contributions = new ContributionRegistry();
  /** Which plugin's code is running: how an asynchronous error is pinned on its plugin and daemon. */
  readonly attribution = new Attribution();
  readonly toolPipeline: ToolPipeline;

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
  #skipped = new Map<string, { plugin: string; reason: string }>();
  #failedPlugins = new Map<string, string>();
  #releaseLock: (() => void) | undefined;
  #unwatchStore: (() => void) | undefined;
  #consumers: ConsumerRunner | undefined;
  #fleet: FleetMembership | undefined;
  /** The inbox per topic, as last read (status() is synchronous; the store is not). */
  #inboxStats: GatewayStatus['inbox'] = [];
  #inboxStatsTimer: TimerHandle | undefined;
  #inboxStatsReadAt = -Infinity;
  #inboxStatsDirty = false;
  #problems = new Problems();
  #shutdownReason: string | null = null;
  #exitCode: number | null = null;
  #statusWriter: StatusWriter | undefined;
  #exit: ExitRecord | null = null;
  #stopping: Promise<void> | undefined;
  #markStopped: () => void = () => {};
  readonly #stopped = new Promise<void>((resolve) => (this.#markStopped = resolve));
  #booting: Promise<BootOutcome> | undefined;

  private constructor(
    options: GatewayOptions,
    loaded: { config: KoraConfig; file: string | undefined; source: ConfigSource | undefined; home: string; deployEnv: string; logger: Logger; env: Env; koraEnv: KoraEnv; scrubber: SecretScrubber },
  ) {
    this.#options = options;
    this.config = loaded.config;
    this.configFile = loaded.file;
    this.home = loaded.home;
    this.deployEnv = loaded.deployEnv;
    this.logger = loaded.logger;
    this.env = loaded.env;
    this.koraEnv = loaded.koraEnv;
    this.scrubber = loaded.scrubber;
    this.configSource = loaded.source;
    this.clock = options.clock ?? createSystemClock();
    this.#startedAt = this.clock.now();
    this.hooks = new HookBus({ logger: this.logger.child({ part: 'hooks' }), clock: this.clock, timeoutMs: parseDuration(this.config.hooks.timeout) });
    this.toolPipeline = new ToolPipeline({ tools: this.tools, hooks: this.hooks, clock: this.clock, logger: this.logger.child({ part: 'tools' }), attribution: this.attribution });
    if (options.statusFile !== false && !options.inspect) {
      const path = statusFilePath(this.home);
      this.#statusWriter = new StatusWriter({
        path,
        clock: this.clock,
        status: () => this.status(),
        scrubber: this.scrubber,
        heartbeatEveryMs: parseDuration(this.config.gateway.heartbeatEvery),
        onError: (err) => this.#problem('status-file', `cannot write the status file: ${err.message}`),
        onRecovered: () => this.#resolved('status-file', `the status file ${path} is written again`),
      });
    }
  }

  /** Read and validate the config and pass the deploy-env gate. Throws ConfigError (exit 2) or DeployEnvError (exit 1). */
  static async create(options: GatewayOptions = {}): Promise<Gateway> {
    const env = options.env ?? process.env;
    const cwd = options.cwd ?? process.cwd();
    const configPath = requireConfig({ flag: options.configPath, env, cwd });
    // Every environment input checked first, with one coded error listing all that are wrong.
    const koraEnv = readKoraEnv(env);
    const { config, file, source } = loadConfigFile(configPath);
    const deployEnv = options.inspect ? (koraEnv.deployEnv || (options.dev || koraEnv.dev ? 'dev' : '(unset)')) : resolveDeployEnv({ env, devFlag: options.dev });
    const home = resolveHome({ env, configPath: file, configHome: config.home });
    // Built before the logger, so no line ever carries a secret of the environment or the config.
    const scrubber = createSecretScrubber({ env, config });
    const level = koraEnv.logLevel ?? options.logLevel ?? config.log.level ?? 'info';
    const logger =
      options.logger ??
      (await createLogger({
        level,
        scrubber,
        pretty: (config.log.format ?? (deployEnv === 'dev' ? 'pretty' : 'json')) === 'pretty',
        ...(options.logDestination ? { destination: options.logDestination } : {}),
      }));
    return new Gateway(options, { config, file, source, home, deployEnv, logger, env, koraEnv, scrubber });
  }

  get state(): GatewayState {
    return this.#state;
  }

  get plugins(): readonly PluginRecord[] {
    return this.#plugins;
  }

  /** Why the gateway is (or would run) degraded, as status shows it; inspection commands print them too. */
  get problems(): string[] {
    return this.#problems.list();
  }

  /** Plugins configured or installed but not in plugins.enabled, each with the command that enables it (after load). */
  get notEnabled(): NotEnabledNotice[] {
    return notEnabledNotices(this.#plugins, this.config);
  }

  get identity(): ResolvedIdentity {
    if (!this.#identity) throw this.#identityError ?? new KoraError('KORA_ERR_IDENTITY_UNRESOLVED', 'The identity is not resolved yet: the gateway has not started');
    return this.#identity;
  }

  get store(): Store {
    if (!this.#store) throw new KoraError('KORA_ERR_GATEWAY_NOT_STARTED', 'The store is not open: the gateway has not started (call start() or load() first)');
    return this.#store;
  }

  /** Inspection: open the store, load the plugins and resolve the identity, without starting anything. Throws config errors. */
  async load(): Promise<void> {
    try {
      await this.#openStore();
      await this.#loadPlugins();
      await this.#resolveIdentity();
    } catch (err) {
      throw this.located(err);
    }
  }

  /** A config error raised after loading gets the file's line numbers (any other error is returned as it is). */
  located(err: unknown): unknown {
    return err instanceof ConfigError && this.configSource ? err.withSource(this.configSource) : err;
  }

  /** Release what `load()` opened. */
  async close(): Promise<void> {
    await this.#store?.close();
  }

  /**
   * Boot: store, plugins, identity, daemons FIFO, then their tasks. Never throws: failures come
   * back with their exit code. A `stop()` during boot lets the step under way finish (a daemon
   * start gets its signal aborted), starts nothing more, stops what started, and resolves
   * `{ ok: true, state: 'stopped' }`: a clean stop, exit 0.
   */
  async start(): Promise<StartResult> {
    // Before anything is written: a second gateway on this home must not touch its status file.
    try {
      this.#lockHome();
    } catch (err) {
      const error = err instanceof KoraError ? err : new KoraError('KORA_ERR_GATEWAY_FAULT', describeError(err));
      this.#statusWriter = undefined;
      this.#state = 'stopped';
      return { ok: false, exitCode: EXIT.fatal, error };
    }
    this.#statusWriter?.start();
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
    this.#state = this.#problems.any ? 'degraded' : 'running';
    this.#statusWriter?.changed();
    if (this.#state === 'degraded') this.logger.warn({ problems: this.#problems.list() }, `gateway DEGRADED: ${this.#problems.list().join('; ')}`);
    // Observers are told, not waited for: a hanging callback must not hold the boot summary back.
    void this.hooks.dispatch('gateway_started', { sessionId: this.sessionId, state: this.#state });
    return { ok: true, state: this.#state };
  }

  /** The boot steps, checking between them whether a stop was asked for. */
  async #boot(): Promise<BootOutcome> {
    const stopAsked = () => this.#stopping !== undefined;
    try {
      await this.#openStore();
      if (stopAsked()) return { kind: 'interrupted' };
      await this.#joinFleet();
      if (stopAsked()) return { kind: 'interrupted' };
      this.#registerRuntimeDaemon();
      await this.#loadPlugins();
      const supervised = this.#plan();
      await this.#resolveIdentity();
      if (stopAsked()) return { kind: 'interrupted' };
      const outcome = await this.#startDaemons(supervised);
      if (!outcome.ok) return { kind: 'failed', exitCode: EXIT.fatal, error: outcome.error, reason: `fatal daemon ${outcome.fatal} failed to start` };
      if (stopAsked()) return { kind: 'interrupted' };
      await this.#scheduleTasks();
      this.#startConsumers();
      this.#fleet?.start();
      return { kind: 'booted' };
    } catch (caught) {
      const err = this.located(caught);
      const error = err instanceof KoraError ? err : new KoraError('KORA_ERR_GATEWAY_FAULT', `boot failed: ${describeError(err)}`, {}, { cause: err });
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
      this.#statusWriter?.changed();
      this.#supervisor?.halt();
      if (this.#booting) await this.#booting;
      await this.#stop(reason);
    })();
    return this.#stopping;
  }

  async #stop(reason: string): Promise<void> {
    this.#shutdownReason = reason;
    this.#state = 'shutting_down';
    this.#statusWriter?.changed();
    this.logger.info({ reason }, `gateway shutting down: ${reason}`);
    this.#unwatchStore?.();
    const drainMs = parseDuration(this.config.gateway.drainBudget);
    try {
      const stopped = await this.#scheduler?.stop(drainMs);
      if (stopped?.unwrittenRows) this.logger.error({ rows: stopped.unwrittenRows }, `${stopped.unwrittenRows} run ledger row(s) could not be written before the stop`);
    } catch (err) {
      this.logger.error({ err }, 'error while draining task runs');
    }
    try {
      await this.#consumers?.stop(drainMs);
    } catch (err) {
      this.logger.error({ err }, 'error while draining inbox deliveries');
    }
    await this.#supervisor?.stop();
    // The leader-scoped daemons are stopped: the lead is given up for another gateway to take at once.
    await this.#fleet?.leave();
    if (this.#inboxStatsTimer) this.clock.clearTimeout(this.#inboxStatsTimer);
    try {
      await this.#store?.close();
    } catch (err) {
      this.logger.error({ err }, 'error while closing the store');
    }
    this.#exitCode ??= EXIT.ok;
    this.#state = 'stopped';
    this.#exit ??= { code: this.#exitCode, reason, at: new Date(this.clock.now()).toISOString() };
    this.#statusWriter?.writeFinal();
    this.#releaseLock?.();
    this.logger.info({ exitCode: this.#exitCode }, `gateway stopped (exit ${this.#exitCode})`);
    this.#markStopped();
  }

  /** Settles once the gateway has stopped, whatever stopped it. */
  whenStopped(): Promise<void> {
    return this.#stopped;
  }

  /** The exit code the gateway will end with: set by a fatal failure or a fault, else 0 once stopped. */
  get exitCode(): number | null {
    return this.#exitCode;
  }

  /**
   * An error nobody caught (uncaughtException, unhandledRejection, a plugin's process.exit). Code
   * attributed to a plugin fails that plugin's daemon (or, for plugin-level code, the plugin and
   * all its daemons) and the gateway goes on, degraded. An error the runtime cannot pin on a
   * plugin stops the gateway cleanly with exit 1: its own state can no longer be trusted.
   */
  fault(err: unknown, owner: CodeOwner | undefined = this.attribution.current()): void {
    // The error `exitCalled` threw, arriving again as uncaught: it was handled where it was thrown.
    if (err instanceof KoraError && err.code === 'KORA_ERR_PLUGIN_EXIT') return;
    const message = describeError(err);
    if (!owner) {
      this.logger.fatal({ err }, `unattributed error, stopping the gateway: ${message}`);
      this.#exitCode = Math.max(this.#exitCode ?? 0, EXIT.fatal);
      void this.stop(`unattributed error: ${message}`);
      return;
    }
    const who = describeOwner(owner);
    const error = new KoraError('KORA_ERR_PLUGIN_FAULT', `${who} threw asynchronously: ${message}`, { pluginId: owner.pluginId, daemon: owner.daemon }, { cause: err });
    this.logger.error({ err, pluginId: owner.pluginId, daemon: owner.daemon }, `${who} failed: ${message}`);
    void this.#failOwner(owner, error);
  }

  async #failOwner(owner: CodeOwner, error: KoraError): Promise<void> {
    const daemons = owner.daemon ? [owner.daemon] : this.daemons.list().filter((d) => d.pluginId === owner.pluginId).map((d) => d.spec.name);
    if (!owner.daemon) {
      const record = this.#plugins.find((p) => p.id === owner.pluginId);
      if (record && record.state !== 'failed') {
        record.state = 'failed';
        record.error = error.message;
        record.errorCode = error.code;
        this.#problems.add(`plugin ${owner.pluginId} failed: ${error.message}`);
      }
      this.#failedPlugins.set(owner.pluginId, error.message);
    }
    for (const name of daemons) {
      // Its tasks stop first, so none runs against a daemon being torn down.
      await this.#scheduler?.remove(name, 0);
      await this.#consumers?.remove(name, 0);
      await this.#supervisor?.fail(name, error);
    }
    this.#refreshState();
  }

  /** A condition that degrades the gateway until `#resolved(key)`: loud when it starts, logged when it clears. */
  #problem(key: string, message: string): void {
    if (!this.#problems.set(key, message)) return;
    this.logger.error({ condition: key }, message);
    this.#refreshState();
  }

  #resolved(key: string, message: string): void {
    if (!this.#problems.clear(key)) return;
    this.logger.info({ condition: key }, message);
    this.#refreshState();
  }

  /** running ⇄ degraded from the problems recorded; never leaves booting or a stop. */
  #refreshState(): void {
    const problems = this.#problems.list();
    if (this.#state === 'running' && problems.length > 0) {
      this.#state = 'degraded';
      this.logger.warn({ problems }, `gateway DEGRADED: ${problems.join('; ')}`);
    } else if (this.#state === 'degraded' && problems.length === 0) {
      this.#state = 'running';
      this.logger.info('gateway running again: no problem left');
    }
    this.#statusWriter?.changed();
  }

  /**
   * Code called `process.exit(code)` outside the gateway's own stop. Attributed to a plugin, it
   * fails that plugin's daemon like a throw and the gateway goes on; otherwise the gateway stops
   * cleanly, and never with 0: a supervisor must see that something ended it.
   */
  exitCalled(code: number, owner: CodeOwner | undefined = this.attribution.current()): KoraError {
    const who = owner ? describeOwner(owner) : 'code outside any plugin';
    const error = new KoraError('KORA_ERR_PLUGIN_EXIT', `${who} called process.exit(${code}); the gateway does not exit on its behalf`, {
      code,
      pluginId: owner?.pluginId,
      daemon: owner?.daemon,
    });
    this.#problems.add(error.message);
    if (owner) {
      this.logger.error({ pluginId: owner.pluginId, daemon: owner.daemon, code }, error.message);
      void this.#failOwner(owner, error);
    } else {
      this.logger.fatal({ code }, `${error.message}: stopping the gateway`);
      this.#exitCode = Math.max(this.#exitCode ?? 0, code === 0 ? EXIT.fatal : code);
      void this.stop(`process.exit(${code}) called by ${who}`);
    }
    return error;
  }

  /** Record an exit the gateway did not choose (a second signal): written at once, since the process ends right after. */
  recordForcedExit(code: number, reason: string): void {
    this.#exitCode = code;
    this.#shutdownReason = this.#shutdownReason ? `${this.#shutdownReason}; then ${reason}` : reason;
    this.#state = 'stopped';
    this.#exit = { code, reason, at: new Date(this.clock.now()).toISOString(), forced: true };
    this.#statusWriter?.writeFinal();
    this.#releaseLock?.();
  }

  /** What producers enqueue through (`ctx.inbox`): stored first, then the consumers are woken. */
  readonly #producerInbox: PluginInbox = {
    enqueue: async (message) => {
      const result = await this.store.inbox.enqueue(message);
      if (!result.duplicate) this.#consumers?.wake();
      this.#refreshInboxStats();
      return result;
    },
  };

  /**
   * Read the inbox's per-topic counts for status, in the background, at most once a second: a
   * burst of webhooks must not cost a count over the whole inbox per request. A change during
   * a read or within the second gets one read after it, so the counts are never left stale.
   */
  #refreshInboxStats(): void {
    if (!this.#store || this.#state === 'stopped') return;
    if (this.#inboxStatsTimer) {
      this.#inboxStatsDirty = true;
      return;
    }
    this.#inboxStatsDirty = false;
    const wait = Math.max(0, this.#inboxStatsReadAt + INBOX_STATS_EVERY_MS - this.clock.monotonic());
    this.#inboxStatsTimer = this.clock.setTimeout(() => void this.#readInboxStats(), wait);
  }

  async #readInboxStats(): Promise<void> {
    const store = this.#store;
    this.#inboxStatsReadAt = this.clock.monotonic();
    try {
      if (!store || this.#state === 'stopped') return;
      const stats = await store.inbox.stats();
      const consumers = new Map((this.#consumers?.topics() ?? []).map((t) => [t.topic, t.daemon]));
      const topics = new Set([...Object.keys(stats), ...consumers.keys()]);
      this.#inboxStats = [...topics].sort().map((topic) => ({ topic, consumer: consumers.get(topic) ?? null, ...(stats[topic] ?? { pending: 0, inFlight: 0, dead: 0 }) }));
      this.#statusWriter?.taskChanged();
    } catch (err) {
      this.logger.warn({ err }, `inbox: reading its counts for status failed: ${describeError(err)}`);
    } finally {
      // Cleared only now: a change during the read gets the next read, after the interval.
      this.#inboxStatsTimer = undefined;
      if (this.#inboxStatsDirty) this.#refreshInboxStats();
    }
  }

  /** What plugins do to the gateway (`ctx.operations`): each operation audited with its actor. */
  get operations(): GatewayOperations {
    return (this.#operations ??= this.#createOperations());
  }

  #operations: GatewayOperations | undefined;

  #createOperations(): GatewayOperations {
    return createOperations({
    clock: this.clock,
    logger: this.logger,
    store: () => this.#store,
    scheduler: () => this.#scheduler,
    stopping: () => this.#stopping !== undefined || this.#state === 'stopped',
    stop: (reason) => void this.stop(reason),
    scrub: (value) => this.scrubber.scrubDeep(value),
    inboxChanged: () => {
      this.#consumers?.wake();
      this.#refreshInboxStats();
    },
    });
  }

  /** A read-only view for plugins (`ctx.gateway`). */
  get view(): GatewayView {
    return {
      sessionId: this.sessionId,
      identity: () => this.#identity ?? null,
      status: () => this.status(),
      recentRuns: (query) => this.store.ledger.recent(query),
      readAudit: (query) => this.store.audit.list(query),
      tailAudit: (cursor, options) => this.store.audit.tail(cursor, options),
      fleet: () => readFleet(this.store, { now: this.clock.now(), leaseMs: parseDuration(this.config.fleet.lease) }),
      auditPage: (query) => this.store.audit.page(query),
    };
  }

  /** Login links the running daemons published (a dev-mode admin UI link): for the boot summary on the terminal only. */
  loginLinks(): { daemon: string; name: string; login: string }[] {
    return this.#supervisor?.loginLinks() ?? [];
  }

  /** The status, secrets scrubbed: what the status file, `kora status`, the admin API and MCP show. */
  status(): GatewayStatus {
    return this.scrubber.scrubDeep(this.#rollUp());
  }

  #rollUp(): GatewayStatus {
    return rollUpStatus({
      now: this.clock.now(),
      startedAt: this.#startedAt,
      sessionId: this.sessionId,
      state: this.#state,
      problems: this.#problems.list(),
      deployEnv: this.deployEnv,
      shutdownReason: this.#shutdownReason,
      exitCode: this.#exitCode,
      home: this.home,
      configFile: this.configFile,
      store: this.#store ? { kind: this.#store.kind, location: this.#store.location } : null,
      identity: this.#identity,
      identityError: this.#identityError,
      plugins: this.#plugins,
      daemons: this.#supervisor?.status() ?? [],
      skipped: this.#skipped,
      tasks: this.#scheduler?.status() ?? [],
      heartbeat: this.#statusWriter ? this.#statusWriter.heartbeat : null,
      inbox: this.#inboxStats,
      exit: this.#exit,
      fleet: this.#fleet?.status() ?? null,
    });
  }

  #lockHome(): void {
    if (this.#options.inspect || this.#options.statusFile === false) return;
    this.#releaseLock = acquireHomeLock(this.home, { pid: process.pid, sessionId: this.sessionId, startedAt: new Date(this.#startedAt).toISOString() }, (holder) =>
      this.logger.warn({ holder }, `taking over the home lock of a gateway that is gone${holder ? ` (pid ${holder.pid}, session ${holder.sessionId})` : ''}`),
    );
  }

  async #openStore(): Promise<void> {
    const url = this.#options.inspect ? 'sqlite::memory:' : this.koraEnv.storeUrl || this.config.store.url;
    this.#store = scrubbedStore(
      await openStore({
        url,
        home: this.home,
        logger: this.logger.child({ part: 'store' }),
        clock: this.clock,
        // A run's claim lasts as long as its gateway's place in the fleet: both say "gone" alike.
        leaseMs: parseDuration(this.config.fleet.lease),
        poolSize: this.config.store.pool,
      }),
      this.scrubber,
    );
    if (!this.#options.inspect) this.#watchStore(this.#store);
    const stale = await this.#store.ledger.interruptStale({ not: this.sessionId });
    if (stale > 0) this.logger.warn({ runs: stale }, `${stale} task run(s) left running by an earlier gateway were marked interrupted`);
    // Items an earlier gateway held when it died are delivered again now, not a lease later.
    const requeued = await this.#store.inbox.requeueStale({ not: this.sessionId });
    if (requeued > 0) this.logger.warn({ items: requeued }, `${requeued} inbox item(s) held by an earlier gateway were put back to be delivered again`);
  }

  /**
   * A store the gateway can no longer write (disk full, file deleted, a lock held elsewhere)
   * degrades the gateway with the reason, loudly, until a write succeeds again.
   */
  #watchStore(store: Store): void {
    this.#unwatchStore = watchStore(store, this.clock, parseDuration(this.config.gateway.heartbeatEvery), (health) => {
      if (health.ok) this.#resolved('store', `the store at ${store.location} is writable again`);
      else this.#problem('store', `store: ${health.reason} (${health.code})`);
    });
  }

  /**
   * Register in the store's fleet and try for the lead before any daemon starts: leader-scoped
   * daemons start only on the leader (on SQLite, the one gateway always leads).
   */
  async #joinFleet(): Promise<void> {
    if (this.#options.inspect) return;
    const leaseMs = parseDuration(this.config.fleet.lease);
    const every = this.config.fleet.heartbeatEvery;
    this.#fleet = new FleetMembership({
      store: this.store,
      clock: this.clock,
      logger: this.logger.child({ part: 'fleet' }),
      sessionId: this.sessionId,
      startedAt: this.#startedAt,
      leaseMs,
      heartbeatEveryMs: every === undefined ? Math.max(1, Math.floor(leaseMs / 3)) : parseDuration(every),
      state: () => this.#state,
      onLeadership: (leading) => (leading ? this.#startLeaderScoped() : this.#stopLeaderScoped()),
      onBeat: (leading) => this.#sweep(leading),
    });
    await this.#fleet.join();
  }

  /** The lead came: start the leader-scoped daemons, then their tasks and consumers. */
  async #startLeaderScoped(): Promise<void> {
    if (!this.#supervisor || this.#stopping) return;
    const started = await this.#supervisor.startLeaderScoped();
    for (const name of started) {
      const tasks = this.#tasks.get(name) ?? [];
      if (tasks.length > 0) await this.#scheduler?.add(name, tasks);
      const spec = this.daemons.list().find((d) => d.spec.name === name);
      if (spec?.spec.consumers?.length) this.#consumers?.add(name, spec.pluginId, spec.spec.consumers);
    }
    this.#refreshInboxStats();
    this.#statusWriter?.changed();
  }

  /** The lead went: the leader-scoped daemons' tasks and consumers drain, then the daemons stop. */
  async #stopLeaderScoped(): Promise<void> {
    if (!this.#supervisor) return;
    const names = this.#supervisor.runningLeaderScoped();
    const drainMs = parseDuration(this.config.gateway.drainBudget);
    for (const name of [...names].reverse()) {
      await this.#scheduler?.remove(name, drainMs);
      await this.#consumers?.remove(name, drainMs);
    }
    await this.#supervisor.stopLeaderScoped(names);
    this.#refreshInboxStats();
    this.#statusWriter?.changed();
  }

  /**
   * The leader's round on a shared store: runs whose gateway is gone (lease expired) are taken
   * over under `missed: run-once` or marked interrupted, so no slot stays `running` for ever.
   */
  async #sweep(leading: boolean): Promise<void> {
    this.#statusWriter?.changed();
    if (!leading || !this.#store || this.#store.exclusive || this.#stopping) return;
    await this.#scheduler?.sweepExpired();
  }

  /** The runtime's own daemon (retention), registered before any plugin's so it starts first. */
  #registerRuntimeDaemon(): void {
    if (this.#options.inspect) return;
    this.daemons.register(RUNTIME_PLUGIN_ID, retentionDaemon({ store: () => this.store, retention: this.config.store, clock: this.clock, logger: this.logger.child({ part: 'store' }) }));
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
      toolPipeline: this.toolPipeline,
      contributions: this.contributions,
      attribution: this.attribution,
      gateway: this.view,
      operations: this.operations,
      inbox: this.#producerInbox,
      store: this.store,
      logger: this.logger,
      clock: this.clock,
      home: this.home,
      env: this.env,
      deployEnv: this.deployEnv,
      configFile: this.configFile,
      registerTimeoutMs: parseDuration(this.config.hooks.timeout),
    });
    for (const p of this.#plugins) if (p.state === 'failed') this.#problems.add(`plugin ${p.id} failed: ${p.error}`);
    // Inspection commands print these themselves, readably.
    if (!this.#options.inspect) for (const notice of this.notEnabled) this.logger.warn({ plugin: notice.id }, notice.message);
  }

  /** Which daemons start, with what flags, timeouts and tasks (gateway/plan.ts). */
  #plan(): SupervisedDaemon[] {
    // The runtime's own daemon is housekeeping, not a feature: `--only` does not leave it out.
    const only = this.#options.only?.length ? [...this.#options.only, RETENTION_DAEMON] : [];
    const plan = planBoot({
      daemons: this.daemons.list(),
      config: this.config,
      configFile: this.configFile,
      only,
      skip: this.#options.skip ?? [],
      failedPlugins: this.#failedPlugins,
      now: this.clock.now(),
      attribution: this.attribution,
    });
    for (const warning of plan.warnings) this.logger.warn(warning);
    const pluginOf = new Map(this.daemons.list().map((d) => [d.spec.name, d.pluginId]));
    for (const [name, reason] of plan.skipped) this.#skipped.set(name, { plugin: pluginOf.get(name) ?? '', reason });
    this.#tasks = plan.tasks;
    return plan.supervised;
  }

  /** The folder of kora.yaml: where installed plugins are looked for and config paths are relative to. */
  get #projectRoot(): string {
    return this.configFile ? dirname(this.configFile) : (this.#options.cwd ?? process.cwd());
  }

  async #resolveIdentity(): Promise<void> {
    const files = identityFiles(this.env, this.config.identity, this.#projectRoot);
    try {
      this.#identity = await resolveIdentity({
        hooks: this.hooks,
        request: { deployEnv: this.deployEnv, home: this.home },
        files,
        logger: this.logger.child({ part: 'identity' }),
        // A provider's broken answer is the plugin's bug: shown in status and `kora identity`, not only logged.
        onInvalidClaim: (pluginId, problem) => this.#problems.add(`identity provider of plugin ${pluginId} returned an invalid identity (${problem}); treated as no claim`),
      });
    } catch (err) {
      // Fail closed: no agent speaks without an identity; the engine asking for it fails. The gateway still hosts its daemons.
      this.#identityError = err instanceof KoraError ? err : new KoraError('KORA_ERR_IDENTITY_UNRESOLVED', describeError(err));
      this.#problems.add(`identity unresolved: ${this.#identityError.message}`);
      // Inspection commands report it themselves; a running gateway logs it loudly.
      if (!this.#options.inspect) this.logger.error({ code: this.#identityError.code }, this.#identityError.message);
    }
  }

  async #startDaemons(supervised: SupervisedDaemon[]) {
    this.#supervisor = new Supervisor({
      daemons: supervised,
      isLeader: () => this.#fleet?.leading ?? true,
      services: this.services,
      logger: this.logger,
      clock: this.clock,
      attribution: this.attribution,
      contributions: this.contributions,
      onChange: () => this.#statusWriter?.changed(),
      onFailure: (daemon, error) => {
        // A fatal daemon failing at boot ends the boot (exit 1); failing later it is fenced like any other.
        if (!daemon.fatal || this.#state !== 'booting') this.#problems.add(`daemon ${daemon.name} failed: ${error.message}`);
        void this.hooks.dispatch('daemon_failed', { daemon: daemon.name, pluginId: daemon.pluginId, error: error.message, fatal: daemon.fatal });
      },
    });
    return this.#supervisor.start();
  }

  /** The inbox consumers of the running daemons: like tasks, they run only while their daemon runs. */
  #startConsumers(): void {
    this.#consumers = new ConsumerRunner({
      inbox: this.store.inbox,
      clock: this.clock,
      logger: this.logger.child({ part: 'inbox' }),
      owner: this.sessionId,
      attribution: this.attribution,
      onChange: () => this.#refreshInboxStats(),
    });
    const running = new Set(this.#supervisor?.running() ?? []);
    for (const { spec, pluginId } of this.daemons.list()) {
      if (!running.has(spec.name) || !spec.consumers?.length) continue;
      try {
        this.#consumers.add(spec.name, pluginId, spec.consumers);
      } catch (err) {
        // A second consumer of a topic: that daemon is failed, the first keeps the topic.
        const error = err instanceof KoraError ? err : new KoraError('KORA_ERR_CONSUMER_DUPLICATE', describeError(err));
        void this.#failOwner({ pluginId, daemon: spec.name }, error);
      }
    }
    this.#refreshInboxStats();
  }

  async #scheduleTasks(): Promise<void> {
    this.#scheduler = new Scheduler({
      clock: this.clock,
      ledger: this.store.ledger,
      logger: this.logger.child({ part: 'scheduler' }),
      owner: this.sessionId,
      onChange: () => this.#statusWriter?.taskChanged(),
      // Ledger rows the store refused wait in the scheduler's backlog and are retried: the gateway
      // is degraded, saying so, until every one is written.
      onLedgerTrouble: (error, backlog) => this.#problem('ledger', `run ledger: ${backlog} row(s) waiting to be written (${describeError(error)})`),
      onLedgerRecovered: () => this.#resolved('ledger', 'run ledger: every waiting row is written'),
    });
    for (const name of this.#supervisor?.running() ?? []) {
      const tasks = this.#tasks.get(name) ?? [];
      if (tasks.length > 0) await this.#scheduler.add(name, tasks);
    }
    this.#scheduler.summarizeDownMisses();
  }
}


/** Map a boot error to the exit code a process supervisor acts on (the catalogue's, error-codes.ts). */
export function exitCodeFor(error: KoraError): number {
  return exitCodeOf(error.code);
}
