// A real pino logger whose lines are kept in memory, so tests can assert on what was logged.
import { pino } from 'pino';
import type { Logger } from '../../log/logger.js';

export interface LogLine {
  level: number;
  msg: string;
  pluginId?: string;
  hook?: string;
  [key: string]: unknown;
}

export const LEVEL = { debug: 20, info: 30, warn: 40, error: 50 } as const;

export function captureLogger(): { logger: Logger; lines: LogLine[]; at: (level: keyof typeof LEVEL) => LogLine[] } {
  const lines: LogLine[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) });
  return { logger, lines, at: (level) => lines.filter((l) => l.level === LEVEL[level]) };
}
