// Where a daemon's server listens, and what its start says when it cannot: the same rules for
// every HTTP surface (admin server, webhook receiver, a third-party plugin's own server), so
// operators meet one set of variables and one kind of message.
import type { AddressInfo } from 'node:net';
import { DaemonError } from '../errors.js';

export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

export interface ListenSettings {
  /** The variables that override the config, e.g. `KORA_WEB_HOST` / `KORA_WEB_PORT`. */
  readonly hostEnv: string;
  readonly portEnv: string;
  readonly defaults: ListenAddress;
}

/**
 * The environment over the config over the defaults. A port variable that is not a port (0 to
 * 65535; 0 lets the kernel choose) is an error naming the variable, for the plugin to fail with.
 */
export function listenAddress(
  env: Readonly<Record<string, string | undefined>>,
  config: { host?: string | undefined; port?: number | undefined } | undefined,
  settings: ListenSettings,
): ListenAddress | { error: string } {
  const rawPort = env[settings.portEnv]?.trim();
  let envPort: number | undefined;
  if (rawPort) {
    const n = /^\d+$/.test(rawPort) ? Number(rawPort) : NaN;
    if (!Number.isInteger(n) || n > 65_535) return { error: `${settings.portEnv}=${JSON.stringify(rawPort)} is not a port (0 to 65535)` };
    envPort = n;
  }
  return {
    host: env[settings.hostEnv]?.trim() || config?.host || settings.defaults.host,
    port: envPort ?? config?.port ?? settings.defaults.port,
  };
}

/** `host:port`, an IPv6 host in brackets, as it goes into a URL. */
export function formatAddress(address: ListenAddress): string {
  return address.host.includes(':') ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
}

/** The start failure of a daemon whose server could not bind `address`: names it, why, and what to set. */
export function listenError(daemon: string, address: ListenAddress, err: unknown, settings: Pick<ListenSettings, 'hostEnv' | 'portEnv'>): DaemonError {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  const why =
    code === 'EADDRINUSE' ? 'the port is taken' : code === 'EADDRNOTAVAIL' ? 'the address is not on this machine' : code === 'EACCES' ? 'the port needs privileges' : String((err as Error)?.message ?? err);
  const wanted = formatAddress(address);
  return new DaemonError('KORA_ERR_DAEMON_START', `Daemon "${daemon}" cannot listen on ${wanted}: ${why}; free it or set ${settings.hostEnv} / ${settings.portEnv}`, { daemon, address: wanted });
}

/** A server that listens like Fastify's: `listen({ host, port })`, `close()`, the Node server. */
export interface Listenable {
  listen(options: { host: string; port: number }): Promise<unknown>;
  close(): Promise<unknown>;
  readonly server: { address(): AddressInfo | string | null };
}

/**
 * Bind `app` to `address` for `daemon`'s start, and give back where it listens (the port the
 * kernel chose for 0). A bind failure closes the app and is the start failure `listenError` says.
 */
export async function listenOn(daemon: string, app: Listenable, address: ListenAddress, settings: Pick<ListenSettings, 'hostEnv' | 'portEnv'>): Promise<ListenAddress> {
  try {
    await app.listen({ host: address.host, port: address.port });
  } catch (err) {
    await app.close();
    throw listenError(daemon, address, err, settings);
  }
  const bound = app.server.address();
  return bound !== null && typeof bound === 'object' ? { host: bound.address, port: bound.port } : address;
}
