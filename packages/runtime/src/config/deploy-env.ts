// The deploy-env gate: a gateway refuses to start without knowing where it is deployed.
import { DeployEnvError } from '../errors.js';
import type { Env } from './locate.js';

/** `KORA_DEPLOY_ENV` if non-blank; else `dev` when `--dev` or `KORA_DEV=1`; else refuse. `--dev` never overrides an explicit value. */
export function resolveDeployEnv(options: { env: Env; devFlag?: boolean }): string {
  const explicit = options.env.KORA_DEPLOY_ENV?.trim();
  if (explicit) return explicit;
  if (options.devFlag || options.env.KORA_DEV === '1' || options.env.KORA_DEV === 'true') return 'dev';
  throw new DeployEnvError();
}
