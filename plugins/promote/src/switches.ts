// The runtime kill switch (docs/promote.md, "Kill switch"; decision 0165): the config's
// `enabled` keys are read at boot, so "checked at every cycle" alone would mean "after the next
// restart". A person can also turn the loops (all, or one) off and on again while the gateway
// runs, through the admin API (`POST /api/promote/kill-switch`) or `kora proposals pause|resume`.
// The state sits in the plugin's key-value store (every gateway of a fleet reads the same), is
// read at every cycle and by the `proposals` service at each refresh, and each change is audited
// with who made it. A loop runs only when the config and the runtime switch both leave it on.
import type { KeyValueStore } from '@kora/runtime';
import { isLoop, LOOPS, type LoopName } from './proposal.js';

export const SWITCH_KEY = 'kill_switch';
export const SWITCH_SEAM = 'promote.kill_switch';

export type SwitchTarget = 'all' | LoopName;
export const SWITCH_TARGETS: readonly SwitchTarget[] = ['all', ...LOOPS];

export interface Off {
  readonly by: string;
  readonly at: number;
  readonly reason: string | null;
}

/** What is turned off at runtime: `all` and/or single loops. Absent means on. */
export type RuntimeOff = Readonly<Partial<Record<SwitchTarget, Off>>>;

export const isTarget = (value: unknown): value is SwitchTarget => value === 'all' || isLoop(value);

/** The stored value, read defensively: an entry of another shape does not count (the loop stays on). */
export function parseOff(value: unknown): RuntimeOff {
  if (typeof value !== 'object' || value === null) return {};
  const out: Partial<Record<SwitchTarget, Off>> = {};
  for (const [target, entry] of Object.entries(value as Record<string, unknown>)) {
    if (!isTarget(target) || typeof entry !== 'object' || entry === null) continue;
    const e = entry as Record<string, unknown>;
    if (typeof e.by !== 'string' || typeof e.at !== 'number') continue;
    out[target] = { by: e.by, at: e.at, reason: typeof e.reason === 'string' ? e.reason : null };
  }
  return out;
}

/** Why a loop is off at runtime (the `all` switch first), or null when it is not. */
export function runtimeOffOf(off: RuntimeOff, loop: LoopName): { readonly target: SwitchTarget; readonly off: Off } | null {
  if (off.all) return { target: 'all', off: off.all };
  const own = off[loop];
  return own ? { target: loop, off: own } : null;
}

export class RuntimeSwitches {
  readonly #kv: KeyValueStore;

  constructor(kv: KeyValueStore) {
    this.#kv = kv;
  }

  async read(): Promise<RuntimeOff> {
    return parseOff(await this.#kv.get(SWITCH_KEY));
  }

  /** Turn `target` off (enabled false) or on again; returns the state after. */
  async set(target: SwitchTarget, enabled: boolean, by: string, now: number, reason?: string): Promise<RuntimeOff> {
    const current: Partial<Record<SwitchTarget, Off>> = { ...(await this.read()) };
    if (enabled) delete current[target];
    else current[target] = { by: by.slice(0, 160), at: now, reason: reason?.trim() ? reason.trim().slice(0, 512) : null };
    await this.#kv.set(SWITCH_KEY, current);
    return current;
  }
}
