// The web plugin's config (`plugins.config.web`) and where the admin server listens:
// KORA_WEB_HOST / KORA_WEB_PORT over the config over the defaults (127.0.0.1:9119).
import { z } from 'zod';

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

/** Env over config over defaults. A KORA_WEB_PORT that is not a port fails the plugin at register. */
export function listenOptions(config: WebConfig | undefined, env: Readonly<Record<string, string | undefined>>): ListenOptions | { error: string } {
  const rawPort = env[PORT_ENV]?.trim();
  let envPort: number | undefined;
  if (rawPort) {
    const parsed = port.safeParse(/^\d+$/.test(rawPort) ? Number(rawPort) : NaN);
    if (!parsed.success) return { error: `${PORT_ENV}=${JSON.stringify(rawPort)} is not a port (0 to 65535)` };
    envPort = parsed.data;
  }
  return {
    host: env[HOST_ENV]?.trim() || config?.host || DEFAULT_HOST,
    port: envPort ?? config?.port ?? DEFAULT_PORT,
    sessionIdleMs: config?.sessionIdleMs ?? 8 * 60 * 60 * 1000,
  };
}

/** `host:port`, with an IPv6 host in brackets, as it goes into a URL. */
export function formatAddress(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
