// This gateway's place in the fleet (DESIGN §6a): its row in the store, rewritten by a heartbeat,
// and the leadership lease, taken when free or expired and renewed at every heartbeat. A leader
// that cannot renew steps down a third of a lease before its lease ends, and one that finds the
// lease taken steps down at once: either way its leader-scoped daemons are stopped before it
// gives the lease up, so they never run on two gateways at once while the clocks agree.
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describeError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { runtimePackageDir } from '../plugins/host-runtime.js';
import type { FleetLeadership, Store } from '../store/types.js';
import type { Clock, TimerHandle } from '../time/clock.js';

export const DEFAULT_FLEET_LEASE_MS = 15_000;

export interface FleetMembershipOptions {
  store: Store;
  clock: Clock;
  logger: Logger;
  sessionId: string;
  startedAt: number;
  /** A gateway silent for longer is gone, and so is its lead. */
  leaseMs: number;
  /** How often the row and the lease are rewritten: a third of the lease unless configured. */
  heartbeatEveryMs: number;
  /** The gateway state written with each heartbeat. */
  state(): string;
  /**
   * The lead was gained (`true`: start the leader-scoped daemons) or lost (`false`: stop them).
   * Called one at a time; the lease is given up only once a `false` has returned.
   */
  onLeadership(leading: boolean, why: string): Promise<void>;
  /** After each heartbeat, with whether this gateway leads (the leader sweeps runs of gateways that are gone). */
  onBeat?(leading: boolean): Promise<void>;
}

/** What the status says of the fleet. */
export interface FleetStatus {
  /** Session id of the gateway holding the lease, or null when none does. */
  leader: string | null;
  /** This gateway leads. */
  leading: boolean;
  /** ISO time the leader took the lead. */
  leaderSince: string | null;
  leaseMs: number;
  /** ISO time of this gateway's last heartbeat written to the store; null before the first. */
  heartbeatAt: string | null;
}

export class FleetMembership {
  readonly #o: FleetMembershipOptions;
  readonly host = hostname();
  readonly version = runtimeVersion();
  #leading = false;
  #leadership: FleetLeadership | null = null;
  /** When the lease was last renewed (this gateway's clock). */
  #renewedAt = -Infinity;
  #heartbeatAt: number | null = null;
  #timer: TimerHandle | undefined;
  #stopped = false;
  #beating: Promise<void> | undefined;
  /** Transitions run one at a time, in order. */
  #transition: Promise<void> = Promise.resolve();

  constructor(options: FleetMembershipOptions) {
    this.#o = options;
  }

  get leading(): boolean {
    return this.#leading;
  }

  status(): FleetStatus {
    const l = this.#leadership;
    const current = l !== null && (l.owner === this.#o.sessionId ? this.#leading : l.until >= this.#o.clock.now());
    return {
      leader: current ? l.owner : null,
      leading: this.#leading,
      leaderSince: current ? new Date(l.since).toISOString() : null,
      leaseMs: this.#o.leaseMs,
      heartbeatAt: this.#heartbeatAt === null ? null : new Date(this.#heartbeatAt).toISOString(),
    };
  }

  /** Register and try for the lead once, before the daemons start (they need to know). Throws what the store throws. */
  async join(): Promise<void> {
    const { store, clock, sessionId } = this.#o;
    const now = clock.now();
    await store.fleet.register({ sessionId, host: this.host, pid: process.pid, version: this.version, startedAt: this.#o.startedAt, heartbeatAt: now, state: this.#o.state() });
    this.#heartbeatAt = now;
    const { leading, leadership } = await store.fleet.lead(sessionId, now, this.#o.leaseMs, { force: store.exclusive });
    this.#leadership = leadership;
    this.#leading = leading;
    if (leading) this.#renewedAt = now;
    this.#o.logger.info(
      { leader: leadership?.owner ?? null, leading, host: this.host },
      leading ? `fleet: this gateway leads (${store.exclusive ? 'the only gateway of its store' : 'lease taken'})` : `fleet: gateway ${leadership?.owner} leads; leader-scoped daemons wait here`,
    );
  }

  /** Heartbeat from now on. */
  start(): void {
    if (!this.#stopped) this.#arm();
  }

  /** One heartbeat now (tests, and the timer). */
  beat(): Promise<void> {
    this.#beating ??= this.#beat().finally(() => (this.#beating = undefined));
    return this.#beating;
  }

  /**
   * Stop heartbeating; once the leader-scoped daemons are stopped (the gateway's stop does that
   * first), give the lead up so another gateway takes it at once, and mark the row stopped.
   */
  async leave(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) this.#o.clock.clearTimeout(this.#timer);
    await this.#beating;
    await this.#transition;
    const { store, sessionId, clock } = this.#o;
    try {
      if (this.#leading) await store.fleet.resign(sessionId);
      this.#leading = false;
      await store.fleet.leave(sessionId, clock.now());
    } catch (err) {
      this.#o.logger.warn({ err }, `fleet: could not record this gateway's stop: ${describeError(err)}; its lease expires by itself`);
    }
  }

  // A follower also wakes the moment the leader's lease would end: if the leader is gone, the
  // lead is taken within the lease of its last renewal, not a heartbeat later.
  #arm(): void {
    const l = this.#leadership;
    const untilExpiry = !this.#leading && l !== null && l.owner !== this.#o.sessionId ? l.until + 1 - this.#o.clock.now() : Infinity;
    const wait = Math.max(1, Math.min(this.#o.heartbeatEveryMs, untilExpiry));
    this.#timer = this.#o.clock.setTimeout(() => {
      this.#timer = undefined;
      void this.beat().finally(() => {
        if (!this.#stopped) this.#arm();
      });
    }, wait);
  }

  async #beat(): Promise<void> {
    const { store, clock, sessionId, logger, leaseMs } = this.#o;
    const now = clock.now();
    try {
      const state = this.#o.state();
      if (!(await store.fleet.heartbeat(sessionId, now, state))) {
        await store.fleet.register({ sessionId, host: this.host, pid: process.pid, version: this.version, startedAt: this.#o.startedAt, heartbeatAt: now, state });
      }
      this.#heartbeatAt = now;
    } catch (err) {
      // The store's health already says why (degraded); the lease below decides about the lead.
      logger.warn({ err }, `fleet: heartbeat not written: ${describeError(err)}`);
    }
    if (this.#stopped) return;
    try {
      const { leading, leadership } = await store.fleet.lead(sessionId, now, leaseMs, { force: store.exclusive });
      this.#leadership = leadership;
      if (leading) {
        this.#renewedAt = now;
        if (!this.#leading) this.#change(true, leadership && leadership.since === now ? 'the lease was free or expired' : 'the lease is this gateway’s');
      } else if (this.#leading) {
        this.#change(false, `gateway ${leadership?.owner ?? '(none)'} took the lease`);
      }
    } catch (err) {
      // Out of touch with the store: keep leading while the lease surely holds, and step down a
      // third of a lease before it ends, so the daemons are stopped before anyone can take over.
      if (this.#leading && clock.now() - this.#renewedAt >= leaseMs - leaseMs / 3) {
        this.#change(false, `the lease could not be renewed for ${Math.round((clock.now() - this.#renewedAt) / 1000)} s (${describeError(err)})`);
      }
    }
    await this.#transition;
    try {
      await this.#o.onBeat?.(this.#leading);
    } catch (err) {
      logger.warn({ err }, `fleet: the leader's sweep failed: ${describeError(err)}`);
    }
  }

  #change(leading: boolean, why: string): void {
    this.#leading = leading;
    const { logger, sessionId, store } = this.#o;
    this.#transition = this.#transition.then(async () => {
      logger.warn({ leading, why }, leading ? `fleet: this gateway now leads (${why}): starting its leader-scoped daemons` : `fleet: this gateway lost the lead (${why}): stopping its leader-scoped daemons`);
      try {
        await this.#o.onLeadership(leading, why);
      } catch (err) {
        logger.error({ err }, `fleet: changing leader-scoped daemons failed: ${describeError(err)}`);
      }
      // Stepped down while still holding the row: give it up now that the daemons are stopped.
      if (!leading) await store.fleet.resign(sessionId).catch(() => false);
    });
  }
}

let version: string | undefined;

/** The runtime package's version, as `kora --version` says it. */
export function runtimeVersion(): string {
  if (version !== undefined) return version;
  version = 'unknown';
  try {
    const dir = runtimePackageDir();
    if (dir) {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version?: unknown };
      if (typeof pkg.version === 'string') version = pkg.version;
    }
  } catch {
    // Shown as unknown.
  }
  return version;
}
