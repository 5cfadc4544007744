// Running the inbox consumers of running daemons (DESIGN §7): like tasks, they run only while
// their daemon runs. One loop claims due items for the topics consumed, each under a lease,
// hands each to its consumer (attributed to its daemon, with a signal aborted at the lease's
// end or when the daemon stops), and completes, retries with backoff, or dead-letters it.
import type { ConsumerSpec, InboxItem } from '../daemons/types.js';
import { describeError, KoraError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { Attribution } from '../plugins/attribution.js';
import type { Inbox } from '../store/types.js';
import type { Clock, TimerHandle } from '../time/clock.js';
import { parseDuration } from '../time/duration.js';
import { rejectWhenAborted } from '../time/timeout.js';

export const DEFAULT_ATTEMPTS = 5;
export const DEFAULT_BACKOFF_MS = 1_000;
export const DEFAULT_LEASE_MS = 60_000;
export const DEFAULT_POLL_MS = 1_000;

export interface ConsumerRunnerOptions {
  inbox: Inbox;
  clock: Clock;
  logger: Logger;
  /** The gateway's session id: the owner of its claims. */
  owner: string;
  attribution?: Attribution;
  /** How long a claim holds; a handler still going then is aborted and the item retried. */
  leaseMs?: number;
  /** How often topics are polled when nothing woke the runner. */
  pollEveryMs?: number;
  /** Called after every delivery outcome (for the status file). */
  onChange?: () => void;
}

interface Consumer {
  readonly daemon: string;
  readonly pluginId: string;
  readonly spec: ConsumerSpec;
  readonly attempts: number;
  readonly backoffMs: number;
  /** The delivery in flight, if any: one at a time per consumer, so items of a topic keep their order. */
  running: Promise<void> | null;
  controller: AbortController | null;
  removed: boolean;
}

export class ConsumerRunner {
  readonly #o: ConsumerRunnerOptions;
  readonly #leaseMs: number;
  readonly #pollMs: number;
  readonly #consumers = new Map<string, Consumer>();
  #timer: TimerHandle | undefined;
  #polling: Promise<void> | null = null;
  #again = false;
  #stopped = false;

  constructor(options: ConsumerRunnerOptions) {
    this.#o = options;
    this.#leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    this.#pollMs = options.pollEveryMs ?? DEFAULT_POLL_MS;
  }

  /** Start consuming a running daemon's topics. A topic has one consumer across the gateway. */
  add(daemon: string, pluginId: string, consumers: readonly ConsumerSpec[]): void {
    for (const spec of consumers) {
      const other = this.#consumers.get(spec.topic);
      if (other) {
        throw new KoraError('KORA_ERR_CONSUMER_DUPLICATE', `inbox topic "${spec.topic}" of daemon "${daemon}" is already consumed by daemon "${other.daemon}": a topic has one consumer`, {
          topic: spec.topic,
          daemons: [other.daemon, daemon],
        });
      }
      this.#consumers.set(spec.topic, {
        daemon,
        pluginId,
        spec,
        attempts: spec.attempts ?? DEFAULT_ATTEMPTS,
        backoffMs: spec.backoff === undefined ? DEFAULT_BACKOFF_MS : parseDuration(spec.backoff, `backoff of consumer "${spec.topic}"`),
        running: null,
        controller: null,
        removed: false,
      });
    }
    this.wake();
  }

  /** Topics consumed now, with their daemon. */
  topics(): { topic: string; daemon: string; busy: boolean }[] {
    return [...this.#consumers.values()].map((c) => ({ topic: c.spec.topic, daemon: c.daemon, busy: c.running !== null }));
  }

  /** An item may be waiting (a producer enqueued one): poll now rather than at the next tick. */
  wake(): void {
    // No consumer, nothing to poll: the first one added wakes the runner itself.
    if (this.#stopped || this.#consumers.size === 0) return;
    if (this.#polling) {
      this.#again = true;
      return;
    }
    if (this.#timer) this.#o.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#polling = this.#poll().finally(() => {
      this.#polling = null;
      if (this.#again) {
        this.#again = false;
        this.wake();
      } else this.#arm();
    });
  }

  /** Stop consuming a daemon's topics: no new claim, the deliveries in flight get `drainMs`, then their signal. */
  async remove(daemon: string, drainMs: number): Promise<void> {
    const mine = [...this.#consumers.values()].filter((c) => c.daemon === daemon);
    for (const c of mine) {
      c.removed = true;
      this.#consumers.delete(c.spec.topic);
    }
    await this.#drain(mine, drainMs, `daemon "${daemon}" is stopping`);
  }

  async stop(drainMs: number): Promise<void> {
    this.#stopped = true;
    if (this.#timer) this.#o.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    const all = [...this.#consumers.values()];
    for (const c of all) c.removed = true;
    this.#consumers.clear();
    await this.#polling;
    await this.#drain(all, drainMs, 'the gateway is stopping');
  }

  #arm(): void {
    if (this.#stopped || this.#timer || this.#consumers.size === 0) return;
    this.#timer = this.#o.clock.setTimeout(() => {
      this.#timer = undefined;
      this.wake();
    }, this.#pollMs);
  }

  async #poll(): Promise<void> {
    const idle = [...this.#consumers.values()].filter((c) => c.running === null);
    if (idle.length === 0) return;
    // One item per idle topic: a consumer handles its topic's items one at a time, in order.
    for (const consumer of idle) {
      let items: InboxItem[];
      try {
        items = await this.#o.inbox.claim({ topics: [consumer.spec.topic], owner: this.#o.owner, leaseMs: this.#leaseMs, now: this.#o.clock.now(), limit: 1 });
      } catch (err) {
        this.#o.logger.error({ err, topic: consumer.spec.topic }, `inbox: claiming an item of "${consumer.spec.topic}" failed: ${describeError(err)}`);
        continue;
      }
      const item = items[0];
      if (!item) continue;
      if (consumer.removed) continue; // its daemon stopped while claiming: the lease runs out and the item is delivered again
      consumer.running = this.#deliver(consumer, item).finally(() => {
        consumer.running = null;
        consumer.controller = null;
        this.#o.onChange?.();
        this.wake();
      });
    }
  }

  async #deliver(consumer: Consumer, item: InboxItem): Promise<void> {
    const { clock, logger, owner, inbox } = this.#o;
    const controller = new AbortController();
    consumer.controller = controller;
    const log = logger.child({ topic: item.topic, daemon: consumer.daemon });
    // The handler gets one lease's time; the claim is renewed meanwhile, so no other gateway
    // takes the item over while this one is still finishing or giving up.
    const leaseEnd = clock.setTimeout(
      () => controller.abort(new KoraError('KORA_ERR_CONSUMER_TIMEOUT', `consumer of "${item.topic}" did not finish item ${item.id} within its lease (${this.#leaseMs} ms)`)),
      this.#leaseMs,
    );
    let renewal: TimerHandle | undefined;
    const renew = () => {
      renewal = clock.setTimeout(() => {
        void inbox.renew([item.id], owner, clock.now() + this.#leaseMs).then(
          (held) => {
            if (held.length === 0) controller.abort(new KoraError('KORA_ERR_CONSUMER_TIMEOUT', `the claim of item ${item.id} of "${item.topic}" was lost (taken over)`));
            else if (!controller.signal.aborted) renew();
          },
          (err: unknown) => log.warn({ err }, `inbox: renewing the claim of item ${item.id} failed: ${describeError(err)}`),
        );
      }, Math.max(1, Math.floor(this.#leaseMs / 3)));
    };
    renew();
    const done = () => {
      clock.clearTimeout(leaseEnd);
      if (renewal) clock.clearTimeout(renewal);
    };
    const handle = () => consumer.spec.handle(item, { signal: controller.signal, log });
    const attributed = this.#o.attribution ? () => this.#o.attribution!.run({ pluginId: consumer.pluginId, daemon: consumer.daemon }, handle) : handle;
    try {
      await Promise.race([Promise.resolve().then(attributed), rejectWhenAborted(controller.signal)]);
      done();
      if (!(await inbox.complete(item.id, owner))) log.warn(`inbox: item ${item.id} of "${item.topic}" was done, but its claim had been taken over; not marked done here`);
    } catch (err) {
      done();
      const error = describeError(err);
      const dead = item.attempt >= consumer.attempts;
      const retryAt = clock.now() + consumer.backoffMs * 2 ** (item.attempt - 1);
      log.warn({ attempt: item.attempt, dead }, `inbox: consumer of "${item.topic}" failed item ${item.id} (attempt ${item.attempt} of ${consumer.attempts}): ${error}${dead ? '; dead-lettered' : `; retried at ${new Date(retryAt).toISOString()}`}`);
      try {
        await inbox.fail(item.id, owner, dead ? { error, dead: true } : { error, retryAt });
      } catch (writeErr) {
        log.error({ err: writeErr }, `inbox: recording the failure of item ${item.id} failed; its lease will run out and it is delivered again`);
      }
    }
  }

  async #drain(consumers: readonly Consumer[], drainMs: number, why: string): Promise<void> {
    const running = consumers.filter((c) => c.running !== null);
    if (running.length === 0) return;
    const all = Promise.all(running.map((c) => c.running));
    const drained = await new Promise<boolean>((resolve) => {
      const timer = this.#o.clock.setTimeout(() => resolve(false), drainMs);
      void all.then(() => {
        this.#o.clock.clearTimeout(timer);
        resolve(true);
      });
    });
    if (drained) return;
    for (const c of running) c.controller?.abort(new KoraError('KORA_ERR_CONSUMER_INTERRUPTED', `${why}: the consumer of "${c.spec.topic}" did not finish within ${drainMs} ms and was aborted`));
    await all;
  }
}
