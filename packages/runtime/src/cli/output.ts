// How the CLI talks: results on stdout, errors on stderr with their code, exit codes by kind.
import { CommanderError } from 'commander';
import { EXIT, exitCodeOf, KoraError } from '../errors.js';
import { createSecretScrubber, type SecretScrubber } from '../log/scrubber.js';

export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
  /** stderr is a terminal: inspection commands write their warnings there as readable lines, not JSON. */
  readonly errIsTTY?: boolean;
}

export const processIo: Io = {
  out: (text) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
  err: (text) => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
  get errIsTTY() {
    return process.stderr.isTTY === true;
  },
};

const LEVEL_NAMES: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warning', 50: 'error', 60: 'fatal' };

/**
 * A log destination that writes each JSON line the logger produces as `kora: warning: <msg>`
 * on stderr: what a person at a terminal reads. The line was scrubbed before it got here.
 */
export function readableLogLines(io: Io): { write(line: string): void } {
  return {
    write(chunk: string) {
      for (const line of chunk.split('\n')) {
        if (!line.trim()) continue;
        let entry: { level?: unknown; msg?: unknown };
        try {
          entry = JSON.parse(line) as { level?: unknown; msg?: unknown };
        } catch {
          io.err(`kora: ${escapeControl(line)}`);
          continue;
        }
        const level = typeof entry.level === 'number' ? (LEVEL_NAMES[entry.level] ?? 'log') : 'log';
        io.err(`kora: ${level}: ${escapeControl(typeof entry.msg === 'string' ? entry.msg : JSON.stringify(entry.msg ?? ''))}`);
      }
    },
  };
}

// C0 and C1 controls (newlines and ESC among them), DEL, Unicode line and paragraph separators,
// and bidi overrides: each could start a forged line or repaint one on a terminal.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL_RE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** `text` on one line, its control characters written as escapes (`\n`, `\u001b`), so what a plugin named or threw cannot forge output. */
export function escapeControl(text: string): string {
  return text.replace(CONTROL_RE, (c) => NAMED[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A template tag for human output: every interpolated value passes through `escapeControl`, the literal text stays. */
export function escaped(strings: TemplateStringsArray, ...values: unknown[]): string {
  let out = strings[0] ?? '';
  for (let i = 0; i < values.length; i++) out += escapeControl(String(values[i])) + (strings[i + 1] ?? '');
  return out;
}

export function printJson(io: Io, value: unknown): void {
  io.out(JSON.stringify(value, null, 2));
}

/**
 * Print an error the way an operator can act on it, and return the exit code for it. A boot
 * error can quote what a plugin threw: pass the gateway's scrubber so its secrets stay out of
 * stderr (without one, only secret shapes such as `Bearer …` and URL passwords are scrubbed).
 */
export function reportError(io: Io, err: unknown, scrubber: SecretScrubber = createSecretScrubber()): number {
  if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.ok : EXIT.config;
  if (err instanceof KoraError) {
    io.err(scrubber.scrub(`kora: ${err.name}: ${err.message}\n  (${err.code})`));
    return exitCodeOf(err.code);
  }
  io.err(scrubber.scrub(`kora: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`));
  return EXIT.fatal;
}
