// Watching the store's health for the gateway: every write that fails or succeeds changes it,
// and a cheap check runs every `everyMs`, so a quiet gateway notices a deleted file too. While
// the store is unhealthy (a PostgreSQL server gone, a full disk) the check is retried with
// backoff, from one second doubling up to `everyMs`, so a short outage is seen to end quickly.
import type { Store, StoreHealth } from '../store/types.js';
import type { Clock, TimerHandle } from '../time/clock.js';

const FIRST_RETRY_MS = 1000;

/** Returns the function that stops watching. */
export function watchStore(store: Store, clock: Clock, everyMs: number, onChange: (health: StoreHealth) => void): () => void {
  let retryMs = FIRST_RETRY_MS;
  const unsubscribe = store.onHealthChange((health) => {
    onChange(health);
    // A fault seen by any statement starts the backoff at its first step.
    if (!health.ok) {
      retryMs = FIRST_RETRY_MS;
      if (timer && !stopped) {
        clock.clearTimeout(timer);
        timer = clock.setTimeout(tick, Math.min(retryMs, everyMs));
      }
    }
  });
  let timer: TimerHandle | undefined;
  let stopped = false;
  const tick = () => {
    timer = undefined;
    void store.check().then(
      (health) => schedule(health.ok),
      () => schedule(false),
    );
  };
  const schedule = (ok: boolean) => {
    if (stopped) return;
    let wait = everyMs;
    if (!ok) {
      wait = Math.min(retryMs, everyMs);
      retryMs = Math.min(retryMs * 2, everyMs);
    } else {
      retryMs = FIRST_RETRY_MS;
    }
    timer = clock.setTimeout(tick, wait);
  };
  timer = clock.setTimeout(tick, everyMs);
  return () => {
    stopped = true;
    unsubscribe();
    if (timer) clock.clearTimeout(timer);
  };
}
