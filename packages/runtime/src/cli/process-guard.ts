// The process around a running gateway: errors nobody caught and `process.exit` calls from
// plugin code are routed to the gateway, which pins them on their plugin and daemon (or stops
// cleanly when it cannot), instead of Node printing a stack trace and dying mid-write.
import type { Gateway } from '../gateway/gateway.js';

export interface ProcessGuard {
  /** The real `process.exit`, for the CLI's own exits (a forced stop, the end of the command). */
  exit(code: number): never;
  /** Put back what `guardProcess` replaced. */
  release(): void;
}

export function guardProcess(gateway: Gateway): ProcessGuard {
  const realExit = process.exit.bind(process);
  const onUncaught = (err: unknown) => gateway.fault(err);
  const onUnhandled = (reason: unknown) => gateway.fault(reason);
  process.on('uncaughtException', onUncaught);
  process.on('unhandledRejection', onUnhandled);
  // process.exit never returns, so throwing keeps that promise to its caller: nothing after it runs.
  process.exit = function exit(code?: number | string | null): never {
    const n = Number(code ?? process.exitCode ?? 0);
    throw gateway.exitCalled(Number.isInteger(n) ? n : 1);
  } as typeof process.exit;
  return {
    exit: (code) => realExit(code),
    release() {
      process.off('uncaughtException', onUncaught);
      process.off('unhandledRejection', onUnhandled);
      process.exit = realExit;
    },
  };
}

/**
 * What is still holding the event loop, by kind (`Timeout`, `TCPServerWrap`…), minus what was
 * there before the gateway started (stdio): after a clean stop, these are what plugins left open.
 */
export function leftoverHandles(baseline: readonly string[]): string[] {
  const before = new Map<string, number>();
  for (const kind of baseline) before.set(kind, (before.get(kind) ?? 0) + 1);
  const left: string[] = [];
  for (const kind of process.getActiveResourcesInfo()) {
    // An immediate runs on the next turn whatever happens: it holds nothing open.
    if (kind === 'Immediate') continue;
    const n = before.get(kind) ?? 0;
    if (n > 0) before.set(kind, n - 1);
    else left.push(kind);
  }
  return left;
}
