// Structured logs: JSON lines in production, readable lines in dev. Every line passes the
// gateway's secret scrubber: the message, each field (at any depth, thrown errors included, with
// their messages, stacks and causes) and the child bindings.
import { pino, type DestinationStream, type Logger as PinoLogger, type LevelWithSilent } from 'pino';
import { createSecretScrubber, type SecretScrubber } from './scrubber.js';

export type Logger = PinoLogger;
export type LogLevel = LevelWithSilent;

export interface LoggerOptions {
  level?: LogLevel;
  /** Human-readable lines instead of JSON (dev mode). */
  pretty?: boolean;
  /** Where lines go; default stderr, so stdout stays free for command output. */
  destination?: DestinationStream;
  base?: Record<string, unknown>;
  /**
   * Redacts secret-keyed fields and scrubs known secret values and secret shapes. Default: one
   * that knows no values, only the keys and shapes (`Bearer …`, URL passwords).
   */
  scrubber?: SecretScrubber;
}

export async function createLogger(options: LoggerOptions = {}): Promise<Logger> {
  const scrubber = options.scrubber ?? createSecretScrubber();
  const opts = {
    level: options.level ?? 'info',
    base: options.base ?? { pid: process.pid },
    formatters: {
      log: (obj: Record<string, unknown>) => scrubber.scrubDeep(obj),
      bindings: (bindings: Record<string, unknown>) => scrubber.scrubDeep(bindings),
    },
    serializers: {
      // `formatters.log` ran first and made errors plain objects; pino's own err serializer would re-type them "Object".
      err: (value: unknown) => value,
      msg: (value: unknown) => (typeof value === 'string' ? scrubber.scrub(value) : scrubber.scrubDeep(value)),
    },
  };
  let logger: Logger;
  if (options.destination) logger = pino(opts, options.destination);
  else if (options.pretty) {
    // Loaded only in dev: pino-pretty costs boot time a production gateway should not pay. Its
    // formatter writes to the same synchronous stderr as the JSON lines, not through its stream
    // (a line there passes a line splitter, a JSON parse, a Transform and a pipe: ≈ 60 lines a boot).
    const { prettyFactory } = await import('pino-pretty');
    const prettify = prettyFactory({ ignore: 'pid,hostname', translateTime: 'SYS:HH:MM:ss.l' });
    const stderr = pino.destination({ dest: 2, sync: true });
    logger = pino(opts, { write: (line: string) => stderr.write(prettify(line)) });
  } else logger = pino(opts, pino.destination({ dest: 2, sync: true }));
  return scrubChildBindings(logger, scrubber);
}

/**
 * pino applies `formatters.bindings` to the root's bindings only; a child's are serialised as
 * given. Children inherit from the root, so wrapping its `child` covers every generation.
 */
function scrubChildBindings(logger: Logger, scrubber: SecretScrubber): Logger {
  const child = logger.child;
  const scrubbedChild = function scrubbedChild(this: Logger, bindings: Record<string, unknown>, options?: Parameters<Logger['child']>[1]) {
    return child.call(this, scrubber.scrubDeep(bindings), options);
  };
  logger.child = scrubbedChild as Logger['child'];
  return logger;
}

/** A logger that drops everything; for tests and library use without a host. */
export function createSilentLogger(): Logger {
  return pino({ level: 'silent' });
}
