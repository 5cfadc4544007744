// The web plugin's config (`plugins.config.web`) and where the admin server listens:
// KORA_WEB_HOST / KORA_WEB_PORT over the config over the defaults (127.0.0.1:9119).
import { listenAddress, z, type ListenSettings } from '@kora/runtime';

export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_PORT = 9119;
export const HOST_ENV = 'KORA_WEB_HOST';
export const PORT_ENV = 'KORA_WEB_PORT';

const port = z.number().int().min(0).max(65_535);

export const webConfigSchema = z
  .object({
    host: z.string().min(1).optional(),
    port: port.optional(),
    /** How long a UI session lasts without use (ms, default 8 hours). */
    sessionIdleMs: z.number().int().positive().optional(),
  })
  .strict();

export type WebConfig = z.infer<typeof webConfigSchema>;

export interface ListenOptions {
  readonly host: string;
  readonly port: number;
  readonly sessionIdleMs: number;
}

export const LISTEN: ListenSettings = { hostEnv: HOST_ENV, portEnv: PORT_ENV, defaults: { host: DEFAULT_HOST, port: DEFAULT_PORT } };

/** Env over config over defaults. A KORA_WEB_PORT that is not a port fails the plugin at register. */
export function listenOptions(config: WebConfig | undefined, env: Readonly<Record<string, string | undefined>>): ListenOptions | { error: string } {
  const address = listenAddress(env, config, LISTEN);
  if ('error' in address) return address;
  return { ...address, sessionIdleMs: config?.sessionIdleMs ?? 8 * 60 * 60 * 1000 };
}
