// `kora daemon`: run the gateway until SIGINT, SIGTERM or SIGHUP; a second signal forces exit 130.
import { Gateway, EXIT, type GatewayOptions } from '../gateway/gateway.js';
import { reportError, type Io } from './output.js';
import { guardProcess, leftoverHandles } from './process-guard.js';
import { bootSummary } from './summary.js';
import { settleCodeCache } from '../code-cache.js';

export interface DaemonCommandOptions extends GatewayOptions {
  /** Injected for tests; default process signals and process.exit. */
  signals?: { on: (sig: NodeJS.Signals, fn: () => void) => void; off: (sig: NodeJS.Signals, fn: () => void) => void };
  forceExit?: (code: number) => void;
  /** Signals that arrived before this command ran (the bin listens from its first line). */
  early?: { signals: NodeJS.Signals[]; release(): void };
  /** Route uncaught errors and process.exit to the gateway (default true; false in in-process tests). */
  guardProcess?: boolean;
}

/** Graceful stops: SIGHUP too, as terminals and some supervisors send it when they go away. */
export const STOP_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

export async function runDaemon(options: DaemonCommandOptions, io: Io): Promise<number> {
  const signals = options.signals ?? { on: (s, f) => process.on(s, f), off: (s, f) => process.off(s, f) };
  // Listening before anything else: a signal while the config loads is a clean stop too.
  const received: NodeJS.Signals[] = [];
  let onSignal: (sig: NodeJS.Signals) => void = (sig) => received.push(sig);
  const handlers = STOP_SIGNALS.map((sig) => [sig, () => onSignal(sig)] as const);
  for (const [sig, fn] of handlers) signals.on(sig, fn);
  // Ours are listening now: take over what the bin caught while the CLI loaded.
  options.early?.release();
  received.push(...(options.early?.signals ?? []));
  // stdout and stderr get their handles on first use: made now, so they count as ours, not as
  // something a plugin left open.
  void process.stdout.fd;
  void process.stderr.fd;
  const baseline = process.getActiveResourcesInfo();
  try {
    let gw: Gateway;
    try {
      gw = await Gateway.create(options);
    } catch (err) {
      return reportError(io, err);
    }
    if (received.length > 0) {
      gw.logger.info(`${received[0]} received before boot: not starting`);
      return EXIT.ok;
    }
    const processGuard = options.guardProcess === false ? undefined : guardProcess(gw);
    const forceExit = options.forceExit ?? ((code: number) => (processGuard ? processGuard.exit(code) : process.exit(code)));
    // The process lives until a signal: the gateway's own timers do not hold it.
    const keepAlive = setInterval(() => {}, 1 << 30);
    onSignal = (sig) => {
      received.push(sig);
      if (received.length > 1) {
        gw.logger.warn(`second signal (${sig}): forcing exit ${EXIT.forced}`);
        gw.recordForcedExit(EXIT.forced, `forced by a second signal (${sig})`);
        forceExit(EXIT.forced);
        return;
      }
      gw.logger.info(`${sig} received: stopping (send it again to force)`);
      void gw.stop(`signal ${sig}`);
    };
    try {
      const result = await gw.start();
      if (!result.ok) {
        reportError(io, result.error, gw.scrubber);
        return result.exitCode;
      }
      // A signal during boot stops the gateway before it ever ran: no summary, still a clean stop.
      if (result.state !== 'stopped') io.out(bootSummary(gw.status(), gw.loginLinks()));
      settleCodeCache();
      // Until a signal, a fault the gateway cannot pin on a plugin, or an unattributed process.exit.
      await gw.whenStopped();
      clearInterval(keepAlive);
      // A server closed by its daemon's stop releases its handle on the loop's next turn: let
      // it, so only what a plugin truly left open is named.
      await new Promise((resolve) => setImmediate(resolve));
      await new Promise((resolve) => setImmediate(resolve));
      const handles = leftoverHandles(baseline);
      if (handles.length > 0) gw.logger.warn({ handles }, `exiting with ${handles.length} handle(s) left open by plugins after the stop: ${summarise(handles)}`);
      return gw.exitCode ?? EXIT.ok;
    } finally {
      clearInterval(keepAlive);
      processGuard?.release();
    }
  } finally {
    for (const [sig, fn] of handlers) signals.off(sig, fn);
  }
}

function summarise(kinds: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const k of kinds) counts.set(k, (counts.get(k) ?? 0) + 1);
  return [...counts].map(([k, n]) => `${n} ${k}`).join(', ');
}
