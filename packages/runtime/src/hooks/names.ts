// What an unclassified hook name probably meant: the nearest catalogued name (for the "did you
// mean" in the warning), and whether it looks like a guard, since a mistyped guard fails open.
import { HOOK_KINDS, HOOK_NAMES, type HookName } from './catalog.js';

/** Every catalogued guard starts so; a name that does too and is not catalogued is a mistake, never a custom hook. */
const GUARD_PREFIX = 'pre_tool_call';

/** Levenshtein distance: insertions, deletions and substitutions, one each. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length]!;
}

/** The catalogued name `name` is likely a typo of, if any is close enough to be worth suggesting. */
export function nearestHook(name: string): HookName | undefined {
  // A third of the name, but at least 2: `gateway_start` → `gateway_started`, not `marvin_mood` → `pre_llm_call`.
  const limit = Math.max(2, Math.floor(name.length / 3));
  let best: HookName | undefined;
  let bestDistance = Infinity;
  for (const candidate of HOOK_NAMES) {
    const distance = editDistance(name, candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return bestDistance <= limit ? best : undefined;
}

/** Closer than this to a catalogued guard and a name is taken for a typo of it (`pre_tool_cal`), not a hook of its own (`pre_tool_list`). */
const GUARD_TYPO_DISTANCE = 2;

const GUARDS = HOOK_NAMES.filter((name) => HOOK_KINDS[name] === 'guard');

/** An unclassified name that reads as a guard: `pre_tool_call…`, or a near miss of a catalogued guard. */
export function looksLikeGuard(name: string): boolean {
  return name.startsWith(GUARD_PREFIX) || GUARDS.some((guard) => editDistance(name, guard) <= GUARD_TYPO_DISTANCE);
}
