// `kora daemon`: run the gateway until SIGINT/SIGTERM; a second signal forces exit 130.
import { Gateway, EXIT, type GatewayOptions } from '../gateway/gateway.js';
import { reportError, type Io } from './output.js';
import { bootSummary } from './summary.js';

export interface DaemonCommandOptions extends GatewayOptions {
  /** Injected for tests; default process signals and process.exit. */
  signals?: { on: (sig: NodeJS.Signals, fn: () => void) => void; off: (sig: NodeJS.Signals, fn: () => void) => void };
  forceExit?: (code: number) => void;
}

export async function runDaemon(options: DaemonCommandOptions, io: Io): Promise<number> {
  let gateway: Gateway;
  try {
    gateway = await Gateway.create(options);
  } catch (err) {
    return reportError(io, err);
  }
  const signals = options.signals ?? { on: (s, f) => process.on(s, f), off: (s, f) => process.off(s, f) };
  const forceExit = options.forceExit ?? ((code: number) => process.exit(code));
  // The process lives until a signal: the gateway's own timers do not hold it.
  const keepAlive = setInterval(() => {}, 1 << 30);
  let received = 0;
  let release: () => void = () => {};
  const stopped = new Promise<void>((resolve) => (release = resolve));
  const onSignal = (sig: NodeJS.Signals) => {
    received++;
    if (received > 1) {
      gateway.logger.warn(`second ${sig}: forcing exit ${EXIT.forced}`);
      forceExit(EXIT.forced);
      return;
    }
    gateway.logger.info(`${sig} received: stopping (send it again to force)`);
    void gateway.stop(`signal ${sig}`).then(release);
  };
  const onInt = () => onSignal('SIGINT');
  const onTerm = () => onSignal('SIGTERM');
  signals.on('SIGINT', onInt);
  signals.on('SIGTERM', onTerm);
  try {
    const result = await gateway.start();
    if (!result.ok) {
      reportError(io, result.error);
      return result.exitCode;
    }
    // A signal during boot stops the gateway before it ever ran: no summary, still a clean stop.
    if (result.state !== 'stopped') io.out(bootSummary(gateway.status()));
    await stopped;
    return EXIT.ok;
  } finally {
    clearInterval(keepAlive);
    signals.off('SIGINT', onInt);
    signals.off('SIGTERM', onTerm);
  }
}
