// Whether the store can still do its job, from what its statements and its file checks saw.
// Three sources, kept apart: a failed write clears with the next write that succeeds, but a
// database file that was deleted or replaced stays a fault until check() finds it back, and a
// write-ahead log that cannot be synced until a sync succeeds, because in both cases writes
// keep succeeding while nothing reaches the disk.
import type { StoreErrorCode } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { Clock } from '../time/clock.js';
import type { StoreFault, StoreHealth } from './types.js';

const HEALTHY: StoreHealth = Object.freeze({ ok: true });

export class StoreHealthMonitor {
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #listeners = new Set<(health: StoreHealth) => void>();
  #fileFault: StoreFault | undefined;
  #syncFault: StoreFault | undefined;
  #writeFault: StoreFault | undefined;
  #current: StoreHealth = HEALTHY;

  constructor(clock: Clock, log: Logger) {
    this.#clock = clock;
    this.#log = log;
  }

  get current(): StoreHealth {
    return this.#current;
  }

  onChange(listener: (health: StoreHealth) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  writeSucceeded(): void {
    if (this.#writeFault === undefined) return;
    this.#writeFault = undefined;
    this.#settle();
  }

  writeFailed(code: StoreErrorCode, reason: string): void {
    if (this.#writeFault?.code === code && this.#writeFault.reason === reason) return;
    this.#writeFault = this.#fault(code, reason, this.#writeFault);
    this.#settle();
  }

  /** `undefined`: the file is the one that was opened. */
  fileChecked(problem: { code: StoreErrorCode; reason: string } | undefined): void {
    const next = this.#checked(problem, this.#fileFault);
    if (next === this.#fileFault) return;
    this.#fileFault = next;
    this.#settle();
  }

  /**
   * The write-ahead log's sync (wal-sync.ts): `undefined` once a sync reached the disk. Like a
   * file fault it stays until then: writes keep succeeding while their commits are not durable.
   */
  syncChecked(problem: { code: StoreErrorCode; reason: string } | undefined): void {
    const next = this.#checked(problem, this.#syncFault);
    if (next === this.#syncFault) return;
    this.#syncFault = next;
    this.#settle();
  }

  /** The fault a check leaves: the same object when nothing changed. */
  #checked(problem: { code: StoreErrorCode; reason: string } | undefined, fault: StoreFault | undefined): StoreFault | undefined {
    if (problem === undefined) return undefined;
    if (fault?.code === problem.code && fault.reason === problem.reason) return fault;
    return this.#fault(problem.code, problem.reason, fault);
  }

  // A fault that changes its reason keeps the time the store first became unhealthy.
  #fault(code: StoreErrorCode, reason: string, previous: StoreFault | undefined): StoreFault {
    const since = previous?.since ?? (this.#current.ok ? this.#clock.now() : this.#current.since);
    return Object.freeze({ ok: false, code, reason, since });
  }

  #settle(): void {
    const next: StoreHealth = this.#fileFault ?? this.#syncFault ?? this.#writeFault ?? HEALTHY;
    if (next === this.#current) return;
    const was = this.#current;
    this.#current = next;
    if (next.ok) this.#log.info({ wasCode: was.ok ? undefined : was.code }, 'store healthy again');
    else this.#log.error({ code: next.code, reason: next.reason }, `store unhealthy: ${next.reason}`);
    for (const listener of this.#listeners) {
      try {
        listener(next);
      } catch (err) {
        this.#log.error({ err }, 'a store health listener threw');
      }
    }
  }
}
