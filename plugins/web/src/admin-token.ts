// The admin token: KORA_ADMIN_TOKEN, or in dev mode one generated once and kept in
// $KORA_HOME/admin_token (mode 0600). Outside dev, no token means no admin server (fail closed).
// Comparison is constant-time over SHA-256 digests, so neither the content nor the length of
// the token leaks through timing.
import { join } from 'node:path';
import { DaemonError, keptToken } from '@kora/runtime';

export const TOKEN_ENV = 'KORA_ADMIN_TOKEN';
export const TOKEN_FILE = 'admin_token';

export interface AdminToken {
  /** The secret itself: never logged, never in the status, never in a URL after login. */
  readonly value: string;
  /** `env` (KORA_ADMIN_TOKEN) or `file` (dev mode, generated once). */
  readonly source: 'env' | 'file';
  /** The file it is kept in, for `source: 'file'`. */
  readonly file?: string;
  /** True when this boot generated the file. */
  readonly generated: boolean;
}

export interface TokenInputs {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly deployEnv: string;
  readonly home: string;
  readonly daemon: string;
}

export function resolveAdminToken(inputs: TokenInputs): AdminToken {
  const fromEnv = inputs.env[TOKEN_ENV]?.trim();
  if (fromEnv) return { value: fromEnv, source: 'env', generated: false };
  if (inputs.deployEnv !== 'dev') {
    throw new DaemonError(
      'KORA_ERR_DAEMON_START',
      `Daemon "${inputs.daemon}" refuses to serve the admin UI without an admin token: set ${TOKEN_ENV} (e.g. to the output of \`openssl rand -base64 32\`); only a dev run (--dev) generates one`,
      { daemon: inputs.daemon, missing: TOKEN_ENV },
    );
  }
  const file = join(inputs.home, TOKEN_FILE);
  const kept = keptToken(file);
  return { value: kept.token, source: 'file', file, generated: kept.created };
}
