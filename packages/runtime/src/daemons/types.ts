// What a plugin hands to `ctx.registerDaemon`: a named background component with start/stop,
// a structural fatal flag, and the periodic tasks the gateway schedules while it runs.
import type { Logger } from '../log/logger.js';
import type { Contributions } from '../plugins/contributions.js';
import type { Clock } from '../time/clock.js';
import type { Services } from '../services/registry.js';
import type { Duration } from '../time/duration.js';

export type MissedPolicy = 'skip' | 'run-once';

/**
 * Where a daemon runs in a fleet of gateways sharing one store (DESIGN §6a): `everywhere`
 * (default), or `leader` (one gateway at a time: the IMAP poller, conversation consumers,
 * learning loops). On SQLite there is one gateway, always the leader. Host API 1.1.
 */
export type DaemonScope = 'everywhere' | 'leader';

/** Why a task ran: its schedule, or an operator asking for it now (admin API, MCP). */
export type RunTrigger = 'schedule' | 'manual';

/** An address a running daemon serves, shown in the boot summary and the status. Never a secret. */
export interface DaemonEndpoint {
  /** What it is, e.g. `admin UI`, `webhooks`. */
  readonly name: string;
  readonly url: string;
  /** One line for the operator, e.g. where the login token is kept. */
  readonly note?: string;
  /**
   * A URL that carries a credential (a dev-mode login link with its token in the fragment):
   * printed once in the boot summary on the terminal, never kept in the status, its file or a log.
   */
  readonly login?: string;
}

export interface TaskRunContext {
  /** Aborted on the run's timeout and when the gateway stops past its drain budget. */
  readonly signal: AbortSignal;
  /** Start of the slot this run is for (epoch ms). */
  readonly slot: number;
  readonly task: string;
  /** `manual` when an operator asked for this run (host API 1.1). */
  readonly trigger: RunTrigger;
  readonly log: Logger;
}

export interface TaskSpec {
  /** Unique across the gateway; by convention `<daemon or plugin>.<what>`, e.g. `snapshot.compute`. */
  name: string;
  /** Fixed-rate interval, aligned to the Unix epoch. Exactly one of `every` / `cron`. */
  every?: Duration | number;
  /** 5- or 6-field cron expression. */
  cron?: string;
  /** IANA zone for `cron`; default UTC. */
  timezone?: string;
  /** Shifts interval slots from the epoch alignment (e.g. `every: 1d, offset: 3h` runs at 03:00 UTC). */
  offset?: Duration | number;
  /** Also run once right when the daemon's tasks are scheduled. */
  runOnStart?: boolean;
  /** Per-run timeout; default the period (interval) or 1h (cron), whichever is smaller. */
  timeout?: Duration | number;
  /** What to do about slots missed while the gateway was down. Default: `skip` under 1h, else `run-once`. */
  missed?: MissedPolicy;
  run(context: TaskRunContext): void | Promise<void>;
}

export interface DaemonContext {
  readonly name: string;
  readonly pluginId: string;
  readonly services: Services;
  /** Contributions plugins made at register time, e.g. the routes for a server this daemon runs. Host API 1.1. */
  readonly contributions: Contributions;
  /** The gateway's clock. Host API 1.1. */
  readonly clock: Clock;
  readonly log: Logger;
  /** Aborted when the start times out or the gateway stops. */
  readonly signal: AbortSignal;
  /** Show an address this daemon serves in the boot summary and the status (`daemons[].endpoints`). Host API 1.1. */
  publishEndpoint(endpoint: DaemonEndpoint): void;
  /**
   * What the operator should know about a running daemon doing less than it could (`no
   * KORA_SLACK_BOT_TOKEN: no Slack client`), shown in the status (`daemons[].note`), the boot
   * summary and `kora status`; null clears it. One line, never a secret. Host API 1.1.
   */
  setNote(note: string | null): void;
}

/** One item of the durable inbox (DESIGN §7), as a consumer sees it. */
export interface InboxItem<Payload = unknown> {
  readonly id: number;
  readonly topic: string;
  /** The producer's dedup key (a Slack event id, an email Message-ID). */
  readonly key: string;
  readonly payload: Payload;
  /** 1 on the first delivery. */
  readonly attempt: number;
}

export interface ConsumerContext {
  /** Aborted when the item's lease or timeout runs out, or the gateway stops. */
  readonly signal: AbortSignal;
  readonly log: Logger;
}

/** A daemon's consumer of one inbox topic: run only while the daemon runs, like its tasks. */
export interface ConsumerSpec {
  topic: string;
  handle(item: InboxItem, context: ConsumerContext): void | Promise<void>;
  /** Deliveries before the item is dead-lettered. */
  attempts?: number;
  /** Delay before the first retry, doubled after each. */
  backoff?: Duration | number;
}

export interface DaemonSpec {
  /** Unique across all plugins. */
  name: string;
  /**
   * Open what the daemon holds (a client, a server). Optional since host API 1.1: a daemon that
   * only carries tasks or consumers has nothing to open, and is running once registered.
   */
  start?(context: DaemonContext): void | Promise<void>;
  stop?(): void | Promise<void>;
  tasks?: TaskSpec[];
  /** Inbox consumers (DESIGN §7). Host API 1.1. */
  consumers?: ConsumerSpec[];
  /** A fatal daemon that fails to start aborts boot (exit 1). Default false; config may override. */
  fatalOnStartupFailure?: boolean;
  /** `leader`: one gateway of a fleet runs it (DESIGN §6a). Default `everywhere`. Host API 1.1. */
  scope?: DaemonScope;
  /** Default 30s. */
  startTimeout?: Duration | number;
  /** Default 10s. */
  stopTimeout?: Duration | number;
}

export type DaemonState = 'pending' | 'starting' | 'running' | 'failed' | 'stopping' | 'stopped';
