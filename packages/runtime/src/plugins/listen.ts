// Where a daemon's server listens, and what its start says when it cannot: the same rules for
// every HTTP surface (admin server, webhook receiver, a third-party plugin's own server), so
// operators meet one set of variables and one kind of message.
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
