// An in-process harness for plugin tests, as `fastify.inject()` is for apps: the plugin's real
// `register` against the runtime's real registries, hook bus, supervisor and an in-memory store,
// on an injected clock. No test needs to fake a PluginContext.
import { DEFAULT_FLEET_LEASE_MS } from '../fleet/membership.js';
import { readFleet } from '../fleet/view.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configSchema } from '../config/schema.js';
import { DaemonRegistry } from '../daemons/registry.js';
import { Supervisor, type DaemonStatus } from '../daemons/supervisor.js';
import type { InboxItem, RunTrigger, TaskRunContext } from '../daemons/types.js';
import { createOperations } from '../gateway/operations.js';
import { DaemonError, KoraError, UsageError } from '../errors.js';
import { planBoot, type Plan } from '../gateway/plan.js';
import { STATUS_SCHEMA, type GatewayStatus } from '../gateway/status.js';
import type { DispatchResult, HookName, HookPayload } from '../hooks/catalog.js';
import { HookBus } from '../hooks/hook-bus.js';
import { resolveIdentity, type IdentityFiles } from '../identity/resolve.js';
import type { ResolvedIdentity } from '../identity/types.js';
import { pino } from 'pino';
import type { ZodType } from 'zod';
import type { Logger } from '../log/logger.js';
import { Attribution } from '../plugins/attribution.js';
import { createPluginScope, type Registrations } from '../plugins/context.js';
import { ContributionRegistry, type Contributions } from '../plugins/contributions.js';
import { migrate, validatePluginConfig } from '../plugins/loader.js';
import { ToolPipeline, type ToolCallOptions, type ToolCallResult } from '../plugins/tool-pipeline.js';
import { ToolRegistry } from '../plugins/tool-registry.js';
import type { GatewayView, PluginDefinition } from '../plugins/types.js';
import { ServiceRegistry } from '../services/registry.js';
import { openStore } from '../store/index.js';
import type { AuditEntry, InboxMessage, RunRecord, Store } from '../store/types.js';
import { ManualClock, type Clock } from '../time/clock.js';
import { describeError } from '../errors.js';
import { attempt, raceTimeout, TIMED_OUT } from '../time/timeout.js';

export interface PluginHarnessOptions {
  /** `plugins.config.<id>` per plugin id (validated by each plugin's schema, as at boot). A single plugin may take its config directly. */
  config?: Record<string, unknown>;
  env?: Record<string, string | undefined>;
  /** Default: a ManualClock at 2026-01-01. */
  clock?: Clock;
  /** `$KORA_HOME`; default a fresh temp folder, removed by `close()`. */
  home?: string;
  deployEnv?: string;
  /** Default: a logger that keeps every line (debug and up) in `harness.logs`. */
  logger?: Logger;
  /** Per-callback hook timeout in ms (default 30 s). */
  hookTimeoutMs?: number;
  /** The plugin package folder (`ctx.paths.root`), where it reads its package data. Default: the home. */
  root?: string;
  /**
   * The store, as `store.url` (default `sqlite::memory:`). A file (`sqlite:kora.db`, relative to
   * `home`) outlives `close()`, so a second harness on the same home and URL is a restart.
   */
  storeUrl?: string;
}

/** Any plugin definition, whatever its config type (a PluginDefinition<C> is invariant in C). */
export interface HarnessedPlugin {
  readonly id: string;
  readonly configSchema?: ZodType<unknown>;
  register(context: never): void | Promise<void>;
}

export interface LogLine {
  readonly level: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';
  readonly msg: string;
  readonly [field: string]: unknown;
}

export type TaskOutcome = { status: 'ok'; durationMs: number } | { status: 'failed' | 'timeout'; error: string; durationMs: number };

export interface PluginHarness {
  readonly clock: Clock;
  /** What the plugins logged (with the default logger): level name, message, fields. */
  readonly logs: readonly LogLine[];
  readonly store: Store;
  readonly services: ServiceRegistry;
  readonly contributions: Contributions;
  /** What each plugin registered, by id. */
  readonly registered: ReadonlyMap<string, Registrations>;
  dispatch<K extends HookName>(hook: K, payload: HookPayload<K>): Promise<DispatchResult<K>>;
  /** Resolve the identity as the gateway does at boot (providers in load order, then the files). Rejects with IdentityError. */
  resolveIdentity(files?: IdentityFiles): Promise<ResolvedIdentity>;
  /** Start every registered daemon, in registration order, as the gateway would (fatal flags do not abort here). */
  startDaemons(): Promise<DaemonStatus[]>;
  stopDaemons(): Promise<void>;
  daemons(): DaemonStatus[];
  /** Run one task of a started daemon for `slot` (default: now), under its timeout and attribution. */
  runTask(name: string, options?: { slot?: number }): Promise<TaskOutcome>;
  /** The reason of the last `ctx.operations.requestStop` (the harness records it and stops nothing), or null. */
  stopRequested(): string | null;
  /** Hand one inbox item to the consumer of `topic` of a started daemon. */
  deliver(topic: string, item: { key?: string; payload: unknown; attempt?: number }): Promise<TaskOutcome>;
  callTool(name: string, input?: Record<string, unknown>, options?: ToolCallOptions): Promise<ToolCallResult>;
  audit(query?: { seam?: string; plugin?: string }): Promise<AuditEntry[]>;
  /** Stop daemons, close the store, remove the temp home. */
  close(): Promise<void>;
}

/**
 * Register `plugins` (one or several, in load order) the way the gateway does. Rejects with the
 * plugin's coded error when its config is invalid or its `register` throws.
 */
export async function createPluginHarness(plugins: HarnessedPlugin | readonly HarnessedPlugin[], options: PluginHarnessOptions = {}): Promise<PluginHarness> {
  const list = (Array.isArray(plugins) ? plugins : [plugins]) as readonly PluginDefinition<unknown>[];
  const clock = options.clock ?? new ManualClock();
  const logs: LogLine[] = [];
  const logger = options.logger ?? capturingLogger(logs);
  const ownHome = options.home === undefined;
  const home = options.home ?? mkdtempSync(join(tmpdir(), 'kora-harness-'));
  const store = await openStore({ url: options.storeUrl ?? 'sqlite::memory:', home, logger, clock });
  const hooks = new HookBus({ logger, clock, ...(options.hookTimeoutMs !== undefined ? { timeoutMs: options.hookTimeoutMs } : {}) });
  const services = new ServiceRegistry();
  const daemons = new DaemonRegistry();
  const tools = new ToolRegistry();
  const contributions = new ContributionRegistry();
  const attribution = new Attribution();
  const toolPipeline = new ToolPipeline({ tools, hooks, clock, logger, attribution });
  const sessionId = 'harness';
  let supervisor: Supervisor | undefined;
  let plan: Plan | undefined;
  let identity: ResolvedIdentity | null = null;
  const config = configSchema.parse({ plugins: { enabled: list.map((p) => p.id) } });

  const view: GatewayView = {
    sessionId,
    identity: () => identity,
    status: () => harnessStatus(sessionId, home, clock, supervisor?.status() ?? []),
    recentRuns: (query) => store.ledger.recent(query),
    readAudit: (query) => store.audit.list(query),
    tailAudit: (cursor, tailOptions) => store.audit.tail(cursor, tailOptions),
    fleet: () => readFleet(store, { now: clock.now(), leaseMs: DEFAULT_FLEET_LEASE_MS }),
    auditPage: (query) => store.audit.page(query),
  };
  const inbox = { enqueue: (message: InboxMessage) => store.inbox.enqueue(message) };
  let stopRequested: string | null = null;
  // The gateway's operations over the harness's pieces: a manual run goes through runTask
  // below (no scheduler, no ledger), a stop request is only recorded (`stopRequested`).
  const operations = createOperations({
    clock,
    logger,
    store: () => store,
    scheduler: () => ({ runNow: (name: string) => harnessRunNow(name) }),
    stopping: () => false,
    stop: (reason) => {
      stopRequested = reason;
    },
    scrub: (value) => value,
    inboxChanged: () => {},
  });
  const host = {
    hooks,
    services,
    daemons,
    tools,
    toolPipeline,
    contributions,
    attribution,
    gateway: view,
    operations,
    inbox,
    store,
    logger,
    clock,
    home,
    env: options.env ?? {},
    deployEnv: options.deployEnv ?? 'test',
  };
  const registered = new Map<string, Registrations>();
  const cleanup = async () => {
    await store.close();
    if (ownHome) rmSync(home, { recursive: true, force: true });
  };
  try {
    for (const plugin of list) {
      if (!plugin || typeof plugin.register !== 'function' || typeof plugin.id !== 'string') {
        throw new UsageError('createPluginHarness takes plugin definitions: definePlugin({ id, register(ctx) })');
      }
      const raw = Array.isArray(plugins) ? options.config?.[plugin.id] : (options.config?.[plugin.id] ?? options.config);
      const pluginConfig = validatePluginConfig(plugin, raw, undefined, plugin.id);
      const hasTables = await migrate(plugin.id, plugin as PluginDefinition<unknown>, host);
      const scope = createPluginScope({ id: plugin.id, dir: options.root ?? home, declared: null }, pluginConfig, host, { hasTables });
      try {
        await attribution.run({ pluginId: plugin.id }, () => plugin.register(scope.context));
      } catch (err) {
        scope.rollback();
        throw err;
      }
      scope.seal();
      registered.set(plugin.id, scope.registered);
    }
  } catch (err) {
    await cleanup();
    throw err;
  }

  const runningDaemon = (name: string) => {
    const state = supervisor?.status().find((d) => d.name === name)?.state;
    if (state !== 'running') throw new UsageError(`daemon "${name}" is not running (${state ?? 'not started'}): call startDaemons() first`);
  };
  const timed = async (fn: () => unknown, timeoutMs: number, what: string): Promise<TaskOutcome> => {
    const t0 = clock.now();
    try {
      const outcome = await raceTimeout(attempt(fn), timeoutMs, clock);
      if (outcome === TIMED_OUT) return { status: 'timeout', error: `${what} timed out after ${timeoutMs} ms`, durationMs: clock.now() - t0 };
      return { status: 'ok', durationMs: clock.now() - t0 };
    } catch (err) {
      return { status: 'failed', error: describeError(err), durationMs: clock.now() - t0 };
    }
  };
  let nextItemId = 1;
  const manualRuns = new Set<string>();
  async function harnessRunNow(name: string) {
    const entry = taskEntry(name);
    if (manualRuns.has(name)) throw new DaemonError('KORA_ERR_TASK_RUNNING', `task "${name}" is running: a task never runs twice at once`, { task: name });
    manualRuns.add(name);
    const slot = clock.now();
    const done = runTaskEntry(entry, slot, 'manual')
      .then(
        (outcome): RunRecord => ({
          task: name,
          daemon: entry.daemon,
          slot,
          status: outcome.status,
          startedAt: slot,
          finishedAt: slot + outcome.durationMs,
          durationMs: outcome.durationMs,
          error: outcome.status === 'ok' ? null : outcome.error,
          owner: sessionId,
          trigger: 'manual',
        }),
      )
      .finally(() => manualRuns.delete(name));
    return { task: name, daemon: entry.daemon, slot, done };
  }
  function taskEntry(name: string) {
    const all = [...(plan?.tasks.entries() ?? [])].flatMap(([daemon, tasks]) => tasks.map((task) => ({ daemon, task })));
    const entry = all.find((e) => e.task.name === name);
    if (!entry) throw new DaemonError('KORA_ERR_TASK_UNKNOWN', `no task "${name}" of a started daemon (start them with startDaemons())`, { task: name });
    runningDaemon(entry.daemon);
    return entry;
  }
  async function runTaskEntry(entry: ReturnType<typeof taskEntry>, slot: number, trigger: RunTrigger): Promise<TaskOutcome> {
    const name = entry.task.name;
    const controller = new AbortController();
    const context: TaskRunContext = { signal: controller.signal, slot, task: name, trigger, log: logger.child({ task: name }) };
    const outcome = await timed(() => entry.task.run(context), entry.task.timeoutMs, `task "${name}"`);
    if (outcome.status === 'timeout') controller.abort(new KoraError('KORA_ERR_TASK_TIMEOUT', outcome.error));
    return outcome;
  }

  return {
    clock,
    logs,
    store,
    services,
    contributions,
    registered,
    dispatch: (hook, payload) => hooks.dispatch(hook, payload),
    async resolveIdentity(files) {
      identity = await resolveIdentity({ hooks, request: { deployEnv: host.deployEnv, home }, logger, ...(files ? { files } : {}) });
      return identity;
    },
    async startDaemons() {
      if (supervisor) throw new UsageError('startDaemons() was already called');
      plan = planBoot({ daemons: daemons.list(), config, configFile: undefined, now: clock.now(), attribution });
      supervisor = new Supervisor({ daemons: plan.supervised.map((d) => ({ ...d, fatal: false })), services, logger, clock, attribution, contributions });
      await supervisor.start();
      return supervisor.status();
    },
    async stopDaemons() {
      await supervisor?.stop();
    },
    daemons: () => supervisor?.status() ?? [],
    async runTask(name, runOptions = {}) {
      return runTaskEntry(taskEntry(name), runOptions.slot ?? clock.now(), 'schedule');
    },
    stopRequested: () => stopRequested,
    async deliver(topic, item) {
      const owner = daemons.list().find((d) => d.spec.consumers?.some((c) => c.topic === topic));
      const consumer = owner?.spec.consumers?.find((c) => c.topic === topic);
      if (!owner || !consumer) throw new UsageError(`no daemon consumes inbox topic "${topic}"`);
      runningDaemon(owner.spec.name);
      const id = nextItemId++;
      const inboxItem: InboxItem = { id, topic, key: item.key ?? `harness-${id}`, payload: item.payload, attempt: item.attempt ?? 1 };
      const controller = new AbortController();
      const handle = attribution.bind({ pluginId: owner.pluginId, daemon: owner.spec.name }, consumer.handle);
      return timed(() => handle(inboxItem, { signal: controller.signal, log: logger.child({ topic }) }), 60_000, `consumer of "${topic}"`);
    },
    callTool: (name, input = {}, callOptions) => toolPipeline.call(name, input, callOptions),
    audit: (query) => store.audit.list(query),
    async close() {
      await supervisor?.stop();
      await cleanup();
    },
  };
}

function capturingLogger(into: LogLine[]): Logger {
  return pino(
    { level: 'debug', base: null, timestamp: false, formatters: { level: (label) => ({ level: label }) } },
    { write: (line: string) => void into.push(JSON.parse(line) as LogLine) },
  );
}

function harnessStatus(sessionId: string, home: string, clock: Clock, daemons: DaemonStatus[]): GatewayStatus {
  const now = new Date(clock.now()).toISOString();
  return {
    schema: STATUS_SCHEMA,
    pid: process.pid,
    processStartedAt: null,
    heartbeatAt: null,
    heartbeatEveryMs: null,
    exit: null,
    sessionId,
    state: daemons.some((d) => d.state === 'failed') ? 'degraded' : 'running',
    problems: daemons.filter((d) => d.state === 'failed').map((d) => `daemon ${d.name} failed: ${d.error ?? ''}`),
    deployEnv: 'test',
    startedAt: now,
    updatedAt: now,
    uptimeMs: 0,
    shutdownReason: null,
    exitCode: null,
    home,
    config: null,
    store: { kind: 'sqlite', location: ':memory:' },
    identity: null,
    plugins: [],
    daemons: daemons.map((d) => ({ ...d, skipped: null, tasks: [] })),
    inbox: [],
    fleet: null,
  };
}

