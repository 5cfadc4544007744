// Keeps `run/status.json` current and cheap: bursts of changes in one event-loop turn become one
// write, task runs at most one write a second, and a heartbeat rewrites the file every few
// seconds from the event loop, so a reader can tell a wedged gateway from a quiet one.
import { describeError, StatusFileError } from '../errors.js';
import type { SecretScrubber } from '../log/scrubber.js';
import type { Clock, TimerHandle } from '../time/clock.js';
import { writeStatusFile } from './status-file.js';
import type { ExitRecord, GatewayStatus } from './status.js';

export const DEFAULT_HEARTBEAT_MS = 5_000;
/** Task runs rewrite the file at most this often; state changes always at once. */
export const DEFAULT_TASK_WRITE_MS = 1_000;

export interface StatusWriterOptions {
  path: string;
  clock: Clock;
  /** The status to write. The writer stamps `heartbeatAt` and `heartbeatEveryMs` on it. */
  status: () => GatewayStatus;
  /** Every string of the status passes through it before it reaches the disk. */
  scrubber: SecretScrubber;
  /** A write failed after the previous one succeeded: called once per run of failures, not per write. */
  onError: (err: StatusFileError) => void;
  /** A write succeeded after failing. */
  onRecovered: () => void;
  heartbeatEveryMs?: number;
  taskWriteEveryMs?: number;
}

export class StatusWriter {
  readonly #o: StatusWriterOptions;
  readonly #heartbeatMs: number;
  readonly #taskMs: number;
  #queued = false;
  #taskTimer: TimerHandle | undefined;
  #beatTimer: TimerHandle | undefined;
  /** Monotonic time of the last write: a wall-clock step must not hold task writes back. */
  #lastWrite = -Infinity;
  #lastHeartbeat: number | null = null;
  #failing = false;
  #closed = false;

  constructor(options: StatusWriterOptions) {
    this.#o = options;
    this.#heartbeatMs = options.heartbeatEveryMs ?? DEFAULT_HEARTBEAT_MS;
    this.#taskMs = options.taskWriteEveryMs ?? DEFAULT_TASK_WRITE_MS;
  }

  /** The heartbeat as the last write recorded it (for a status served live, e.g. by the admin API). */
  get heartbeat(): { at: string | null; everyMs: number } {
    return { at: this.#lastHeartbeat === null ? null : new Date(this.#lastHeartbeat).toISOString(), everyMs: this.#heartbeatMs };
  }

  /** The last write failed and none has succeeded since. */
  get failing(): boolean {
    return this.#failing;
  }

  /** Write the first status (this turn) and start the heartbeat. */
  start(): void {
    if (this.#closed) return;
    this.changed();
    this.#scheduleBeat();
  }

  /** Something a reader must see changed (a gateway or daemon state): written once this turn ends. */
  changed(): void {
    if (this.#closed || this.#queued) return;
    this.#queued = true;
    this.#o.clock.setImmediate(() => {
      this.#queued = false;
      if (!this.#closed) this.#write();
    });
  }

  /**
   * A task run, skip or miss was recorded. The first after a quiet period is written this turn;
   * a burst after it is written once, that period after the last write: the file stays at most
   * a period behind, and hundreds of runs a second do not cost a core.
   */
  taskChanged(): void {
    if (this.#closed || this.#taskTimer) return;
    const wait = this.#lastWrite + this.#taskMs - this.#o.clock.monotonic();
    if (wait <= 0) {
      this.changed();
      return;
    }
    this.#taskTimer = this.#o.clock.setTimeout(() => {
      this.#taskTimer = undefined;
      this.changed();
    }, wait);
  }

  /**
   * The last write, synchronous, for the stop or an exit under way (a forced exit, a
   * `process.exit` from a plugin): nothing is written after it. `exit` overrides the status's own.
   */
  writeFinal(exit?: ExitRecord): void {
    if (this.#closed) return;
    this.close();
    this.#write(exit);
  }

  /** Stop the heartbeat and drop pending writes. */
  close(): void {
    this.#closed = true;
    this.#queued = false;
    if (this.#taskTimer) this.#o.clock.clearTimeout(this.#taskTimer);
    if (this.#beatTimer) this.#o.clock.clearTimeout(this.#beatTimer);
    this.#taskTimer = undefined;
    this.#beatTimer = undefined;
  }

  /** A timer on the event loop, not a thread: when the loop wedges, the heartbeat stops and the file ages. */
  #scheduleBeat(): void {
    this.#beatTimer = this.#o.clock.setTimeout(() => {
      this.#beatTimer = undefined;
      if (this.#closed) return;
      this.#write();
      this.#scheduleBeat();
    }, this.#heartbeatMs);
  }

  #write(exit?: ExitRecord): void {
    const { clock, path, scrubber } = this.#o;
    this.#lastWrite = clock.monotonic();
    const now = clock.now();
    try {
      const status: GatewayStatus = { ...this.#o.status(), heartbeatAt: new Date(now).toISOString(), heartbeatEveryMs: this.#heartbeatMs };
      if (exit) status.exit = exit;
      writeStatusFile(path, scrubber.scrubDeep(status));
    } catch (err) {
      if (this.#failing) return;
      this.#failing = true;
      this.#o.onError(err instanceof StatusFileError ? err : new StatusFileError(path, `Cannot write the status file ${path}: ${describeError(err)}`, { cause: err }));
      return;
    }
    this.#lastHeartbeat = now;
    if (this.#failing) {
      this.#failing = false;
      this.#o.onRecovered();
    }
  }
}
