// The webhooks plugin's config (`plugins.config.webhooks`) and where the server listens:
// KORA_WEBHOOK_HOST / KORA_WEBHOOK_PORT over the config over the defaults.
import { durationOrMs, listenAddress, parseDuration, z, type ListenSettings } from '@kora/runtime';

export const DEFAULT_HOST = '0.0.0.0';
export const DEFAULT_PORT = 9118;
export const HOST_ENV = 'KORA_WEBHOOK_HOST';
export const PORT_ENV = 'KORA_WEBHOOK_PORT';

const port = z.number().int().min(0).max(65_535);

export const webhooksConfigSchema = z
  .object({
    host: z.string().min(1).optional(),
    port: port.optional(),
    /** Requests per IP per window (default 60 per minute); `/healthz` is never limited. */
    rateLimit: z
      .object({
        max: z.number().int().positive(),
        /** ms, or a duration as kora.yaml writes them (`30s`, `1m`); read as ms. */
        timeWindow: durationOrMs.transform((window) => parseDuration(window)),
      })
      .strict()
      .optional(),
    /** Largest body in bytes (default 1 MiB); larger is 413. */
    bodyLimit: z.number().int().positive().optional(),
  })
  .strict();

export type WebhooksConfig = z.infer<typeof webhooksConfigSchema>;

export interface ListenOptions {
  readonly host: string;
  readonly port: number;
  /** `timeWindow` in ms. */
  readonly rateLimit: { readonly max: number; readonly timeWindow: number };
  readonly bodyLimit: number;
}

export const LISTEN: ListenSettings = { hostEnv: HOST_ENV, portEnv: PORT_ENV, defaults: { host: DEFAULT_HOST, port: DEFAULT_PORT } };

/** Env over config over defaults. A KORA_WEBHOOK_PORT that is not a port fails the plugin at register. */
export function listenOptions(config: WebhooksConfig | undefined, env: Readonly<Record<string, string | undefined>>): ListenOptions | { error: string } {
  const address = listenAddress(env, config, LISTEN);
  if ('error' in address) return address;
  return {
    ...address,
    rateLimit: config?.rateLimit ?? { max: 60, timeWindow: 60_000 },
    bodyLimit: config?.bodyLimit ?? 1024 * 1024,
  };
}
