// Where a `kora` command finds its config and its home (DESIGN §1), the same way for every
// command, so `npm start` and `npx kora status` beside it agree without any environment set.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, resolve } from 'node:path';
import { ConfigError } from '../errors.js';

export type Env = Readonly<Record<string, string | undefined>>;

export interface ConfigLocation {
  /** Absolute path of the config file, or undefined when none was found. */
  path: string | undefined;
  /** How it was found. */
  via: '--config' | 'KORA_CONFIG' | './kora.yaml' | '$KORA_HOME/kora.yaml' | 'none';
}

const nonBlank = (v: string | undefined): v is string => v !== undefined && v.trim() !== '';

/** The home when no config says otherwise: `$KORA_HOME`, else `~/.kora`. */
export function defaultHome(env: Env): string {
  return nonBlank(env.KORA_HOME) ? resolve(env.KORA_HOME) : resolve(homedir(), '.kora');
}

/** The config file, found as `locateConfig` finds it; none found is `KORA_ERR_CONFIG_NOT_FOUND`, saying where it looked. */
export function requireConfig(options: { flag?: string | undefined; env: Env; cwd: string }): string {
  const { path } = locateConfig(options);
  if (path) return path;
  throw new ConfigError(
    'KORA_ERR_CONFIG_NOT_FOUND',
    undefined,
    [{ path: '', message: 'looked for --config, $KORA_CONFIG, ./kora.yaml and $KORA_HOME/kora.yaml' }],
    'No kora.yaml found: run `kora init` to write a commented ./kora.yaml here, or pass --config PATH, or set KORA_CONFIG.',
  );
}

/** `--config PATH`, else `$KORA_CONFIG`, else `./kora.yaml`, else `$KORA_HOME/kora.yaml`. A named file that does not exist is an error. */
export function locateConfig(options: { flag?: string | undefined; env: Env; cwd: string }): ConfigLocation {
  const { flag, env, cwd } = options;
  if (nonBlank(flag)) return { path: mustExist(resolve(cwd, flag), '--config'), via: '--config' };
  if (nonBlank(env.KORA_CONFIG)) return { path: mustExist(resolve(cwd, env.KORA_CONFIG), 'KORA_CONFIG'), via: 'KORA_CONFIG' };
  const local = resolve(cwd, 'kora.yaml');
  if (existsSync(local)) return { path: local, via: './kora.yaml' };
  const inHome = resolve(defaultHome(env), 'kora.yaml');
  if (existsSync(inHome)) return { path: inHome, via: '$KORA_HOME/kora.yaml' };
  return { path: undefined, via: 'none' };
}

/** `$KORA_HOME`, else the config's `home:` (relative to the config file), else `~/.kora`. */
export function resolveHome(options: { env: Env; configPath: string | undefined; configHome: string | undefined }): string {
  const { env, configPath, configHome } = options;
  if (nonBlank(env.KORA_HOME)) return resolve(env.KORA_HOME);
  if (nonBlank(configHome) && configPath) return resolve(dirname(configPath), configHome);
  return defaultHome(env);
}

function mustExist(path: string, via: string): string {
  if (!existsSync(path)) {
    throw new ConfigError('KORA_ERR_CONFIG_NOT_FOUND', path, [{ path: '', message: `the file named by ${via} does not exist` }], `Config file not found: ${path} (named by ${via}).`);
  }
  return path;
}
