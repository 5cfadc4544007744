// The supervisor: starts daemons FIFO under their start timeouts, fences a non-fatal failure,
// unwinds LIFO on a fatal one, and stops started daemons LIFO under their stop timeouts.
import { DaemonError, describeError, KoraError, TimeoutError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { Attribution } from '../plugins/attribution.js';
import type { Contributions } from '../plugins/contributions.js';
import { daemonProvider, type ServiceRegistry } from '../services/registry.js';
import type { Clock } from '../time/clock.js';
import { attempt, raceTimeout, TIMED_OUT } from '../time/timeout.js';
import type { DaemonEndpoint, DaemonScope, DaemonSpec, DaemonState } from './types.js';

export interface SupervisedDaemon {
  name: string;
  pluginId: string;
  spec: DaemonSpec;
  fatal: boolean;
  scope: DaemonScope;
  startTimeoutMs: number;
  stopTimeoutMs: number;
}

export interface DaemonStatus {
  name: string;
  plugin: string;
  state: DaemonState;
  fatal: boolean;
  scope: DaemonScope;
  error: string | null;
  errorCode: string | null;
  startedAt: string | null;
  startDurationMs: number | null;
  stoppedAt: string | null;
  stopDurationMs: number | null;
  /** What the daemon serves while it runs (`publishEndpoint`), login links left out. */
  endpoints: Omit<DaemonEndpoint, 'login'>[];
  /** What the daemon said it does without (`setNote`), while it runs. */
  note: string | null;
}

export type StartOutcome = { ok: true; failed: string[] } | { ok: false; fatal: string; error: KoraError };

export interface SupervisorOptions {
  daemons: SupervisedDaemon[];
  services: ServiceRegistry;
  logger: Logger;
  clock: Clock;
  /** Called after every state change. */
  onChange?: () => void;
  /** Called when a daemon fails to start (fatal or not), or fails while running. */
  onFailure?: (daemon: SupervisedDaemon, error: KoraError) => void;
  /** Runs each daemon's start and stop attributed to it, so its async errors can be pinned on it. */
  attribution?: Attribution;
  /** What daemons read of the contributions made at register time. */
  contributions?: Contributions;
  /**
   * Whether this gateway leads its fleet (DESIGN §6a): `scope: 'leader'` daemons start only then,
   * and wait `pending` otherwise, until `startLeaderScoped()`. Default: always (one gateway).
   */
  isLeader?: () => boolean;
}

const NO_CONTRIBUTIONS: Contributions = { list: () => [] };

interface Entry {
  daemon: SupervisedDaemon;
  state: DaemonState;
  error: KoraError | null;
  startedAt: number | null;
  startDurationMs: number | null;
  stoppedAt: number | null;
  stopDurationMs: number | null;
  abort: AbortController;
  /** Rejects a start still in progress when the daemon fails through `fail()`. */
  failStart: ((error: KoraError) => void) | undefined;
  log: Logger;
  endpoints: DaemonEndpoint[];
  note: string | null;
}

export class Supervisor {
  #entries: Entry[];
  #services: ServiceRegistry;
  #clock: Clock;
  #onChange: () => void;
  #onFailure: NonNullable<SupervisorOptions['onFailure']>;
  /** Daemons whose start succeeded, in start order; stopped in reverse. */
  #started: Entry[] = [];
  /** The start loop while it runs; `stop()` waits for it, so nothing starts after a stop. */
  #starting: Promise<StartOutcome> | undefined;
  #halted = false;
  #current: Entry | undefined;
  #attribution: Attribution | undefined;
  #contributions: Contributions;
  #isLeader: () => boolean;

  constructor(options: SupervisorOptions) {
    this.#services = options.services;
    this.#clock = options.clock;
    this.#onChange = options.onChange ?? (() => {});
    this.#onFailure = options.onFailure ?? (() => {});
    this.#attribution = options.attribution;
    this.#contributions = options.contributions ?? NO_CONTRIBUTIONS;
    this.#isLeader = options.isLeader ?? (() => true);
    this.#entries = options.daemons.map((daemon) => ({
      daemon,
      state: 'pending',
      error: null,
      startedAt: null,
      startDurationMs: null,
      stoppedAt: null,
      stopDurationMs: null,
      abort: new AbortController(),
      failStart: undefined,
      log: options.logger.child({ daemon: daemon.name, plugin: daemon.pluginId }),
      endpoints: [],
      note: null,
    }));
  }

  /**
   * Start every daemon in order. Stops at the first fatal failure, after unwinding what had
   * started. After `halt()` no further daemon starts: the rest stay `pending`.
   */
  start(): Promise<StartOutcome> {
    this.#starting ??= this.#startAll();
    return this.#starting;
  }

  async #startAll(): Promise<StartOutcome> {
    const failed: string[] = [];
    for (const entry of this.#entries) {
      if (this.#halted) break;
      if (entry.daemon.scope === 'leader' && !this.#isLeader()) {
        entry.log.info(`daemon ${entry.daemon.name} waits: it runs on the fleet's leader only, and another gateway leads`);
        continue;
      }
      this.#current = entry;
      const error = await this.#startOne(entry);
      this.#current = undefined;
      if (!error) continue;
      if (this.#halted) {
        // Cut short by the stop itself (its signal was aborted): not a failure to report, and
        // not a reason for a fatal exit.
        entry.log.info(`daemon ${entry.daemon.name} did not finish starting: the gateway is stopping (${error.message})`);
        entry.stoppedAt = this.#clock.now();
        this.#set(entry, 'stopped');
        break;
      }
      this.#onFailure(entry.daemon, error);
      if (entry.daemon.fatal) {
        entry.log.fatal({ code: error.code }, `fatal daemon ${entry.daemon.name} failed to start: ${error.message}; stopping the daemons already started`);
        await this.#stopStarted();
        return { ok: false, fatal: entry.daemon.name, error };
      }
      entry.log.error({ code: error.code }, `daemon ${entry.daemon.name} failed to start and is fenced (not fatal): ${error.message}`);
      failed.push(entry.daemon.name);
    }
    return { ok: true, failed };
  }

  /**
   * A stop was asked for while daemons may still be starting: start no more, and abort the
   * signal of the one starting now (a start that honours it returns early).
   */
  halt(): void {
    this.#halted = true;
    this.#current?.abort.abort(new Error('gateway stopping'));
  }

  /**
   * Halt any start still in progress, wait for it, then stop started daemons in reverse start
   * order. A hung or throwing stop is logged and skipped. Idempotent.
   */
  async stop(): Promise<void> {
    this.halt();
    await this.#starting;
    await this.#stopStarted();
  }

  async #stopStarted(): Promise<void> {
    while (this.#started.length > 0) {
      const entry = this.#started.pop() as Entry;
      await this.#stopOne(entry);
    }
  }

  /**
   * A running daemon failed (an error its code threw asynchronously, attributed to it): record
   * the error, stop it under its stop timeout so it releases what it holds, withdraw its
   * services, and leave it `failed`. The gateway stops its tasks first. Returns false when the
   * daemon was not running (already failed, stopping or stopped): nothing to do.
   */
  async fail(name: string, error: KoraError): Promise<boolean> {
    const entry = this.#entries.find((e) => e.daemon.name === name);
    if (!entry || (entry.state !== 'running' && entry.state !== 'starting')) return false;
    entry.error = error;
    if (entry.state === 'starting') {
      // Its start is still awaited by #startAll: it fails now with this error, reported there
      // like any failed start (fatal or fenced), and its signal tells the start to give up.
      entry.failStart?.(error);
      entry.abort.abort(error);
      return true;
    }
    entry.log.error({ code: error.code }, `daemon ${name} FAILED while running and is fenced: ${error.message}`);
    this.#onFailure(entry.daemon, error);
    const at = this.#started.indexOf(entry);
    if (at >= 0) this.#started.splice(at, 1);
    await this.#stopOne(entry, 'failed');
    return true;
  }

  /**
   * This gateway became the leader: start the leader-scoped daemons still waiting (never started,
   * or stopped when the lead was lost), in registration order. A failure is fenced like at boot
   * (a leader daemon is never fatal once the gateway runs). Returns the names now running.
   */
  async startLeaderScoped(): Promise<string[]> {
    await this.#starting;
    const started: string[] = [];
    for (const entry of this.#entries) {
      if (this.#halted) break;
      if (entry.daemon.scope !== 'leader' || (entry.state !== 'pending' && entry.state !== 'stopped')) continue;
      entry.abort = new AbortController();
      entry.error = null;
      this.#current = entry;
      const error = await this.#startOne(entry);
      this.#current = undefined;
      if (error) {
        this.#onFailure(entry.daemon, error);
        entry.log.error({ code: error.code }, `leader-scoped daemon ${entry.daemon.name} failed to start and is fenced: ${error.message}`);
        continue;
      }
      started.push(entry.daemon.name);
    }
    return started;
  }

  /**
   * The lead is lost: stop the running leader-scoped daemons, in reverse start order, each under
   * its stop timeout. They go back to waiting (`stopped`), to start again if the lead comes back.
   */
  async stopLeaderScoped(names: readonly string[]): Promise<void> {
    for (const entry of [...this.#started].reverse()) {
      if (entry.daemon.scope !== 'leader' || !names.includes(entry.daemon.name)) continue;
      this.#started.splice(this.#started.indexOf(entry), 1);
      await this.#stopOne(entry);
    }
  }

  /** Leader-scoped daemons running now, in start order. */
  runningLeaderScoped(): string[] {
    return this.#started.filter((e) => e.daemon.scope === 'leader' && e.state === 'running').map((e) => e.daemon.name);
  }

  /** Names of daemons currently running, in start order. */
  running(): string[] {
    return this.#entries.filter((e) => e.state === 'running').map((e) => e.daemon.name);
  }

  status(): DaemonStatus[] {
    return this.#entries.map((e) => ({
      name: e.daemon.name,
      plugin: e.daemon.pluginId,
      state: e.state,
      fatal: e.daemon.fatal,
      scope: e.daemon.scope,
      error: e.error?.message ?? null,
      errorCode: e.error?.code ?? null,
      startedAt: iso(e.startedAt),
      startDurationMs: e.startDurationMs,
      stoppedAt: iso(e.stoppedAt),
      stopDurationMs: e.stopDurationMs,
      // Without the login links: the status is written to disk and shown by every surface.
      endpoints: e.state === 'starting' || e.state === 'running' ? e.endpoints.map(({ login: _login, ...shown }) => shown) : [],
      note: e.state === 'starting' || e.state === 'running' ? e.note : null,
    }));
  }

  /** The login links of running daemons' endpoints, for the boot summary only. */
  loginLinks(): { daemon: string; name: string; login: string }[] {
    return this.#entries.filter((e) => e.state === 'running').flatMap((e) => e.endpoints.flatMap((p) => (p.login ? [{ daemon: e.daemon.name, name: p.name, login: p.login }] : [])));
  }

  #publish(entry: Entry, endpoint: DaemonEndpoint): void {
    const name = entry.daemon.name;
    const { name: label, url, note, login } = (endpoint ?? {}) as Partial<DaemonEndpoint>;
    const bad = typeof label !== 'string' || !label.trim() || typeof url !== 'string' || !URL.canParse(url) || (note !== undefined && typeof note !== 'string') || (login !== undefined && (typeof login !== 'string' || !URL.canParse(login)));
    if (bad) {
      // The endpoint itself is not quoted: its login link would carry a credential.
      throw new DaemonError('KORA_ERR_DAEMON_ENDPOINT', `Daemon "${name}" published an endpoint that is not { name, url, note?, login? } with absolute URLs`, { daemon: name });
    }
    const kept: DaemonEndpoint = { name: label, url, ...(note === undefined ? {} : { note }), ...(login === undefined ? {} : { login }) };
    // Published again under the same name (a server that rebound): the new address replaces the old.
    entry.endpoints = [...entry.endpoints.filter((e) => e.name !== label), kept];
    this.#onChange();
  }

  async #startOne(entry: Entry): Promise<KoraError | null> {
    const { daemon } = entry;
    this.#set(entry, 'starting');
    const t0 = this.#clock.now();
    const context = {
      name: daemon.name,
      pluginId: daemon.pluginId,
      services: this.#services.scoped(daemonProvider(daemon.name)),
      contributions: this.#contributions,
      clock: this.#clock,
      log: entry.log,
      signal: entry.abort.signal,
      publishEndpoint: (endpoint: DaemonEndpoint) => this.#publish(entry, endpoint),
      setNote: (note: string | null) => {
        // One line, bounded: it is shown in the boot summary and every status view.
        entry.note = note === null || note === undefined ? null : String(note).replace(/\s+/g, ' ').trim().slice(0, 300) || null;
        this.#onChange();
      },
    };
    let error: KoraError | null = null;
    try {
      const owner = { pluginId: daemon.pluginId, daemon: daemon.name };
      const start = () => daemon.spec.start?.(context);
      const outcome = await raceTimeout(
        Promise.race([
          attempt(() => (this.#attribution ? this.#attribution.run(owner, start) : start())),
          new Promise<never>((_, reject) => (entry.failStart = reject)),
        ]),
        daemon.startTimeoutMs,
        this.#clock,
      );
      if (outcome === TIMED_OUT) {
        error = new TimeoutError('KORA_ERR_DAEMON_START_TIMEOUT', `Daemon "${daemon.name}" did not start within ${daemon.startTimeoutMs} ms`, daemon.startTimeoutMs, {
          daemon: daemon.name,
          pluginId: daemon.pluginId,
        });
        // The start's signal says why it was abandoned, with the same coded error.
        entry.abort.abort(error);
      }
    } catch (err) {
      error =
        err instanceof KoraError
          ? err
          : new DaemonError('KORA_ERR_DAEMON_START', `Daemon "${daemon.name}" failed to start: ${describeError(err)}`, { daemon: daemon.name, pluginId: daemon.pluginId }, { cause: err });
    }
    entry.failStart = undefined;
    entry.startDurationMs = this.#clock.now() - t0;
    if (error) {
      entry.error = error;
      // A fenced daemon must not leave half-provided services behind for others to pick up.
      this.#services.withdraw(daemonProvider(daemon.name));
      this.#set(entry, 'failed');
      return error;
    }
    entry.startedAt = this.#clock.now();
    this.#started.push(entry);
    this.#set(entry, 'running');
    entry.log.info({ ms: entry.startDurationMs }, `daemon ${daemon.name} running`);
    return null;
  }

  async #stopOne(entry: Entry, final: 'stopped' | 'failed' = 'stopped'): Promise<void> {
    const { daemon } = entry;
    this.#set(entry, 'stopping');
    entry.abort.abort(new Error('gateway stopping'));
    const t0 = this.#clock.now();
    try {
      if (daemon.spec.stop) {
        const stop = daemon.spec.stop.bind(daemon.spec);
        const owner = { pluginId: daemon.pluginId, daemon: daemon.name };
        const call = () => (this.#attribution ? this.#attribution.run(owner, stop) : stop());
        const outcome = await raceTimeout(attempt(call), daemon.stopTimeoutMs, this.#clock);
        if (outcome === TIMED_OUT) {
          entry.error ??= new TimeoutError('KORA_ERR_DAEMON_STOP_TIMEOUT', `Daemon "${daemon.name}" did not stop within ${daemon.stopTimeoutMs} ms; skipped`, daemon.stopTimeoutMs, { daemon: daemon.name });
          entry.log.error(`daemon ${daemon.name} did not stop within ${daemon.stopTimeoutMs} ms; skipped`);
        }
      }
    } catch (err) {
      entry.error ??= new DaemonError('KORA_ERR_DAEMON_STOP', `Daemon "${daemon.name}" threw while stopping: ${describeError(err)}`, { daemon: daemon.name }, { cause: err });
      entry.log.error(`daemon ${daemon.name} threw while stopping: ${describeError(err)}`);
    }
    this.#services.withdraw(daemonProvider(daemon.name));
    entry.stopDurationMs = this.#clock.now() - t0;
    entry.stoppedAt = this.#clock.now();
    this.#set(entry, final);
  }

  #set(entry: Entry, state: DaemonState): void {
    entry.state = state;
    this.#onChange();
  }
}

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}
