// Which plugin (and daemon) the code running now belongs to. Every entry into plugin code —
// import, register, daemon start/stop, task runs, hook callbacks, tools — runs inside
// `run(owner, …)`, and AsyncLocalStorage carries the owner into every timer, promise and
// socket callback that code creates, so an error thrown there later can be pinned on it.
import { AsyncLocalStorage } from 'node:async_hooks';

export interface CodeOwner {
  readonly pluginId: string;
  /** Set when the code runs for one daemon (its start, stop, tasks, consumers). */
  readonly daemon?: string;
}

/** One per gateway: two gateways in one process attribute their own plugins' code. */
export class Attribution {
  readonly #storage = new AsyncLocalStorage<CodeOwner>();

  run<A extends unknown[], R>(owner: CodeOwner, fn: (...args: A) => R, ...args: A): R {
    return this.#storage.run(owner, fn, ...args);
  }

  /** The owner of the code running now, or undefined for the runtime's own code. */
  current(): CodeOwner | undefined {
    return this.#storage.getStore();
  }

  /** `fn` bound to `owner`: whoever calls it, it runs as that owner's code. */
  bind<A extends unknown[], R>(owner: CodeOwner, fn: (...args: A) => R): (...args: A) => R {
    const storage = this.#storage;
    return function attributed(this: unknown, ...args: A): R {
      return storage.run(owner, () => fn.apply(this, args));
    };
  }
}

export function describeOwner(owner: CodeOwner): string {
  return owner.daemon ? `daemon "${owner.daemon}" of plugin "${owner.pluginId}"` : `plugin "${owner.pluginId}"`;
}
