// The deploy-env gate: a gateway refuses to start without knowing where it is deployed.
import { DeployEnvError } from '../errors.js';
import { readEnvFlag } from './env-flag.js';
import type { Env } from './locate.js';

/**
 * `KORA_DEPLOY_ENV` if non-blank; else `dev` when `--dev` or `KORA_DEV` is on (1/true/yes/on);
 * else refuse. `--dev` never overrides an explicit value. An unreadable `KORA_DEV` is an EnvError.
 */
export function resolveDeployEnv(options: { env: Env; devFlag?: boolean }): string {
  const explicit = options.env.KORA_DEPLOY_ENV?.trim();
  if (explicit) return explicit;
  if (readEnvFlag(options.env, 'KORA_DEV') || options.devFlag) return 'dev';
  throw new DeployEnvError();
}
