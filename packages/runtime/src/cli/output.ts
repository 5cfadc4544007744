// How the CLI talks: results on stdout, errors on stderr with their code, exit codes by kind.
import { CommanderError } from 'commander';
import { KoraError } from '../errors.js';
import { EXIT, exitCodeFor } from '../gateway/gateway.js';

export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
}

export const processIo: Io = {
  out: (text) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
  err: (text) => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
};

export function printJson(io: Io, value: unknown): void {
  io.out(JSON.stringify(value, null, 2));
}

/** Print an error the way an operator can act on it, and return the exit code for it. */
export function reportError(io: Io, err: unknown): number {
  if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.ok : EXIT.config;
  if (err instanceof KoraError) {
    io.err(`kora: ${err.name}: ${err.message}\n  (${err.code})`);
    return exitCodeFor(err);
  }
  io.err(`kora: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  return EXIT.fatal;
}
