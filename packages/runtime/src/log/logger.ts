// Structured logs: JSON lines in production, readable lines in dev, secrets redacted by key.
import { pino, type DestinationStream, type Logger as PinoLogger, type LevelWithSilent } from 'pino';
import { redactSecrets } from './redact.js';

export type Logger = PinoLogger;
export type LogLevel = LevelWithSilent;

export interface LoggerOptions {
  level?: LogLevel;
  /** Human-readable lines instead of JSON (dev mode). */
  pretty?: boolean;
  /** Where lines go; default stderr, so stdout stays free for command output. */
  destination?: DestinationStream;
  base?: Record<string, unknown>;
}

export async function createLogger(options: LoggerOptions = {}): Promise<Logger> {
  const opts = {
    level: options.level ?? 'info',
    base: options.base ?? { pid: process.pid },
    formatters: { log: (obj: Record<string, unknown>) => redactSecrets(obj) },
  };
  if (options.destination) return pino(opts, options.destination);
  if (options.pretty) {
    // Loaded only in dev: pino-pretty costs boot time a production gateway should not pay.
    const { default: pretty } = await import('pino-pretty');
    return pino(opts, pretty({ destination: 2, sync: true, ignore: 'pid,hostname', translateTime: 'SYS:HH:MM:ss.l' }));
  }
  return pino(opts, pino.destination({ dest: 2, sync: true }));
}

/** A logger that drops everything; for tests and library use without a host. */
export function createSilentLogger(): Logger {
  return pino({ level: 'silent' });
}
