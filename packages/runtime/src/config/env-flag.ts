// Boolean environment flags (`KORA_DEV`, `KORA_ENABLE_PROJECT_PLUGINS`, …) have one meaning
// everywhere: a value that is neither clearly on nor clearly off is an error, never a guess,
// so `KORA_DEV=ture` does not silently mean production.
import { EnvError } from '../errors.js';
import type { Env } from './locate.js';

const TRUE = new Set(['1', 'true', 'yes', 'on']);
const FALSE = new Set(['', '0', 'false', 'no', 'off']);

export const FLAG_ACCEPTED = 'expected 1, true, yes or on (on) or 0, false, no, off or empty (off), in any case';

/** `undefined` (unset) is off; otherwise the value, trimmed and in any case, must be one of the accepted words. Throws EnvError naming the variable. */
export function parseEnvFlag(variable: string, value: string | undefined): boolean {
  const v = flagValue(value);
  if (v === undefined) throw new EnvError([{ variable, shown: value ?? '', expected: FLAG_ACCEPTED }]);
  return v;
}

/** `parseEnvFlag` of `env[variable]`. */
export function readEnvFlag(env: Env, variable: string): boolean {
  return parseEnvFlag(variable, env[variable]);
}

/** The flag's meaning, or undefined when the value is not one of the accepted words. */
export function flagValue(value: string | undefined): boolean | undefined {
  if (value === undefined) return false;
  const v = value.trim().toLowerCase();
  if (TRUE.has(v)) return true;
  if (FALSE.has(v)) return false;
  return undefined;
}
