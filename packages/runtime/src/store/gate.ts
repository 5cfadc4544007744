// The one door every store call goes through: it refuses calls after close(), lets close()
// wait for the calls already in flight, and turns driver errors into StoreErrors that say
// which operation failed on which database.
import { KoraError, StoreError, describeError } from '../errors.js';

export class StoreGate {
  readonly #location: string;
  #closed = false;
  #closing: Promise<void> | undefined;
  /** Calls not settled yet, and what close() is waiting on once they are all settled. */
  #inFlight = 0;
  #drained: (() => void) | undefined;

  constructor(location: string) {
    this.#location = location;
  }

  run<T>(op: string, fn: () => Promise<T>): Promise<T> {
    if (this.#closed) {
      return Promise.reject(
        new StoreError(`The store at ${this.#location} is closed: ${op} was called after close()`, { op, location: this.#location }),
      );
    }
    // One promise more than fn's own, not three: on Node 20 every promise pays the attribution's
    // async hooks, and the inbox's enqueue runs this once a webhook request.
    let call: Promise<T>;
    try {
      call = Promise.resolve(fn());
    } catch (err) {
      return Promise.reject(this.#wrap(op, err));
    }
    this.#inFlight++;
    return call.then(
      (value) => {
        this.#settled();
        return value;
      },
      (err: unknown) => {
        this.#settled();
        throw this.#wrap(op, err);
      },
    );
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Refuse new calls, let the running ones finish, then `release`. The same promise every time. */
  close(release: () => Promise<void>): Promise<void> {
    this.#closing ??= (async () => {
      this.#closed = true;
      if (this.#inFlight > 0) await new Promise<void>((resolve) => (this.#drained = resolve));
      await release();
    })();
    return this.#closing;
  }

  #settled(): void {
    if (--this.#inFlight === 0) this.#drained?.();
  }

  #wrap(op: string, err: unknown): KoraError {
    // A fault of the store (busy, full, I/O) already names the database; it gains the operation.
    if (err instanceof StoreError && err.code !== 'KORA_ERR_STORE') {
      return new StoreError(`${op}: ${err.message}`, { ...err.details, op }, { cause: err.cause, code: err.code });
    }
    if (err instanceof KoraError) return err;
    const code = (err as { code?: unknown } | null)?.code;
    return new StoreError(
      `Store operation ${op} failed on ${this.#location}: ${describeError(err)}`,
      { op, location: this.#location, ...(typeof code === 'string' ? { driverCode: code } : {}) },
      { cause: err },
    );
  }
}
