// `kora ask` and `kora usage`: the reasoning plugin's admin routes, from the CLI (admin-client.ts).
import { createSecretScrubber } from '../log/scrubber.js';
import { ADMIN_READ_TIMEOUT_MS, callAdminApi, formatTable, locateAdminApi, type AdminCommandOptions } from './admin-client.js';
import { escapeControl, escaped, printJson, type Io } from './output.js';

export { locateAdminApi, type AdminCommandOptions } from './admin-client.js';

/** A reply can run a tool-use loop of several model calls: wait for it, within reason. */
const ASK_TIMEOUT_MS = 10 * 60_000;

interface AskAnswer {
  reply: string;
  conversation: string;
  model: string;
  calls: number;
  usage: { inputTokens: number; outputTokens: number; cacheReadTokens: number; cacheWriteTokens: number; costUsd: number };
}

/** Model text on a terminal: its lines and tabs kept, every other control character written as an escape. */
function printable(text: string): string {
  return text.replace(/[^\n\t]+/g, (part) => escapeControl(part));
}

export async function runAsk(options: AdminCommandOptions & { message: string; conversation?: string | undefined }, io: Io): Promise<number> {
  const api = locateAdminApi(options);
  const scrubber = createSecretScrubber({ env: options.env });
  const body = { message: options.message, ...(options.conversation !== undefined ? { conversation: options.conversation } : {}) };
  const answer = await callAdminApi<AskAnswer>(api, '/api/ask', { method: 'POST', body, timeoutMs: ASK_TIMEOUT_MS, servedBy: 'reasoning' });
  if (options.json) {
    printJson(io, scrubber.scrubDeep(answer));
    return 0;
  }
  io.out(scrubber.scrub(printable(answer.reply)));
  io.err(escaped`(conversation ${answer.conversation}: continue it with --conversation ${answer.conversation})`);
  return 0;
}

export interface UsageRow {
  day: string;
  model: string;
  calls: number;
  failed: number;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  costUsd: number;
}

interface UsageAnswer {
  days: number;
  rows: UsageRow[];
  total: { calls: number; costUsd: number };
}

export async function runUsage(options: AdminCommandOptions & { days?: number | undefined }, io: Io): Promise<number> {
  const api = locateAdminApi(options);
  const answer = await callAdminApi<UsageAnswer>(api, `/api/usage?days=${options.days ?? 7}`, { method: 'GET', timeoutMs: ADMIN_READ_TIMEOUT_MS, servedBy: 'reasoning' });
  if (options.json) printJson(io, answer);
  else io.out(formatUsage(answer));
  return 0;
}

export function formatUsage(answer: UsageAnswer): string {
  const span = answer.days === 1 ? 'today (UTC)' : `the last ${answer.days} days (UTC)`;
  if (answer.rows.length === 0) return `No model calls ${span}.`;
  const header = ['day', 'model', 'calls', 'failed', 'input', 'output', 'cache read', 'cache write', 'cost USD'];
  const rows = answer.rows.map((r) => [r.day, r.model, r.calls, r.failed, r.inputTokens, r.outputTokens, r.cacheReadTokens, r.cacheWriteTokens, r.costUsd.toFixed(4)]);
  return [formatTable(header, rows, 2), `Total ${span}: ${answer.total.calls} call(s), ${answer.total.costUsd.toFixed(4)} USD.`].join('\n');
}
