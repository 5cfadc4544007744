// What operators do to a running gateway through its surfaces (admin API, MCP): run a task now,
// stop, replay or discard a dead letter. The CLI does the same on the store; here each
// operation is audited with its actor — a stop before it begins, a run once its slot is claimed
// (a refused one too, with its code), a replay or discard once done — so the log says who did what
// even when the operation then fails.
import { KoraError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { Actor, GatewayOperations, ManualRun } from '../plugins/types.js';
import type { Scheduler } from '../schedule/scheduler.js';
import type { Store } from '../store/types.js';
import type { Clock } from '../time/clock.js';

export const OPERATIONS_PLUGIN = 'runtime';

export interface OperationsHost {
  readonly clock: Clock;
  readonly logger: Logger;
  /** The store, once open; operations before it are refused. */
  store(): Store | undefined;
  scheduler(): Pick<Scheduler, 'runNow'> | undefined;
  /** True once the gateway is stopping or stopped. */
  stopping(): boolean;
  stop(reason: string): void;
  scrub<V>(value: V): V;
  /** A dead letter was replayed or discarded: wake the consumers, refresh the counts. */
  inboxChanged(): void;
}

const ACTOR_RE = /^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,127}$/;

export function createOperations(host: OperationsHost): GatewayOperations {
  const store = (what: string): Store => {
    const s = host.store();
    if (!s || host.stopping()) throw new KoraError('KORA_ERR_GATEWAY_STOPPING', `${what}: the gateway is ${s ? 'stopping' : 'not running yet'}`, {});
    return s;
  };
  const audit = (seam: string, by: Actor, details: Record<string, unknown>) =>
    store(seam).audit.append({ at: host.clock.now(), plugin: OPERATIONS_PLUGIN, seam, details: { ...details, by: actorOf(by) } });

  return {
    async runTask(name: string, by: Actor): Promise<ManualRun> {
      const scheduler = host.scheduler();
      if (!scheduler || host.stopping()) throw new KoraError('KORA_ERR_GATEWAY_STOPPING', `task "${name}" cannot run now: the gateway is ${scheduler ? 'stopping' : 'not running yet'}`, { task: name });
      const actor = actorOf(by);
      try {
        const run = await scheduler.runNow(name);
        await audit('operations.task_run', by, { task: run.task, daemon: run.daemon, slot: run.slot });
        host.logger.info({ task: run.task, by: actor }, `task ${run.task}: run now, asked by ${actor}`);
        return run;
      } catch (err) {
        // Refusals are audited too: the log shows who tried, and why it did not happen.
        await audit('operations.task_run_refused', by, { task: name, code: err instanceof KoraError ? err.code : 'error' }).catch(() => undefined);
        throw err;
      }
    },

    async requestStop(by: Actor & { reason?: string }): Promise<void> {
      const actor = actorOf(by);
      const reason = typeof by.reason === 'string' && by.reason.trim() ? by.reason.trim().slice(0, 200) : undefined;
      await audit('operations.stop_requested', by, reason ? { reason } : {});
      host.logger.warn({ by: actor }, `stop requested by ${actor}${reason ? `: ${reason}` : ''}`);
      // After the caller's reply has gone out: the surface asking is one of the daemons the
      // stop will close, and it would otherwise wait on its own request.
      setImmediate(() => host.stop(`stop requested by ${actor}${reason ? `: ${reason}` : ''}`));
    },

    inbox: {
      topics: () => store('inbox.topics').inbox.stats(),
      async dead(query) {
        return host.scrub(await store('inbox.dead').inbox.dead(query));
      },
      async replay(id, by) {
        const done = await store('inbox.replay').inbox.replay(id, host.clock.now());
        if (done) {
          host.inboxChanged();
          await audit('inbox.replayed', by, { id });
        }
        return done;
      },
      async discard(id, by) {
        const done = await store('inbox.discard').inbox.discard(id);
        if (done) {
          host.inboxChanged();
          await audit('inbox.discarded', by, { id });
        }
        return done;
      },
    },
  };
}

function actorOf(by: Actor): string {
  const actor = by?.actor;
  if (typeof actor !== 'string' || !ACTOR_RE.test(actor)) {
    throw new KoraError('KORA_ERR_OPERATION_ACTOR', `an operation needs an actor (letters, digits and _.:@-, e.g. "web:admin"), got ${JSON.stringify(actor)}`, {});
  }
  return actor;
}
