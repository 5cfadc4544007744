// Watching the store's health for the gateway: every write that fails or succeeds changes it,
// and a cheap check runs every `everyMs`, so a quiet gateway notices a deleted file too.
import type { Store, StoreHealth } from '../store/types.js';
import type { Clock, TimerHandle } from '../time/clock.js';

/** Returns the function that stops watching. */
export function watchStore(store: Store, clock: Clock, everyMs: number, onChange: (health: StoreHealth) => void): () => void {
  const unsubscribe = store.onHealthChange(onChange);
  let timer: TimerHandle | undefined;
  let stopped = false;
  const tick = () => {
    timer = undefined;
    void store.check().finally(() => {
      if (!stopped) timer = clock.setTimeout(tick, everyMs);
    });
  };
  timer = clock.setTimeout(tick, everyMs);
  return () => {
    stopped = true;
    unsubscribe();
    if (timer) clock.clearTimeout(timer);
  };
}
