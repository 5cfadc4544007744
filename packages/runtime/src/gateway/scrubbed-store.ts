// The store as the gateway hands it out: ledger errors and audit rows pass through the secret
// scrubber on their way in, so a secret a plugin threw or logged never lands in a table.
import type { SecretScrubber } from '../log/scrubber.js';
import type { AuditLog, RunLedger, Store } from '../store/types.js';

export function scrubbedStore(store: Store, scrubber: SecretScrubber): Store {
  const ledger = overriding<RunLedger>(store.ledger, {
    complete: (task, slot, result) => store.ledger.complete(task, slot, { ...result, error: result.error === null ? null : scrubber.scrub(result.error) }),
    note: (run) => store.ledger.note({ ...run, error: run.error === null ? null : scrubber.scrub(run.error) }),
    interrupt: (task, slot, now, error) => store.ledger.interrupt(task, slot, now, scrubber.scrub(error)),
  });
  const audit = overriding<AuditLog>(store.audit, { append: (entry) => store.audit.append(scrubber.scrubDeep(entry)) });
  return overriding<Store>(store, {}, { ledger, audit });
}

/**
 * A proxy rather than a copy: whatever else the object offers (store health, plugin tables)
 * stays reachable, and its methods run with the real object as `this` (its #private state).
 */
function overriding<T extends object>(target: T, methods: Partial<T>, values: Record<string, unknown> = {}): T {
  // Bound once per method, not on every access: the ledger's methods are on every task run's path.
  const bound = new Map<PropertyKey, unknown>();
  return new Proxy(target, {
    get(t, prop, receiver) {
      if (typeof prop === 'string' && Object.hasOwn(methods, prop)) return methods[prop as keyof T];
      if (typeof prop === 'string' && Object.hasOwn(values, prop)) return values[prop];
      const value: unknown = Reflect.get(t, prop, receiver);
      if (typeof value !== 'function') return value;
      let fn = bound.get(prop);
      if (fn === undefined) bound.set(prop, (fn = (value as (...a: unknown[]) => unknown).bind(t)));
      return fn;
    },
  });
}
